# METADATA
# title: Evaluation data is validated and held out
# description: The evaluation dataset was validated and is none of the training datasets; every training dataset was validated.
# custom:
#   code: MG-LINEAGE
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.lineage

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

deny contains lib.no_evaluation if not lib.evaluation

training_digests contains d.digest.sha256 if {
	some t in lib.evidence("training")
	some d in t.predicate.datasets
	d.role == "training"
}

validated contains v.predicate.dataset.digest.sha256 if some v in lib.evidence("data-validation")

eval_digest := lib.evaluation.predicate.dataset.digest.sha256

deny contains {"msg": msg, "evidence": [lib.evaluation.id]} if {
	eval_digest in training_digests
	msg := sprintf("the evaluation dataset %s (sha256:%s) is also a training dataset; evaluate on held-out data", [lib.evaluation.predicate.dataset.name, eval_digest])
}

deny contains {"msg": msg, "evidence": [lib.evaluation.id]} if {
	not eval_digest in validated
	msg := sprintf("the evaluation dataset sha256:%s was never validated; %s", [eval_digest, lib.how("data-validation")])
}

deny contains {"msg": msg} if {
	some d in training_digests
	not d in validated
	msg := sprintf("training dataset sha256:%s was never validated; %s", [d, lib.how("data-validation")])
}
