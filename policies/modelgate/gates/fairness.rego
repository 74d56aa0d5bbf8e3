# METADATA
# title: Fairness metrics within bounds
# description: Each fairness metric the tier names is reported, for every attribute its attributes list names, and every reported value is within its inclusive bounds.
# custom:
#   code: MG-FAIRNESS
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.fairness

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

deny contains lib.no_evaluation if lib.no_evaluations

results(ev, metric) := [f | some f in ev.predicate.fairness; f.metric == metric]

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	some metric, _ in lib.config.fairness
	count(results(ev, metric)) == 0
	msg := sprintf("the evaluation reports no fairness metric %s", [metric])
}

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	some metric, spec in lib.config.fairness
	some attribute in object.get(spec, "attributes", [])
	count([f | some f in results(ev, metric); f.attribute == attribute]) == 0
	msg := sprintf("the evaluation reports no fairness metric %s for attribute %s", [metric, attribute])
}

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	some metric, bounds in lib.config.fairness
	some f in results(ev, metric)
	some fault in lib.bound_faults(metric, f.value, bounds)
	msg := sprintf("fairness %s for %s %s", [metric, f.attribute, fault])
}

used := lib.ids(lib.evaluations)
