# METADATA
# title: Shadow deployment beside the champion, on its numbers
# description: Where the tier names a shadow bar, a model reaches production only after it served mirrored traffic beside the environment's champion, its answers unused - long enough, on enough requests, agreeing with the champion often enough, within the latency and error bars - and passed. The champion it shadowed must be the ledger's champion, so numbers taken beside another model do not count. A first deployment, with no champion, needs no shadow. A shadow whose numbers contradict its passed flag fails.
# custom:
#   code: MG-SHADOW
#   tiers: [low, medium, high]
#   environments: ["production"]
package modelgate.gates.shadow

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

runs := lib.judged([s | some s in lib.evidence("shadow"); s.predicate.environment == input.environment])

bar := lib.config.shadow

champion := input.champion.digest.sha256

info contains sprintf("the %s tier asks for no shadow deployment", [lib.tier]) if not lib.config.shadow

info contains sprintf("no champion in %s to shadow: a first deployment needs none", [input.environment]) if {
	bar
	object.get(input, "champion", null) == null
}

info contains sprintf("shadowed champion sha256:%s for %vs on %v requests, agreeing on %v%%", [champion, s.predicate.duration_s, s.predicate.requests, s.predicate.agreement_rate * 100]) if {
	bar
	some s in runs
}

deny contains {"msg": msg} if {
	bar
	champion
	count(runs) == 0
	msg := sprintf("no shadow deployment beside the champion sha256:%s in %s; %s", [champion, input.environment, lib.how("shadow")])
}

deny contains {"msg": msg, "evidence": [s.id]} if {
	bar
	champion
	some s in runs
	s.predicate.champion.digest.sha256 != champion
	msg := sprintf("the shadow ran beside sha256:%s, but the champion in %s is sha256:%s; shadow the champion", [s.predicate.champion.digest.sha256, input.environment, champion])
}

deny contains {"msg": msg, "evidence": [s.id]} if {
	bar
	champion
	some s in runs
	not s.predicate.passed
	msg := sprintf("the shadow deployment (%vs, %v requests) failed its analysis", [s.predicate.duration_s, s.predicate.requests])
}

# Each bar the tier sets: [setting, the predicate's value, at least (true) or at most, words].
# A value the predicate lacks is null, and fails its bar.
checks(p) := [
	["min_duration_s", object.get(p, "duration_s", null), true, "ran %vs, under the tier's %vs"],
	["min_requests", object.get(p, "requests", null), true, "saw %v requests, under the tier's %v"],
	["min_agreement_rate", object.get(p, "agreement_rate", null), true, "agreed with the champion on %v of requests, under the tier's %v"],
	["max_latency_p99_ms", object.get(p, ["latency_ms", "p99"], null), false, "p99 latency %vms is over the tier's %vms"],
	["max_error_rate", object.get(p, "error_rate", null), false, "error rate %v is over the tier's %v"],
]

deny contains {"msg": msg, "evidence": [s.id]} if {
	champion
	some s in runs
	some [key, value, at_least, words] in checks(s.predicate)
	limit := bar[key]
	is_number(value)
	outside(value, limit, at_least)
	msg := sprintf("the shadow %s%s", [sprintf(words, [value, limit]), contradiction(s)])
}

deny contains {"msg": msg, "evidence": [s.id]} if {
	champion
	some s in runs
	some [key, value, _, _] in checks(s.predicate)
	bar[key]
	not is_number(value)
	msg := sprintf("the shadow analysis carries no number for the tier's %s", [key])
}

outside(value, limit, true) if value < limit

outside(value, limit, false) if value > limit

contradiction(s) := "; the analysis said passed, its own numbers do not" if s.predicate.passed == true

else := ""

used := lib.ids(runs)
