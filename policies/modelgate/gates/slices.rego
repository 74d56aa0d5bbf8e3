# METADATA
# title: Every required and large enough slice meets its floors
# description: Each slice the tier requires is in the evaluation; each evaluation slice of at least min_size examples meets the slice metric bounds; an evaluation with no slices fails where slice floors are set; a smaller slice is a warning, since its metrics are too noisy to judge.
# custom:
#   code: MG-SLICES
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.slices

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

deny contains lib.no_evaluation if lib.no_evaluations

spec := object.get(lib.config, "slices", {})

min_size := object.get(spec, "min_size", 0)

floors := object.get(spec, "metrics", {})

slices_of(ev) := object.get(ev.predicate, "slices", [])

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	count(floors) > 0
	count(slices_of(ev)) == 0
	msg := sprintf("the evaluation reports no slices, but the %s tier sets slice floors for %v", [lib.tier, sort(object.keys(floors))])
}

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	some name in object.get(spec, "required", [])
	count([s | some s in slices_of(ev); s.name == name]) == 0
	msg := sprintf("the evaluation lacks the required slice %s", [name])
}

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	some s in slices_of(ev)
	s.size >= min_size
	some name, bounds in floors
	value := object.get(s.metrics, name, null)
	some fault in lib.bound_faults(name, value, bounds)
	msg := sprintf("slice %s: metric %s %s", [s.name, name, fault])
}

warn contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	some s in slices_of(ev)
	s.size < min_size
	msg := sprintf("slice %s has %v examples, fewer than min_size %v; its floors were not judged", [s.name, s.size, min_size])
}

used := lib.ids(lib.evaluations)
