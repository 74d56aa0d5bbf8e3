# METADATA
# title: Every large enough slice meets its floors
# description: Each evaluation slice of at least min_size examples meets the slice metric bounds; a smaller slice is a warning, since its metrics are too noisy to judge.
# custom:
#   code: MG-SLICES
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.slices

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

deny contains lib.no_evaluation if not lib.evaluation

spec := object.get(lib.config, "slices", {})

min_size := object.get(spec, "min_size", 0)

deny contains {"msg": msg, "evidence": [lib.evaluation.id]} if {
	some s in lib.evaluation.predicate.slices
	s.size >= min_size
	some name, bounds in object.get(spec, "metrics", {})
	value := object.get(s.metrics, name, null)
	some fault in lib.bound_faults(name, value, bounds)
	msg := sprintf("slice %s: metric %s %s", [s.name, name, fault])
}

warn contains {"msg": msg, "evidence": [lib.evaluation.id]} if {
	some s in lib.evaluation.predicate.slices
	s.size < min_size
	msg := sprintf("slice %s has %v examples, fewer than min_size %v; its floors were not judged", [s.name, s.size, min_size])
}

used := [lib.evaluation.id]
