# METADATA
# title: Canary analysis passed, on its numbers
# description: Where the tier names a canary bar, a model reaches production only after a canary analysis in production that passed and whose own numbers hold the tier's bar — long enough, on enough traffic, each metric within its bounds and no further from the control than allowed, in the metric's own direction. A canary whose numbers contradict its passed flag fails. The newest analysis is judged, and when several share its time, all must pass.
# custom:
#   code: MG-CANARY
#   tiers: [low, medium, high]
#   environments: ["production"]
package modelgate.gates.canary

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

runs := lib.judged([c | some c in lib.evidence("canary"); c.predicate.environment == input.environment])

bar := lib.config.canary

info contains sprintf("the %s tier asks for no canary", [lib.tier]) if not lib.config.canary

deny contains {"msg": msg} if {
	bar
	count(runs) == 0
	msg := sprintf("no canary analysis in %s; %s", [input.environment, lib.how("canary")])
}

deny contains {"msg": msg, "evidence": [c.id]} if {
	some c in runs
	not c.predicate.passed
	msg := sprintf("the canary at %v%% traffic for %vs failed its analysis", [c.predicate.traffic_percent, c.predicate.duration_s])
}

deny contains {"msg": msg, "evidence": [c.id]} if {
	some c in runs
	c.predicate.duration_s < bar.min_duration_s
	msg := sprintf("the canary ran %vs, under the tier's %vs%s", [c.predicate.duration_s, bar.min_duration_s, contradiction(c)])
}

deny contains {"msg": msg, "evidence": [c.id]} if {
	some c in runs
	c.predicate.traffic_percent < bar.min_traffic_percent
	msg := sprintf("the canary saw %v%% of traffic, under the tier's %v%%%s", [c.predicate.traffic_percent, bar.min_traffic_percent, contradiction(c)])
}

# Each metric the tier names: present, within its bounds.
deny contains {"msg": msg, "evidence": [c.id]} if {
	some c in runs
	some name, spec in object.get(bar, "metrics", {})
	value := object.get(c.predicate, ["canary", "metrics", name], null)
	some fault in lib.bound_faults(name, value, spec)
	msg := sprintf("canary metric %s %s%s", [name, fault, contradiction(c)])
}

# And no further from the control than its change limit allows.
deny contains {"msg": msg, "evidence": [c.id]} if {
	some c in runs
	some name, spec in object.get(bar, "metrics", {})
	spec.max_regression
	value := object.get(c.predicate, ["canary", "metrics", name], null)
	control := object.get(c.predicate, ["control", "metrics", name], null)
	not both_numbers(value, control)
	msg := sprintf("canary metric %s is missing or NaN for the canary or the control%s", [name, contradiction(c)])
}

deny contains {"msg": msg, "evidence": [c.id]} if {
	some c in runs
	some name, spec in object.get(bar, "metrics", {})
	limit := spec.max_regression.absolute
	value := c.predicate.canary.metrics[name]
	control := c.predicate.control.metrics[name]
	both_numbers(value, control)
	worse := regression(value, control, spec)
	worse > limit
	msg := sprintf("canary metric %s is %v worse than the control (%v → %v); the limit is %v%s", [name, round_to(worse), control, value, limit, contradiction(c)])
}

deny contains {"msg": msg, "evidence": [c.id]} if {
	some c in runs
	some name, spec in object.get(bar, "metrics", {})
	limit := spec.max_regression.relative
	value := c.predicate.canary.metrics[name]
	control := c.predicate.control.metrics[name]
	both_numbers(value, control)
	control == 0
	msg := sprintf("canary metric %s: the control is 0, so no relative change can be judged%s", [name, contradiction(c)])
}

deny contains {"msg": msg, "evidence": [c.id]} if {
	some c in runs
	some name, spec in object.get(bar, "metrics", {})
	limit := spec.max_regression.relative
	value := c.predicate.canary.metrics[name]
	control := c.predicate.control.metrics[name]
	both_numbers(value, control)
	control != 0
	worse := regression(value, control, spec) / abs(control)
	worse > limit
	msg := sprintf("canary metric %s is %v%% worse than the control (%v → %v); the limit is %v%%%s", [name, round_to(worse * 100), control, value, limit * 100, contradiction(c)])
}

both_numbers(a, b) if {
	is_number(a)
	is_number(b)
}

higher_is_better(spec) := object.get(spec, "higher_is_better", true)

regression(value, control, spec) := control - value if higher_is_better(spec)

regression(value, control, spec) := value - control if not higher_is_better(spec)

round_to(x) := round(x * 10000) / 10000

# A run marked passed whose numbers fail says so.
contradiction(c) := "; the analysis said passed, its own numbers do not" if c.predicate.passed == true

else := ""

info contains sprintf("canary %v%% traffic for %vs", [c.predicate.traffic_percent, c.predicate.duration_s]) if some c in runs

used := lib.ids(runs)
