# METADATA
# title: Staging smoke test passed
# description: Production needs a passed smoke test of this digest deployed in staging.
# custom:
#   code: MG-SMOKE
#   tiers: [low, medium, high]
#   environments: ["production"]
package modelgate.gates.smoke_test

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

tests := [t | some t in lib.evidence("smoke-test"); t.predicate.environment == "staging"]

deny contains {"msg": msg} if {
	count(tests) == 0
	msg := sprintf("no staging smoke test; deploy to staging and %s", [lib.how("smoke-test")])
}

deny contains {"msg": msg, "evidence": [t.id]} if {
	count([t | some t in tests; t.predicate.passed]) == 0
	some t in tests
	msg := sprintf("the staging smoke test at %s failed (error rate %v over %v requests)", [t.predicate.endpoint, t.predicate.error_rate, t.predicate.requests])
}

used := lib.ids(tests)
