# METADATA
# title: Evaluation data is validated and held out
# description: The evaluation dataset was validated and is none of the datasets the training used, whatever role the training gave it; every training dataset was validated.
# custom:
#   code: MG-LINEAGE
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.lineage

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

deny contains lib.no_evaluation if lib.no_evaluations

# Every dataset any training run used, in any role.
training_digests contains d.digest.sha256 if {
	some t in lib.evidence("training")
	some d in t.predicate.datasets
}

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	digest := ev.predicate.dataset.digest.sha256
	digest in training_digests
	msg := sprintf("the evaluation dataset %s (sha256:%s) is also a dataset the training used; evaluate on held-out data", [ev.predicate.dataset.name, digest])
}

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	digest := ev.predicate.dataset.digest.sha256
	not digest in lib.validated_digests
	msg := sprintf("the evaluation dataset sha256:%s was never validated; %s", [digest, lib.how("data-validation")])
}

deny contains {"msg": msg} if {
	some t in lib.trainings
	some d in t.predicate.datasets
	d.role == "training"
	not d.digest.sha256 in lib.validated_digests
	msg := sprintf("training dataset sha256:%s was never validated; %s", [d.digest.sha256, lib.how("data-validation")])
}
