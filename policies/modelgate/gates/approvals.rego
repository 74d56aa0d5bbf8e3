# METADATA
# title: Enough independent approvals, and no rejection
# description: The tier's number of approvals for the environment, from distinct approver identities (each approver's newest decision counts), none of whom signed the training or the evaluation; each unexpired, and either reviewing exactly the judged evaluation or newer than it. Any approver's standing rejection, or a trusted approver's unreadable approval, is a veto that no waiver lifts.
# custom:
#   code: MG-APPROVALS
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.approvals

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

required := object.get(lib.config, ["approvals", input.environment], null)

deny contains {"msg": msg} if {
	not is_number(required)
	msg := sprintf("the %s tier sets no approvals for %s; set tiers.%s.approvals.%s in modelgate/thresholds/data.yaml", [lib.tier, input.environment, lib.tier, input.environment])
}

# Whoever signed training or evaluation, with or without the role.
builders contains input.evidence[i].signer.identity if {
	some short in ["training", "evaluation"]
	some i in lib.positions[lib.types[short]]
}

evidence_ids := {e.id | some e in input.evidence}

judged_ids := {e.id | some e in lib.evaluations}

# Why an approval does not count, by approval id; none means it counts.
flaws[a.id] contains sprintf("self-approval by %s, who signed training or evaluation", [a.signer.identity]) if {
	some a in lib.approvals
	a.signer.identity in builders
}

flaws[a.id] contains "not newer than the evaluation it approves" if {
	some a in lib.approvals
	not a.predicate.reviewed
	some e in lib.evaluations
	lib.event_ns(a) <= lib.event_ns(e)
}

flaws[a.id] contains sprintf("reviewed other evidence, not the judged evaluation %s", [e.id]) if {
	some a in lib.approvals
	a.predicate.reviewed
	some e in lib.evaluations
	not e.id in a.predicate.reviewed
}

flaws[a.id] contains sprintf("expired at %s", [a.predicate.expires_at]) if {
	some a in lib.approvals
	time.parse_rfc3339_ns(a.predicate.expires_at) <= lib.now_ns
}

flaws[a.id] contains sprintf("reviewed %s, which is not in the verified evidence", [r]) if {
	some a in lib.approvals
	some r in object.get(a.predicate, "reviewed", [])
	not r in evidence_ids
}

flawed(a) := object.get(flaws, a.id, set())

approvers := {id |
	some id, group in lib.standing
	every a in group {
		a.predicate.decision == "approved"
		count(flawed(a)) == 0
	}
}

deny contains {"msg": msg, "evidence": [a.id], "waivable": false} if {
	some group in lib.standing
	some a in group
	a.predicate.decision == "rejected"
	msg := sprintf("%s rejected the model for %s: %s", [a.signer.identity, input.environment, a.predicate.justification])
}

deny contains {"msg": msg, "evidence": [r.id], "waivable": false} if {
	some r in lib.unreadable_approvals
	msg := sprintf("an approval %s signed by %s cannot be read (%s); it counts as a rejection until %s signs a newer readable one", [r.id, r.signer.identity, r.reason, r.signer.identity])
}

deny contains {"msg": msg, "evidence": lib.ids(lib.approvals)} if {
	count(approvers) < required
	not_counted := [sprintf("%s (%s)", [a.id, concat(", ", flawed(a))]) | some group in lib.standing; some a in group; count(flawed(a)) > 0]
	msg := sprintf("%v approval(s) for %s from distinct approvers needed, %v counted%s; %s", [required, input.environment, count(approvers), suffix(not_counted), lib.how("approval")])
}

suffix(xs) := "" if count(xs) == 0

suffix(xs) := concat("", ["; not counted: ", concat("; ", sort(xs))]) if count(xs) > 0

info contains sprintf("%v of %v required approval(s) for %s", [count(approvers), required, input.environment])

used := sort([a.id | some group in lib.standing; some a in group])
