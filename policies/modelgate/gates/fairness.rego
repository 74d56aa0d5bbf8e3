# METADATA
# title: Fairness metrics within bounds
# description: Each fairness metric the tier names is reported for at least one attribute, and every reported value is within its inclusive bounds.
# custom:
#   code: MG-FAIRNESS
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.fairness

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

deny contains lib.no_evaluation if not lib.evaluation

results(metric) := [f | some f in lib.evaluation.predicate.fairness; f.metric == metric]

deny contains {"msg": msg, "evidence": [lib.evaluation.id]} if {
	some metric, _ in lib.config.fairness
	count(results(metric)) == 0
	msg := sprintf("the evaluation reports no fairness metric %s", [metric])
}

deny contains {"msg": msg, "evidence": [lib.evaluation.id]} if {
	some metric, bounds in lib.config.fairness
	some f in results(metric)
	some fault in lib.bound_faults(metric, f.value, bounds)
	msg := sprintf("fairness %s for %s %s", [metric, f.attribute, fault])
}

used := [lib.evaluation.id]
