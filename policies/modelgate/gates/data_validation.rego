# METADATA
# title: Every dataset used passed data validation
# description: Each dataset the training and the evaluation used has a data-validation attestation, and the newest for each dataset passed, with numbers that agree with its verdict.
# custom:
#   code: MG-DATA
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.data_validation

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

datasets contains d.digest.sha256 if {
	some t in lib.trainings
	some d in t.predicate.datasets
}

datasets contains e.predicate.dataset.digest.sha256 if some e in lib.evaluations

deny contains {"msg": msg} if {
	count(datasets) == 0
	msg := sprintf("no training or evaluation attestation names a dataset to check; %s, and %s", [lib.how("training"), lib.how("evaluation")])
}

deny contains {"msg": msg} if {
	some d in datasets
	count(lib.validations(d)) == 0
	msg := sprintf("dataset sha256:%s has no data-validation attestation; %s", [d, lib.how("data-validation")])
}

deny contains {"msg": msg, "evidence": [v.id]} if {
	some d in datasets
	some v in lib.validations(d)
	not v.predicate.success
	s := v.predicate.statistics
	msg := sprintf("data validation of %s failed (suite %s: %v of %v checks failed)", [v.predicate.dataset.name, v.predicate.suite, s.unsuccessful, s.evaluated])
}

# A validation that claims success while its own numbers say otherwise fails.
judged := [v | some d in datasets; some v in lib.validations(d)]

contradictions[v.id] contains sprintf("%v of %v checks failed", [v.predicate.statistics.unsuccessful, v.predicate.statistics.evaluated]) if {
	some v in judged
	v.predicate.statistics.unsuccessful > 0
}

contradictions[v.id] contains sprintf("check %s failed", [r.check]) if {
	some v in judged
	some r in v.predicate.results
	r.success == false
}

contradictions[v.id] contains sprintf("drift of %s (%s %v) is over its threshold %v", [d.feature, d.metric, d.value, d.threshold]) if {
	some v in judged
	some d in object.get(v.predicate, "drift", [])
	d.value > d.threshold
}

deny contains {"msg": msg, "evidence": [v.id]} if {
	some v in judged
	v.predicate.success
	some fault in contradictions[v.id]
	msg := sprintf("data validation of %s claims success, but %s", [v.predicate.dataset.name, fault])
}

used := sort([v.id | some v in judged])
