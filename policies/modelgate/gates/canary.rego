# METADATA
# title: Canary analysis passed
# description: A high-tier model reaches production only after a passed canary analysis in production.
# custom:
#   code: MG-CANARY
#   tiers: [high]
#   environments: ["production"]
package modelgate.gates.canary

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

runs := [c | some c in lib.evidence("canary"); c.predicate.environment == input.environment]

deny contains {"msg": msg} if {
	count(runs) == 0
	msg := sprintf("no canary analysis in %s; %s", [input.environment, lib.how("canary")])
}

deny contains {"msg": msg, "evidence": [c.id]} if {
	count([c | some c in runs; c.predicate.passed]) == 0
	some c in runs
	msg := sprintf("the canary at %v%% traffic for %vs failed its analysis", [c.predicate.traffic_percent, c.predicate.duration_s])
}

used := lib.ids(runs)
