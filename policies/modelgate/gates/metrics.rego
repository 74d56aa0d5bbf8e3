# METADATA
# title: Evaluation metrics meet their bounds
# description: Each metric the tier names has a value within its inclusive lower and upper bounds on the whole evaluation dataset.
# custom:
#   code: MG-METRICS
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.metrics

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

deny contains lib.no_evaluation if lib.no_evaluations

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	some name, spec in lib.config.metrics
	value := object.get(ev.predicate.metrics, name, null)
	some fault in lib.bound_faults(name, value, spec)
	msg := sprintf("metric %s %s", [name, fault])
}

used := lib.ids(lib.evaluations)
