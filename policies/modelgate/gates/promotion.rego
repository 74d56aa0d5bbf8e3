# METADATA
# title: Promoted through the required environments
# description: An environment that requires others (production requires staging) admits a digest only with a PASSED decision for that same digest in each, not revoked nor rolled back from, in the ledger.
# custom:
#   code: MG-PROMOTION
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.promotion

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

required := object.get(data.modelgate.environments, [input.environment, "requires"], [])

passed(env) if input.promotions[env].passed == true

deny contains {"msg": msg} if {
	some env in required
	not passed(env)
	msg := sprintf("no PASSED decision for this digest in %s, which %s requires; promote it there first with 'modelgate verify --subject MODEL --env %s --vsa-key GATE_KEY'", [env, input.environment, env])
}

info contains sprintf("promoted through %s", [concat(", ", required)]) if count(required) > 0

used := sort([input.promotions[env].vsa | some env in required; passed(env)])
