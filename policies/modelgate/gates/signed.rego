# METADATA
# title: The model's files are signed
# description: Where the tier sets signature.required, an OpenSSF model signature (model_signing v1.0, key-signed or keyless) by a training signer must cover exactly the model's files, each with its sha256. verify checks the signed file list against the model's directory; a changed, added or removed file rejects the signature, naming the file.
# custom:
#   code: MG-SIGNED
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.signed

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

signatures := lib.evidence("model-signature")

required if object.get(lib.config, ["signature", "required"], false) == true

info contains sprintf("the %s tier does not require a model signature", [lib.tier]) if not required

info contains sprintf("the model's %d file(s) are signed by %s", [count(s.predicate.resources), s.signer.identity]) if {
	some s in signatures
}

deny contains {"msg": msg} if {
	required
	count(signatures) == 0
	msg := "no model signature over the model's files; sign the model directory with OpenSSF model signing (model_signing sign) by a key or identity with the training role, give the signature with --evidence and the model's directory as --subject"
}

used := lib.ids(signatures)
