# METADATA
# title: No regression against the champion
# description: The evaluation's baseline is the current champion, its baseline metrics equal the champion's own signed evaluation on the same dataset when the store holds one, and each metric with a max_regression moves no further than allowed in its own direction, absolutely or relative to the baseline. With no champion (a first deployment) the change limits do not apply.
# custom:
#   code: MG-REGRESSION
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.regression

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

deny contains lib.no_evaluation if lib.no_evaluations

champion := input.champion.digest.sha256

info contains "no champion for this model and environment: change limits do not apply (first deployment)" if {
	object.get(input, "champion", null) == null
}

info contains sprintf("compared against champion sha256:%s", [champion])

deny contains {"msg": msg, "evidence": [ev.id]} if {
	champion
	some ev in lib.evaluations
	not ev.predicate.baseline
	msg := sprintf("the evaluation has no baseline; evaluate against the champion sha256:%s", [champion])
}

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	ev.predicate.baseline.digest.sha256 != champion
	msg := sprintf("the evaluation's baseline sha256:%s is not the champion sha256:%s; re-evaluate against the champion", [ev.predicate.baseline.digest.sha256, champion])
}

# The champion's own signed evaluations on the candidate's dataset: the
# candidate's baseline metrics must be theirs.
own_evaluations(ev) := lib.judged([c |
	some c in object.get(input.champion, "evaluations", [])
	lib.authorised(c)
	c.predicate.dataset.digest.sha256 == ev.predicate.dataset.digest.sha256
])

deny contains {"msg": msg, "evidence": [ev.id, own.id]} if {
	some ev in lib.evaluations
	ev.predicate.baseline.digest.sha256 == champion
	some own in own_evaluations(ev)
	some name, value in ev.predicate.baseline.metrics
	not same(value, object.get(own.predicate.metrics, name, null))
	msg := sprintf("baseline metrics differ from the champion's own evaluation %s: %s is %v in the baseline, %v in the champion's evaluation", [own.id, name, value, object.get(own.predicate.metrics, name, null)])
}

same(a, b) if {
	both_numbers(a, b)
	abs(a - b) <= 0.000000001
}

same(a, b) if {
	a == null
	b == null
}

limits contains [name, spec] if {
	champion
	some name, spec in lib.config.metrics
	spec.max_regression
}

higher_is_better(spec) := object.get(spec, "higher_is_better", true)

# regression is how much worse the candidate is, in the metric's direction.
regression(cand, base, spec) := base - cand if higher_is_better(spec)

regression(cand, base, spec) := cand - base if not higher_is_better(spec)

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	ev.predicate.baseline.digest.sha256 == champion
	some [name, spec] in limits
	cand := object.get(ev.predicate.metrics, name, null)
	base := object.get(ev.predicate.baseline.metrics, name, null)
	not both_numbers(cand, base)
	msg := sprintf("metric %s is missing or NaN for the candidate or the champion", [name])
}

both_numbers(a, b) if {
	is_number(a)
	is_number(b)
}

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	ev.predicate.baseline.digest.sha256 == champion
	some [name, spec] in limits
	limit := spec.max_regression.absolute
	cand := ev.predicate.metrics[name]
	base := ev.predicate.baseline.metrics[name]
	both_numbers(cand, base)
	worse := regression(cand, base, spec)
	worse > limit
	msg := sprintf("metric %s regressed by %v against the champion (%v → %v); the limit is %v", [name, round_to(worse), base, cand, limit])
}

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	ev.predicate.baseline.digest.sha256 == champion
	some [name, spec] in limits
	spec.max_regression.relative
	ev.predicate.baseline.metrics[name] == 0
	msg := sprintf("metric %s has a champion value of 0, so a relative change limit cannot be judged", [name])
}

deny contains {"msg": msg, "evidence": [ev.id]} if {
	some ev in lib.evaluations
	ev.predicate.baseline.digest.sha256 == champion
	some [name, spec] in limits
	limit := spec.max_regression.relative
	cand := ev.predicate.metrics[name]
	base := ev.predicate.baseline.metrics[name]
	both_numbers(cand, base)
	base != 0
	worse := regression(cand, base, spec) / abs(base)
	worse > limit
	msg := sprintf("metric %s regressed by %v%% relative to the champion (%v → %v); the limit is %v%%", [name, round_to(worse * 100), base, cand, limit * 100])
}

round_to(x) := round(x * 10000) / 10000

used := lib.ids(lib.evaluations)
