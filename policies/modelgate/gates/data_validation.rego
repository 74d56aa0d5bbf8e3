# METADATA
# title: Every dataset used passed data validation
# description: Each dataset the training and the evaluation used has a passing data-validation attestation, and none failing.
# custom:
#   code: MG-DATA
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.data_validation

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

datasets contains d.digest.sha256 if {
	some t in lib.evidence("training")
	some d in t.predicate.datasets
}

datasets contains lib.evaluation.predicate.dataset.digest.sha256

deny contains {"msg": msg} if {
	count(datasets) == 0
	msg := sprintf("no training or evaluation attestation names a dataset to check; %s, and %s", [lib.how("training"), lib.how("evaluation")])
}

validations(digest) := [v |
	some v in lib.evidence("data-validation")
	v.predicate.dataset.digest.sha256 == digest
]

deny contains {"msg": msg} if {
	some d in datasets
	count(validations(d)) == 0
	msg := sprintf("dataset sha256:%s has no data-validation attestation; %s", [d, lib.how("data-validation")])
}

deny contains {"msg": msg, "evidence": [v.id]} if {
	some d in datasets
	some v in validations(d)
	not v.predicate.success
	s := v.predicate.statistics
	msg := sprintf("data validation of %s failed (suite %s: %v of %v checks failed)", [v.predicate.dataset.name, v.predicate.suite, s.unsuccessful, s.evaluated])
}

used := lib.ids(lib.evidence("data-validation"))
