# METADATA
# title: Evidence is signed by holders of its role
# description: Each predicate type counts only from signers holding its role (data, training, evaluation, approver, risk, deploy, canary, waiver). Evidence a trusted key signed outside its role counts for nothing, is listed as rejected, and warns; it never blocks the model.
# custom:
#   code: MG-AUTH
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.authorisation

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

warn contains {"msg": msg, "evidence": [e.id]} if {
	some e in input.evidence
	role := lib.role_for_type[e.type]
	not role in e.signer.roles
	msg := sprintf("%s (%s) is signed by %s, who lacks the %s role; it does not count", [e.id, e.type, e.signer.id, role])
}
