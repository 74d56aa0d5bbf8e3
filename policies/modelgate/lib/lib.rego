# METADATA
# title: modelgate library
# description: Shared facts for the gates - tier, thresholds, evidence that counts.
package modelgate.lib

# Attestation types by short name. Literal constants, so that the compiler
# folds every lookup instead of building strings at each evaluation.
types := {
	"data-validation": "https://modelgate.dev/attestation/data-validation/v1",
	"training": "https://modelgate.dev/attestation/training/v1",
	"evaluation": "https://modelgate.dev/attestation/evaluation/v1",
	"approval": "https://modelgate.dev/attestation/approval/v1",
	"risk": "https://modelgate.dev/attestation/risk/v1",
	"smoke-test": "https://modelgate.dev/attestation/smoke-test/v1",
	"canary": "https://modelgate.dev/attestation/canary/v1",
	"waiver": "https://modelgate.dev/attestation/waiver/v1",
}

# The role a signer must hold for each predicate type to count.
role_for_type := {
	"https://modelgate.dev/attestation/data-validation/v1": "data",
	"https://modelgate.dev/attestation/training/v1": "training",
	"https://modelgate.dev/attestation/evaluation/v1": "evaluation",
	"https://modelgate.dev/attestation/approval/v1": "approver",
	"https://modelgate.dev/attestation/risk/v1": "risk",
	"https://modelgate.dev/attestation/smoke-test/v1": "deploy",
	"https://modelgate.dev/attestation/canary/v1": "canary",
	"https://modelgate.dev/attestation/waiver/v1": "waiver",
}

# The predicate field that dates each type, for freshness and ordering.
time_field := {
	"https://modelgate.dev/attestation/data-validation/v1": "validated_at",
	"https://modelgate.dev/attestation/training/v1": "finished_at",
	"https://modelgate.dev/attestation/evaluation/v1": "evaluated_at",
	"https://modelgate.dev/attestation/approval/v1": "approved_at",
	"https://modelgate.dev/attestation/smoke-test/v1": "tested_at",
	"https://modelgate.dev/attestation/canary/v1": "analyzed_at",
}

tier_rank := {"low": 1, "medium": 2, "high": 3}

now_ns := time.parse_rfc3339_ns(input.now)

authorised(e) if role_for_type[e.type] in e.signer.roles

# Positions of the evidence by type, found in one pass; sets of numbers keep
# input order and are cheap to build. positions holds the whole document,
# so that a lookup by type does not scan the evidence again.
positions_of[e.type] contains i if some i, e in input.evidence

positions := positions_of

# Evidence of one type that counts: signed by a holder of its role.
evidence(short) := [e |
	some i in positions[types[short]]
	e := input.evidence[i]
	authorised(e)
]

ids(es) := [e.id | some e in es]

# The newest evaluation is the one judged.
evaluations := evidence("evaluation")

evaluation := newest(evaluations)

# newest orders by the type's time, then by id, so ties cannot conflict.
newest(es) := last[2] if {
	ranked := sort([[time.parse_rfc3339_ns(e.predicate[time_field[e.type]]), e.id, e] | some e in es])
	last := ranked[count(ranked) - 1]
}

# Tier: the highest of the inventory's, valid risk attestations', and --tier.
inventory_tier := data.modelgate.tiers.inventory[input.subject.name]

inventory_tier := object.get(data.modelgate.tiers, "default", "high") if {
	not data.modelgate.tiers.inventory[input.subject.name]
}

tier_claims contains {"tier": inventory_tier, "source": "inventory"}

tier_claims contains {"tier": e.predicate.tier, "source": concat("", ["risk attestation ", e.id])} if {
	some e in evidence("risk")
	time.parse_rfc3339_ns(e.predicate.valid_until) > now_ns
}

tier_claims contains {"tier": input.requested_tier, "source": "--tier flag"} if {
	tier_rank[input.requested_tier]
}

max_rank := max({tier_rank[c.tier] | some c in tier_claims})

tier := t if {
	some t, r in tier_rank
	r == max_rank
}

tier_source := concat(", ", sort([c.source | some c in tier_claims; tier_rank[c.tier] == max_rank]))

# Thresholds of the tier, with the model's own overrides merged over them.
config := object.union(
	object.get(data.modelgate.thresholds, ["tiers", tier], {}),
	object.get(data.modelgate.thresholds, ["models", input.subject.name], {}),
)

# Bound checks shared by metrics, slices and fairness. A missing or null
# (NaN) value fails; bounds are inclusive.
bound_faults(what, value, spec) := ["is missing or NaN"] if {
	not is_number(value)
} else := faults if {
	faults := [f |
		some f in [below(value, spec), above(value, spec)]
		f != ""
	]
}

below(value, spec) := sprintf("%v is below the lower bound %v", [value, spec.lower_bound]) if {
	value < spec.lower_bound
} else := ""

above(value, spec) := sprintf("%v is above the upper bound %v", [value, spec.upper_bound]) if {
	value > spec.upper_bound
} else := ""

# The failure of every gate that judges the evaluation when there is none.
no_evaluation := {"msg": sprintf("no evaluation attestation; %s", [how("evaluation")])}

# How to produce a missing attestation.
how(short) := sprintf("produce one with 'modelgate attest --type %s --subject MODEL --predicate FILE --key KEY' signed by a key with the %s role", [short, role_for_type[types[short]]])

# A gate package's own METADATA, from the chain of the rule that asks.
package_annotations(chain) := a if {
	some entry in chain
	a := entry.annotations
	a.scope == "package"
}
