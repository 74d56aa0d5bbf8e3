# METADATA
# title: Not revoked
# description: A digest revoked in the target environment is final there (a fix ships as a new digest); no waiver lifts it, and no PASSED record is ever written for it.
# custom:
#   code: MG-REVOKED
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.revoked

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

deny contains {"msg": msg, "waivable": false, "evidence": [r.record]} if {
	r := input.revocation
	r != null
	msg := sprintf("revoked in %s at %s by %s: %s; a revocation is final for a digest: ship the fix as a new digest", [input.environment, r.at, r.signer, r.reason])
}

info contains "no revocation in the ledger" if not input.revocation
