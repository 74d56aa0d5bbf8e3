# METADATA
# title: Canary analysis passed
# description: A high-tier model reaches production only after a passed canary analysis in production; the newest analysis is judged, and when several share its time, all must pass.
# custom:
#   code: MG-CANARY
#   tiers: [high]
#   environments: ["production"]
package modelgate.gates.canary

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

runs := lib.judged([c | some c in lib.evidence("canary"); c.predicate.environment == input.environment])

deny contains {"msg": msg} if {
	count(runs) == 0
	msg := sprintf("no canary analysis in %s; %s", [input.environment, lib.how("canary")])
}

deny contains {"msg": msg, "evidence": [c.id]} if {
	some c in runs
	not c.predicate.passed
	msg := sprintf("the canary at %v%% traffic for %vs failed its analysis", [c.predicate.traffic_percent, c.predicate.duration_s])
}

used := lib.ids(runs)
