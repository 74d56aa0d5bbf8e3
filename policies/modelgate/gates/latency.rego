# METADATA
# title: Offline latency within the tier's bar
# description: Where the tier names a latency bar, the evaluation must carry the model's offline p99 latency, and it must be at most max_p99_ms.
# custom:
#   code: MG-LATENCY
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.latency

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

limit := lib.config.latency.max_p99_ms

info contains sprintf("the %s tier sets no latency bar", [lib.tier]) if not lib.config.latency

info contains sprintf("offline p99 %vms, the limit %vms", [ev.predicate.latency_ms.p99, limit]) if {
	some ev in lib.evaluations
	ev.predicate.latency_ms.p99 <= limit
}

deny contains lib.no_evaluation if {
	limit
	count(lib.evaluations) == 0
}

deny contains {"msg": msg, "evidence": [ev.id]} if {
	limit
	some ev in lib.evaluations
	not is_number(object.get(ev.predicate, ["latency_ms", "p99"], null))
	msg := sprintf("the evaluation carries no latency_ms.p99; the %s tier's limit is %vms", [lib.tier, limit])
}

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	ev.predicate.latency_ms.p99 > limit
	msg := sprintf("offline p99 latency %vms is over the %s tier's limit %vms", [ev.predicate.latency_ms.p99, lib.tier, limit])
}

used := lib.ids(lib.evaluations) if limit

else := []
