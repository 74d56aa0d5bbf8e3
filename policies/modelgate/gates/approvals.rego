# METADATA
# title: Enough independent approvals
# description: The tier's number of approvals for the environment, from distinct approver identities, none of whom signed the training or the evaluation; each newer than the evaluation, unexpired, and reviewing only verified evidence. Any rejection denies.
# custom:
#   code: MG-APPROVALS
#   tiers: [low, medium, high]
#   environments: ["*"]
package modelgate.gates.approvals

import data.modelgate.lib

metadata := lib.package_annotations(rego.metadata.chain())

required := object.get(lib.config, ["approvals", input.environment], 0)

approvals := [a | some a in lib.evidence("approval"); a.predicate.environment == input.environment]

# Whoever signed training or evaluation, with or without the role.
builders contains input.evidence[i].signer.identity if {
	some short in ["training", "evaluation"]
	some i in lib.positions[lib.types[short]]
}

evidence_ids := {e.id | some e in input.evidence}

# Why an approval does not count, by approval id; none means it counts.
flaws[a.id] contains sprintf("self-approval by %s, who signed training or evaluation", [a.signer.identity]) if {
	some a in approvals
	a.signer.identity in builders
}

flaws[a.id] contains "older than the evaluation it approves" if {
	some a in approvals
	time.parse_rfc3339_ns(a.predicate.approved_at) < time.parse_rfc3339_ns(lib.evaluation.predicate.evaluated_at)
}

flaws[a.id] contains sprintf("expired at %s", [a.predicate.expires_at]) if {
	some a in approvals
	time.parse_rfc3339_ns(a.predicate.expires_at) <= lib.now_ns
}

flaws[a.id] contains sprintf("reviewed %s, which is not in the verified evidence", [r]) if {
	some a in approvals
	some r in object.get(a.predicate, "reviewed", [])
	not r in evidence_ids
}

flawed(a) := object.get(flaws, a.id, set())

approvers := {a.signer.identity |
	some a in approvals
	a.predicate.decision == "approved"
	count(flawed(a)) == 0
}

deny contains {"msg": msg, "evidence": [a.id]} if {
	some a in approvals
	a.predicate.decision == "rejected"
	msg := sprintf("%s rejected the model for %s: %s", [a.signer.identity, input.environment, a.predicate.justification])
}

deny contains {"msg": msg, "evidence": lib.ids(approvals)} if {
	count(approvers) < required
	not_counted := [sprintf("%s (%s)", [a.id, concat(", ", flawed(a))]) | some a in approvals; count(flawed(a)) > 0]
	msg := sprintf("%v approval(s) for %s from distinct approvers needed, %v counted%s; %s", [required, input.environment, count(approvers), suffix(not_counted), lib.how("approval")])
}

suffix(xs) := "" if count(xs) == 0

suffix(xs) := concat("", ["; not counted: ", concat("; ", xs)]) if count(xs) > 0

info contains sprintf("%v of %v required approval(s) for %s", [count(approvers), required, input.environment])

used := lib.ids(approvals)
