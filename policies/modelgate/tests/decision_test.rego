package modelgate.tests.decision

import data.modelgate

t(short) := concat("", ["https://modelgate.dev/attestation/", short, "/v1"])

signer(id, role) := {"id": id, "identity": concat("", [id, "@example.com"]), "roles": [role]}

digest(c) := {"sha256": concat("", [c | some _ in numbers.range(1, 64)])}

fact(id, short, role, pred) := {"id": id, "type": t(short), "signer": signer(role, role), "predicate": pred, "subjects": ["ab"]}

good := [
	fact("dv1", "data-validation", "data", {"dataset": {"name": "train", "digest": digest("1")}, "role": "training", "suite": "s", "success": true, "statistics": {"evaluated": 1, "successful": 1, "unsuccessful": 0}, "validated_at": "2026-11-01T00:00:00Z"}),
	fact("dv2", "data-validation", "data", {"dataset": {"name": "eval", "digest": digest("2")}, "role": "evaluation", "suite": "s", "success": true, "statistics": {"evaluated": 1, "successful": 1, "unsuccessful": 0}, "validated_at": "2026-11-01T00:00:00Z"}),
	fact("tr", "training", "training", {"run_id": "r", "datasets": [{"name": "train", "digest": digest("1"), "role": "training"}], "loss": {"final": 0.3, "nan_detected": false, "diverged": false}, "finished_at": "2026-11-01T00:00:00Z"}),
	fact("ev", "evaluation", "evaluation", {"dataset": {"name": "eval", "digest": digest("2")}, "metrics": {"auc_roc": 0.9, "log_loss": 0.3}, "slices": [{"name": "s", "size": 1000, "metrics": {"auc_roc": 0.85}}, {"name": "tiny", "size": 10, "metrics": {}}], "fairness": [{"attribute": "a", "metric": "disparate_impact_ratio", "value": 1}], "evaluated_at": "2026-11-02T00:00:00Z"}),
	object.union(fact("ap1", "approval", "approver", {"decision": "approved", "environment": "production", "justification": "ok", "approved_at": "2026-11-03T00:00:00Z"}), {"signer": signer("alice", "approver")}),
	object.union(fact("ap2", "approval", "approver", {"decision": "approved", "environment": "production", "justification": "ok", "approved_at": "2026-11-03T00:00:00Z"}), {"signer": signer("bob", "approver")}),
	fact("sm", "smoke-test", "deploy", {"environment": "staging", "endpoint": "e", "requests": 1, "error_rate": 0, "passed": true, "tested_at": "2026-11-03T00:00:00Z"}),
	fact("ca", "canary", "canary", {"environment": "production", "traffic_percent": 5, "duration_s": 60, "passed": true, "analyzed_at": "2026-11-03T00:00:00Z"}),
]

base := {"subject": {"name": "unknown-model", "digest": {"sha256": "ab"}}, "environment": "production", "requested_tier": "", "now": "2026-11-05T00:00:00Z", "champion": null, "evidence": good, "rejected": []}

status(d, id) := [g.status | some g in d.gates; g.id == id][0]

test_all_good_allows if {
	d := modelgate.decision with input as base
	d.allow
	d.tier == "high"
	status(d, "slices") == "warn"
}

test_unknown_model_is_strictest if {
	d := modelgate.decision with input as base
	d.tier_source == "inventory"
}

test_no_evidence_denies if {
	d := modelgate.decision with input as object.union(base, {"evidence": []})
	not d.allow
	status(d, "training") == "fail"
	status(d, "metrics") == "fail"
}

test_wrong_role_denies if {
	bad := object.union(fact("x", "canary", "deploy", {"environment": "production", "passed": true, "analyzed_at": "2026-11-03T00:00:00Z"}), {})
	d := modelgate.decision with input as object.union(base, {"evidence": array.concat(good, [bad])})
	status(d, "authorisation") == "fail"
}

test_waiver_turns_fail_into_waived if {
	nan := object.union(good[2], {"predicate": object.union(good[2].predicate, {"loss": {"final": 0.3, "nan_detected": true, "diverged": false}})})
	waiver := fact("wv", "waiver", "waiver", {"rule": "MG-TRAIN", "environment": "production", "reason": "known", "expires_at": "2027-01-01T00:00:00Z"})
	evidence := array.concat([e | some i, e in good; i != 2], [nan, waiver])
	d := modelgate.decision with input as object.union(base, {"evidence": evidence})
	status(d, "training") == "waived"
	d.allow
	d.waivers == [{"code": "MG-TRAIN", "evidence": ["wv"]}]
}

test_future_rule_only_warns if {
	d := modelgate.decision with input as object.union(base, {"evidence": []})
		with data.modelgate.gates.training.metadata as {"title": "t", "custom": {"code": "MG-TRAIN", "tiers": ["high"], "environments": ["*"], "effective_on": "2027-01-01T00:00:00Z"}}
	status(d, "training") == "warn"
}

test_regression_against_champion if {
	champ := {"name": "m", "digest": digest("9")}
	worse := object.union(good[3], {"predicate": object.union(good[3].predicate, {"metrics": {"auc_roc": 0.85, "log_loss": 0.3}, "baseline": {"name": "m", "digest": digest("9"), "metrics": {"auc_roc": 0.9, "log_loss": 0.3}}})})
	evidence := array.concat([e | some i, e in good; i != 3], [worse])
	d := modelgate.decision with input as object.union(base, {"evidence": evidence, "champion": champ})
	status(d, "regression") == "fail"
}

test_gate_without_metadata_denies if {
	d := modelgate.decision with input as base
		with data.modelgate.gates.training.metadata as null
	not d.allow
}
