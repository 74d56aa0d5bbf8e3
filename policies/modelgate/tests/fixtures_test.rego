# Shared fixtures for the policy tests: one good pipeline's verified facts for
# an unknown (so high-tier) model going to production, and helpers that change
# exactly one thing about it.
package modelgate.tests.fixtures

t(short) := concat("", ["https://modelgate.dev/attestation/", short, "/v1"])

signer(id, role) := {"id": id, "identity": concat("", [id, "@example.com"]), "roles": [role]}

digest(c) := {"sha256": concat("", [c | some _ in numbers.range(1, 64)])}

fact(id, short, role, pred) := {"id": id, "type": t(short), "signer": signer(role, role), "predicate": pred, "subjects": ["ab"]}

how(short, role) := sprintf("produce one with 'modelgate attest --type %s --subject MODEL --predicate FILE --key KEY' signed by a key with the %s role", [short, role])

# Indexes into good: 0 dv1, 1 dv2, 2 tr, 3 ev, 4 ap1, 5 ap2, 6 sm, 7 ca, 8 ex.
good := [
	fact("dv1", "data-validation", "data", {"dataset": {"name": "train", "digest": digest("1")}, "role": "training", "suite": "s", "success": true, "statistics": {"evaluated": 1, "successful": 1, "unsuccessful": 0}, "validated_at": "2026-11-01T00:00:00Z"}),
	fact("dv2", "data-validation", "data", {"dataset": {"name": "eval", "digest": digest("2")}, "role": "evaluation", "suite": "s", "success": true, "statistics": {"evaluated": 1, "successful": 1, "unsuccessful": 0}, "validated_at": "2026-11-01T00:00:00Z"}),
	fact("tr", "training", "training", {"run_id": "r", "datasets": [{"name": "train", "digest": digest("1"), "role": "training"}], "loss": {"final": 0.3, "nan_detected": false, "diverged": false}, "finished_at": "2026-11-01T00:00:00Z"}),
	fact("ev", "evaluation", "evaluation", {"dataset": {"name": "eval", "digest": digest("2")}, "metrics": {"auc_roc": 0.9, "log_loss": 0.3}, "slices": [{"name": "s", "size": 1000, "metrics": {"auc_roc": 0.85}}, {"name": "tiny", "size": 10, "metrics": {}}], "fairness": [{"attribute": "a", "metric": "disparate_impact_ratio", "value": 1}], "latency_ms": {"p50": 10, "p99": 50}, "evaluated_at": "2026-11-02T00:00:00Z"}),
	object.union(fact("ap1", "approval", "approver", {"decision": "approved", "environment": "production", "justification": "ok", "approved_at": "2026-11-03T00:00:00Z"}), {"signer": signer("alice", "approver")}),
	object.union(fact("ap2", "approval", "approver", {"decision": "approved", "environment": "production", "justification": "ok", "approved_at": "2026-11-03T00:00:00Z"}), {"signer": signer("bob", "approver")}),
	fact("sm", "smoke-test", "deploy", {"environment": "staging", "endpoint": "e", "requests": 1, "error_rate": 0, "passed": true, "tested_at": "2026-11-03T00:00:00Z"}),
	fact("ca", "canary", "canary", canary_run({})),
	fact("ex", "explanation", "evaluation", {"dataset": {"name": "eval", "digest": digest("2")}, "method": "permutation", "attributions": [{"feature": "tickets", "value": 0.2}, {"feature": "tenure", "value": 0.1}, {"feature": "spend", "value": 0.05}, {"feature": "region", "value": 0.01}], "explained_at": "2026-11-02T00:00:00Z"}),
]

base := {"subject": {"name": "unknown-model", "digest": {"sha256": "ab"}}, "environment": "production", "requested_tier": "", "now": "2026-11-05T00:00:00Z", "champion": null, "promotions": {"staging": {"passed": true, "vsa": "vsa-staging", "at": "2026-11-04T00:00:00Z"}}, "evidence": good, "rejected": []}

# The champion of the regression tests, and a baseline naming it.
champion := {"name": "m", "digest": digest("9")}

baseline(metrics) := {"name": "m", "digest": digest("9"), "metrics": metrics}

with_evidence(evidence) := object.union(base, {"evidence": evidence})

# patched merges patch into the predicate of good[i].
patched(i, patch) := with_evidence([x |
	some j, e in good
	x := merge_at(j, i, e, patch)
])

merge_at(j, i, e, patch) := object.union(e, {"predicate": object.union(e.predicate, patch)}) if {
	j == i
} else := e

# replaced puts fact in the place of good[i].
replaced(i, fact) := with_evidence([x |
	some j, e in good
	x := swap_at(j, i, e, fact)
])

swap_at(j, i, e, fact) := fact if {
	j == i
} else := e

# without leaves good[i] out.
without(i) := with_evidence([e | some j, e in good; j != i])

# plus adds facts after the good ones.
plus(facts) := with_evidence(array.concat(good, facts))

status(d, id) := [g.status | some g in d.gates; g.id == id][0]

message(d, id) := [g.message | some g in d.gates; g.id == id][0]

# A canary run that holds the high tier's bar, with edits merged over it.
canary_run(edits) := object.union({"environment": "production", "traffic_percent": 5, "duration_s": 3600, "passed": true, "analyzed_at": "2026-11-03T00:00:00Z",
	"control": {"metrics": {"auc_roc": 0.9, "accuracy": 0.85}}, "canary": {"metrics": {"auc_roc": 0.9, "accuracy": 0.85}}}, edits)

# The base input with its canary run replaced.
with_canary(edits) := object.union(base, {"evidence": array.concat([e | some e in base.evidence; e.type != t("canary")], [fact("ca", "canary", "canary", canary_run(edits))])})

# A shadow run beside the champion that holds the high tier's bar, with edits merged over it.
shadow_run(edits) := object.union({"environment": "production", "duration_s": 3600, "requests": 10000, "champion": {"digest": digest("9"), "metrics": {}},
	"shadow": {"metrics": {}}, "agreement_rate": 0.95, "latency_ms": {"p50": 10, "p99": 250}, "error_rate": 0.01, "passed": true, "analyzed_at": "2026-11-03T00:00:00Z"}, edits)

# The base input with the champion set and a shadow run.
with_shadow(edits) := object.union(base, {"champion": champion, "evidence": array.concat(base.evidence, [fact("sh", "shadow", "canary", shadow_run(edits))])})
