package modelgate.tests.decision

import data.modelgate
import data.modelgate.tests.fixtures as f

test_all_good_allows if {
	d := modelgate.decision with input as f.base
	d.allow
	d.tier == "high"
	[g.status | some g in d.gates] == ["pass", "pass", "pass", "pass", "pass", "pass", "pass", "pass", "pass", "pass", "pass", "pass", "pass", "pass", "pass", "warn", "pass", "pass"]
	[g.id | some g in d.gates] == ["approvals", "authorisation", "canary", "data_validation", "explanation", "fairness", "freshness", "latency", "lineage", "metrics", "promotion", "regression", "revoked", "shadow", "signed", "slices", "smoke_test", "training"]
	d.waivers == []
}

test_no_evidence_denies_with_how if {
	d := modelgate.decision with input as f.with_evidence([])
	not d.allow
	f.status(d, "training") == "fail"
	f.message(d, "training") == concat("", ["no training attestation; ", f.how("training", "training")])
	f.status(d, "metrics") == "fail"
	failing := [g.id | some g in d.gates; g.status == "fail"]
	failing == ["approvals", "canary", "data_validation", "explanation", "fairness", "latency", "lineage", "metrics", "regression", "slices", "smoke_test", "training"]
}

test_gate_outside_its_environments_is_skipped if {
	d := modelgate.decision with input as object.union(f.base, {"environment": "staging"})
	f.status(d, "canary") == "skipped"
	f.message(d, "canary") == `applies to tiers ["low", "medium", "high"] in environments ["production"]`
	f.status(d, "smoke_test") == "skipped"
}

test_gate_outside_its_tiers_is_skipped if {
	inp := object.union(f.base, {"subject": {"name": "search-ranker", "digest": {"sha256": "ab"}}})
	d := modelgate.decision with input as inp
		with data.modelgate.gates.canary.metadata as {"title": "t", "custom": {"code": "MG-CANARY", "tiers": ["high"], "environments": ["production"]}}
	d.tier == "low"
	f.status(d, "canary") == "skipped"
	low := modelgate.decision with input as inp
	f.status(low, "canary") == "pass"
	f.message(low, "canary") == "canary 5% traffic for 3600s; the low tier asks for no canary"
}

# waived_training judges a NaN training run next to the given waiver.
waived_training(w) := d if {
	nan := object.union(f.good[2], {"predicate": {"loss": {"nan_detected": true}}})
	d := modelgate.decision with input as f.with_evidence(array.concat(f.replaced(2, nan).evidence, [w]))
}

waiver(patch) := object.union(f.fact("wv", "waiver", "waiver", {"rule": "MG-TRAIN", "environment": "production", "reason": "known", "expires_at": "2027-01-01T00:00:00Z"}), patch)

test_waiver_turns_fail_into_waived if {
	d := waived_training(waiver({}))
	f.status(d, "training") == "waived"
	f.message(d, "training") == "training run r detected NaN loss"
	d.allow
	d.waivers == [{"code": "MG-TRAIN", "evidence": ["wv"], "details": [{"id": "wv", "reason": "known", "ticket": "", "expires_at": "2027-01-01T00:00:00Z", "signer": "waiver@example.com"}]}]
}

test_expired_waiver_does_not_count if {
	d := waived_training(waiver({"predicate": {"expires_at": "2026-11-04T00:00:00Z"}}))
	f.status(d, "training") == "fail"
	not d.allow
}

test_waiver_for_another_environment_does_not_count if {
	d := waived_training(waiver({"predicate": {"environment": "staging"}}))
	f.status(d, "training") == "fail"
}

test_waiver_for_another_rule_does_not_count if {
	d := waived_training(waiver({"predicate": {"rule": "MG-DATA"}}))
	f.status(d, "training") == "fail"
	d.waivers == [{"code": "MG-DATA", "evidence": ["wv"], "details": [{"id": "wv", "reason": "known", "ticket": "", "expires_at": "2027-01-01T00:00:00Z", "signer": "waiver@example.com"}]}]
}

test_waiver_over_several_digests_does_not_count if {
	d := waived_training(waiver({"subjects": ["ab", "cd"]}))
	f.status(d, "training") == "fail"
}

test_waiver_from_a_non_waiver_role_does_not_count if {
	d := waived_training(waiver({"signer": f.signer("eve", "approver")}))
	f.status(d, "training") == "fail"
	f.status(d, "authorisation") == "warn"
	d.rejected == [{"id": "wv", "source": "", "reason": "signer eve lacks role waiver for https://modelgate.dev/attestation/waiver/v1; it does not count"}]
}

test_a_waiver_never_lifts_an_approvers_veto if {
	veto := object.union(f.fact("ap3", "approval", "approver", {"decision": "rejected", "environment": "production", "justification": "no", "approved_at": "2026-11-03T00:00:00Z"}), {"signer": f.signer("carol", "approver")})
	w := waiver({"predicate": {"rule": "MG-APPROVALS"}})
	d := modelgate.decision with input as f.plus([veto, w])
	f.status(d, "approvals") == "fail"
	d.allow == false
}

test_future_rule_only_warns if {
	d := modelgate.decision with input as f.with_evidence([])
		with data.modelgate.gates.training.metadata as {"title": "t", "custom": {"code": "MG-TRAIN", "tiers": ["high"], "environments": ["*"], "effective_on": "2027-01-01T00:00:00Z"}}
	f.status(d, "training") == "warn"
	f.message(d, "training") == concat("", ["no training attestation; ", f.how("training", "training"), " (denies from 2027-01-01T00:00:00Z)"])
}

test_rule_past_its_effective_date_denies if {
	d := modelgate.decision with input as f.with_evidence([])
		with data.modelgate.gates.training.metadata as {"title": "t", "custom": {"code": "MG-TRAIN", "tiers": ["high"], "environments": ["*"], "effective_on": "2026-01-01T00:00:00Z"}}
	f.status(d, "training") == "fail"
}

test_revoked_digest_is_denied_and_no_waiver_lifts_it if {
	inp := object.union(f.base, {"revocation": {"record": "sha256:rv", "at": "2026-11-01T00:00:00Z", "signer": "gate@example.com", "reason": "leak"}})
	d := modelgate.decision with input as inp
	not d.allow
	f.status(d, "revoked") == "fail"
}

test_gate_without_metadata_denies if {
	d := modelgate.decision with input as f.base
		with data.modelgate.gates.training.metadata as null
	not d.allow
	count(d.gates) == 17
}

test_decision_lists_evidence_and_rejected if {
	rejected := [{"id": "sha256:bad", "reason": "signature does not verify"}]
	d := modelgate.decision with input as object.union(f.base, {"rejected": rejected})
	d.rejected == rejected
	d.evidence[0] == {"id": "dv1", "type": f.t("data-validation"), "signer": "data@example.com", "signer_id": "data", "time": "2026-11-01T00:00:00Z", "source": ""}
	count(d.evidence) == 9
	d.evaluated_at == "2026-11-05T00:00:00Z"
}

test_decision_measures_what_a_report_charts if {
	d := modelgate.decision with input as f.base
	d.measurements.metrics == [
		{"evaluation": "ev", "name": "auc_roc", "value": 0.9, "bounds": {"lower_bound": 0.83, "max_regression": {"absolute": 0.02}}, "baseline": null},
		{"evaluation": "ev", "name": "log_loss", "value": 0.3, "bounds": {"upper_bound": 0.4, "higher_is_better": false, "max_regression": {"relative": 0.05}}, "baseline": null},
	]
	d.measurements.slices == [
		{"evaluation": "ev", "slice": "s", "size": 1000, "name": "auc_roc", "value": 0.85, "bounds": {"lower_bound": 0.78}},
		{"evaluation": "ev", "slice": "tiny", "size": 10, "name": "auc_roc", "value": null, "bounds": {"lower_bound": 0.78}},
	]
	d.measurements.fairness == [{"evaluation": "ev", "attribute": "a", "name": "disparate_impact_ratio", "value": 1, "bounds": {"lower_bound": 0.8, "upper_bound": 1.25}}]
}

test_decision_dates_evidence_without_a_time_as_empty if {
	w := waiver({})
	d := modelgate.decision with input as f.plus([w])
	[e.time | some e in d.evidence; e.id == "wv"] == [""]
}

slsa(pred) := object.union(f.fact("pv", "provenance", "training", pred), {"type": "https://slsa.dev/provenance/v1"})

test_decision_shows_provenance if {
	github := {
		"buildDefinition": {"buildType": "https://actions.github.io/buildtypes/workflow/v1", "externalParameters": {"workflow": {"repository": "https://github.com/acme/churn", "ref": "refs/heads/main", "path": ".github/workflows/train.yml"}},
		"resolvedDependencies": [{"uri": "git+https://github.com/acme/churn@refs/heads/main", "digest": {"gitCommit": "9b2f0c8e"}}]},
		"runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}, "metadata": {"invocationId": "https://github.com/acme/churn/actions/runs/42/attempts/1"}},
	}
	d := modelgate.decision with input as f.plus([slsa(github)])
	d.allow
	d.provenance == [{"evidence": "pv", "signer": "training@example.com", "builder": "https://github.com/actions/runner/github-hosted", "source": "git+https://github.com/acme/churn@refs/heads/main@gitCommit:9b2f0c8e", "run": "https://github.com/acme/churn/actions/runs/42/attempts/1"}]
	bare := {"buildDefinition": {"externalParameters": {"workflow": {"repository": "https://github.com/acme/churn"}}, "resolvedDependencies": [{"uri": "git+https://github.com/acme/churn"}]}, "runDetails": {"builder": {"id": "b"}}}
	d2 := modelgate.decision with input as f.plus([slsa(bare)])
	d2.provenance[0].source == "git+https://github.com/acme/churn"
	d2.provenance[0].run == ""
	none := {"buildDefinition": {"externalParameters": {"workflow": {"repository": "https://github.com/acme/churn"}}}, "runDetails": {"builder": {"id": "b"}}}
	d3 := modelgate.decision with input as f.plus([slsa(none)])
	d3.provenance[0].source == "https://github.com/acme/churn"
	d4 := modelgate.decision with input as f.base
	d4.provenance == []
}
