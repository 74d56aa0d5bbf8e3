# METADATA
# title: Staging smoke test passed
# description: Production needs a passed smoke test of this digest deployed in staging; the newest is judged (all that share its time), and a test that claims to pass with an error rate or p99 latency over the tier's limits, or with an error rate its own counts contradict, fails.
# custom:
#   code: MG-SMOKE
#   tiers: [low, medium, high]
#   environments: ["production"]
package modelgate.gates.smoke_test

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

tests := lib.judged([t | some t in lib.evidence("smoke-test"); t.predicate.environment == "staging"])

limits := object.get(lib.config, "smoke", {})

deny contains {"msg": msg} if {
	count(tests) == 0
	msg := sprintf("no staging smoke test; deploy to staging and %s", [lib.how("smoke-test")])
}

deny contains {"msg": msg, "evidence": [t.id]} if {
	some t in tests
	not t.predicate.passed
	msg := sprintf("the staging smoke test at %s failed (error rate %v over %v requests)", [t.predicate.endpoint, t.predicate.error_rate, t.predicate.requests])
}

deny contains {"msg": msg, "evidence": [t.id]} if {
	some t in tests
	t.predicate.passed
	some fault in contradictions[t.id]
	msg := sprintf("the staging smoke test at %s claims to pass, but %s", [t.predicate.endpoint, fault])
}

contradictions[t.id] contains sprintf("its error rate %v is over the %s tier's limit %v", [t.predicate.error_rate, lib.tier, limits.max_error_rate]) if {
	some t in tests
	t.predicate.error_rate > limits.max_error_rate
}

contradictions[t.id] contains sprintf("its p99 latency %vms is over the %s tier's limit %vms", [t.predicate.latency_ms.p99, lib.tier, limits.max_latency_p99_ms]) if {
	some t in tests
	t.predicate.latency_ms.p99 > limits.max_latency_p99_ms
}

contradictions[t.id] contains sprintf("%v errors in %v requests is not the error rate %v it reports", [t.predicate.errors, t.predicate.requests, t.predicate.error_rate]) if {
	some t in tests
	t.predicate.requests > 0
	abs((t.predicate.errors / t.predicate.requests) - t.predicate.error_rate) > 0.000001
}

contradictions[t.id] contains "it served no requests" if {
	some t in tests
	t.predicate.requests == 0
}

used := lib.ids(tests)
