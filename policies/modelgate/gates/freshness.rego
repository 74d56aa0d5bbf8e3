# METADATA
# title: Evidence is fresh
# description: No piece of judged evidence is older than the tier's max_evidence_age_days; evidence superseded by newer evidence of its kind is not judged.
# custom:
#   code: MG-FRESHNESS
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.freshness

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

# object.get, because a plain reference to a missing setting would leave
# "not is_number(...)" undefined and the gate would quietly pass.
max_age_days := object.get(lib.config, "max_evidence_age_days", null)

deny contains {"msg": msg} if {
	not is_number(max_age_days)
	msg := sprintf("the %s tier sets no max_evidence_age_days; set it in modelgate/thresholds/data.yaml", [lib.tier])
}

day_ns := ((24 * 60) * 60) * 1000000000

max_age_ns := max_age_days * day_ns if is_number(max_age_days)

deny contains {"msg": msg, "evidence": [e.id]} if {
	some e in input.evidence
	e.id in lib.judged_ids
	age := lib.now_ns - lib.event_ns(e)
	age > max_age_ns
	msg := sprintf("%s (%s) is %v days old; the %s tier allows %v", [e.id, e.type, floor(age / day_ns), lib.tier, max_age_days])
}
