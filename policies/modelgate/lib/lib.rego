# METADATA
# title: modelgate library
# description: Shared facts for the gates - tier, thresholds, evidence that counts.
package modelgate.lib

# The evidence kinds, from the registry the binary carries (attest.Kinds,
# written to modelgate/kinds/data.json): each kind's predicate type by its
# short name, the role a signer must hold for it to count, and the
# predicate field that dates it. Plain data references, so that evaluation
# builds nothing to look a kind up.
types := data.modelgate.kinds.types

role_for_type := data.modelgate.kinds.roles

time_field := data.modelgate.kinds.time_fields

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

# The time that dates a piece of evidence (normalised by modelgate).
event_ns(e) := time.parse_rfc3339_ns(e.predicate[time_field[e.type]])

# judged keeps the newest of competing evidence: every one that shares the
# newest time, so that the worst of them counts. Ties are never broken by
# envelope id, which is not signed.
judged(es) := [e | some e in es; event_ns(e) == latest] if {
	latest := max({event_ns(e) | some e in es})
} else := []

# The evaluations judged: the newest (all of them when several share its time).
evaluations := judged(evidence("evaluation"))

# Data validations judged for a dataset: the newest for that digest.
validations(digest) := judged([v |
	some v in evidence("data-validation")
	v.predicate.dataset.digest.sha256 == digest
])

validated_digests := {v.predicate.dataset.digest.sha256 | some v in evidence("data-validation")}

# Training runs judged: the newest.
trainings := judged(evidence("training"))

explanations := judged(evidence("explanation"))

# Approvals for this environment, and each approver's standing: their newest.
approvals := [a | some a in evidence("approval"); a.predicate.environment == input.environment]

standing[id] := judged([a | some a in approvals; a.signer.identity == id]) if {
	some x in approvals
	id := x.signer.identity
}

# Approvals a trusted approver signed that cannot be read: each counts as a
# rejection until the same approver signs a newer readable one (any readable
# one, when the unreadable one's own time cannot be read).
unreadable_approvals := [r |
	some r in input.rejected
	r.type == types.approval
	"approver" in r.signer.roles
	not superseded(r)
]

superseded(r) if {
	some a in evidence("approval")
	a.signer.identity == r.signer.identity
	newer_than(a, r)
}

newer_than(a, r) if not r.time

newer_than(a, r) if event_ns(a) > time.parse_rfc3339_ns(r.time)

# Every envelope that is judged, for freshness.
judged_ids contains e.id if {
	some set in [evaluations, trainings, explanations]
	some e in set
}

judged_ids contains v.id if {
	some d in validated_digests
	some v in validations(d)
}

judged_ids contains a.id if {
	some group in standing
	some a in group
}

judged_ids contains e.id if {
	some short in ["smoke-test", "canary", "shadow"]
	some env in {x.predicate.environment | some x in evidence(short)}
	some e in judged([x | some x in evidence(short); x.predicate.environment == env])
}

# Tier: the highest of the inventory's, valid risk attestations', and --tier.
inventory_tier := data.modelgate.tiers.inventory[input.subject.name]

inventory_tier := object.get(data.modelgate.tiers, "default", "high") if {
	not data.modelgate.tiers.inventory[input.subject.name]
}

tier_claims contains {"tier": inventory_tier, "source": "inventory"} if data.modelgate.tiers.inventory[input.subject.name]

tier_claims contains {"tier": inventory_tier, "source": "inventory default (unknown model)"} if not data.modelgate.tiers.inventory[input.subject.name]

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

no_evaluations if count(evaluations) == 0

# Envelopes whose trusted signer lacks the role for their type count for
# nothing and are listed as rejected.
role_rejected := [{"id": e.id, "source": object.get(e, "source", ""), "reason": sprintf("signer %s lacks role %s for %s; it does not count", [e.signer.id, role_for_type[e.type], e.type])} |
	some e in input.evidence
	role_for_type[e.type]
	not authorised(e)
]

# How to produce a missing attestation.
how(short) := sprintf("produce one with 'modelgate attest --type %s --subject MODEL --predicate FILE --key KEY' signed by a key with the %s role", [short, role_for_type[types[short]]])

# A gate package's own METADATA, from the chain of the rule that asks.
package_annotations(chain) := a if {
	some entry in chain
	a := entry.annotations
	a.scope == "package"
}
