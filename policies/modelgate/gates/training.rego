# METADATA
# title: Training finished cleanly
# description: A training attestation exists, and the newest training run (all that share its time) reports no NaN loss or divergence and a final loss.
# custom:
#   code: MG-TRAIN
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.training

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

runs := lib.trainings

deny contains {"msg": msg} if {
	count(runs) == 0
	msg := sprintf("no training attestation; %s", [lib.how("training")])
}

deny contains {"msg": sprintf("training run %s detected NaN loss", [t.predicate.run_id]), "evidence": [t.id]} if {
	some t in runs
	t.predicate.loss.nan_detected
}

deny contains {"msg": sprintf("training run %s diverged", [t.predicate.run_id]), "evidence": [t.id]} if {
	some t in runs
	t.predicate.loss.diverged
}

deny contains {"msg": sprintf("training run %s has no final loss (NaN)", [t.predicate.run_id]), "evidence": [t.id]} if {
	some t in runs
	not is_number(object.get(t.predicate, ["loss", "final"], null))
}

used := lib.ids(runs)
