package modelgate.tests.gates

import data.modelgate.gates
import data.modelgate.tests.fixtures as f

ones := f.digest("1").sha256

twos := f.digest("2").sha256

nines := f.digest("9").sha256

# Every gate passes on the good pipeline.
test_every_gate_passes_on_good_evidence if {
	denials := [d | some g in gates; some d in g.deny] with input as f.base
	denials == []
}

# authorisation

test_authorisation_warns_of_a_signer_outside_its_role if {
	bad := f.fact("x", "canary", "deploy", {"environment": "production", "passed": true, "analyzed_at": "2026-11-03T00:00:00Z"})
	gates.authorisation.warn == {{"msg": "x (https://modelgate.dev/attestation/canary/v1) is signed by deploy, who lacks the canary role; it does not count", "evidence": ["x"]}} with input as f.plus([bad])
}

# data validation

test_data_validation_denies_an_unvalidated_dataset if {
	gates.data_validation.deny == {{"msg": sprintf("dataset sha256:%s has no data-validation attestation; %s", [ones, f.how("data-validation", "data")])}} with input as f.without(0)
}

test_data_validation_that_contradicts_itself_fails if {
	inp := f.patched(0, {"statistics": {"evaluated": 4, "successful": 3, "unsuccessful": 1}, "results": [{"check": "nulls", "success": false}], "drift": [{"feature": "age", "metric": "psi", "value": 0.4, "threshold": 0.2}]})
	gates.data_validation.deny == {
		{"msg": "data validation of train claims success, but 1 of 4 checks failed", "evidence": ["dv1"]},
		{"msg": "data validation of train claims success, but check nulls failed", "evidence": ["dv1"]},
		{"msg": "data validation of train claims success, but drift of age (psi 0.4) is over its threshold 0.2", "evidence": ["dv1"]},
	} with input as inp
}

test_data_validation_judges_the_newest_for_a_dataset if {
	older := object.union(f.good[0], {"id": "dv0", "predicate": {"success": false, "validated_at": "2026-10-01T00:00:00Z"}})
	count(gates.data_validation.deny) == 0 with input as f.plus([older])
}

test_data_validation_denies_a_failed_validation if {
	inp := f.patched(0, {"success": false, "statistics": {"evaluated": 4, "successful": 3, "unsuccessful": 1}})
	gates.data_validation.deny == {{"msg": "data validation of train failed (suite s: 1 of 4 checks failed)", "evidence": ["dv1"]}} with input as inp
}

# training

test_training_denies_without_a_run if {
	gates.training.deny == {{"msg": concat("", ["no training attestation; ", f.how("training", "training")])}} with input as f.without(2)
}

test_training_denies_nan_loss if {
	gates.training.deny == {{"msg": "training run r detected NaN loss", "evidence": ["tr"]}} with input as f.patched(2, {"loss": {"nan_detected": true}})
}

test_training_denies_divergence if {
	gates.training.deny == {{"msg": "training run r diverged", "evidence": ["tr"]}} with input as f.patched(2, {"loss": {"diverged": true}})
}

test_training_denies_a_nan_final_loss if {
	gates.training.deny == {{"msg": "training run r has no final loss (NaN)", "evidence": ["tr"]}} with input as f.patched(2, {"loss": {"final": null}})
}

test_training_denies_a_missing_final_loss if {
	tr := json.remove(f.good[2], ["predicate/loss/final"])
	gates.training.deny == {{"msg": "training run r has no final loss (NaN)", "evidence": ["tr"]}} with input as f.replaced(2, tr)
}

# lineage

test_lineage_denies_evaluating_on_training_data if {
	inp := f.patched(3, {"dataset": {"name": "train", "digest": f.digest("1")}})
	gates.lineage.deny == {{"msg": sprintf("the evaluation dataset train (sha256:%s) is also a dataset the training used; evaluate on held-out data", [ones]), "evidence": ["ev"]}} with input as inp
}

test_lineage_denies_evaluating_on_data_training_gave_another_role if {
	tr := object.union(f.good[2], {"predicate": {"datasets": [{"name": "train", "digest": f.digest("1"), "role": "training"}, {"name": "eval", "digest": f.digest("2"), "role": "holdout"}]}})
	gates.lineage.deny == {{"msg": sprintf("the evaluation dataset eval (sha256:%s) is also a dataset the training used; evaluate on held-out data", [twos]), "evidence": ["ev"]}} with input as f.replaced(2, tr)
}

test_lineage_denies_an_unvalidated_evaluation_dataset if {
	gates.lineage.deny == {{"msg": sprintf("the evaluation dataset sha256:%s was never validated; %s", [twos, f.how("data-validation", "data")]), "evidence": ["ev"]}} with input as f.without(1)
}

test_lineage_denies_an_unvalidated_training_dataset if {
	gates.lineage.deny == {{"msg": sprintf("training dataset sha256:%s was never validated; %s", [ones, f.how("data-validation", "data")])}} with input as f.without(0)
}

# Every gate that judges the evaluation fails without one, saying how to make it.

no_evaluation := {"msg": concat("", ["no evaluation attestation; ", f.how("evaluation", "evaluation")])}

test_gates_that_judge_the_evaluation_deny_without_one if {
	inp := f.without(3)
	gates.metrics.deny == {no_evaluation} with input as inp
	gates.fairness.deny == {no_evaluation} with input as inp
	gates.slices.deny == {no_evaluation} with input as inp
	gates.lineage.deny == {no_evaluation} with input as inp
	gates.regression.deny == {no_evaluation} with input as inp
	gates.regression.deny == {no_evaluation} with input as object.union(inp, {"champion": f.champion})
}

test_data_validation_denies_without_datasets if {
	msg := sprintf("no training or evaluation attestation names a dataset to check; %s, and %s", [f.how("training", "training"), f.how("evaluation", "evaluation")])
	gates.data_validation.deny == {{"msg": msg}} with input as f.with_evidence([f.good[0], f.good[1]])
}

# metrics

test_metrics_deny_below_a_floor if {
	gates.metrics.deny == {{"msg": "metric auc_roc 0.8 is below the lower bound 0.83", "evidence": ["ev"]}} with input as f.patched(3, {"metrics": {"auc_roc": 0.8}})
}

test_metrics_deny_above_a_ceiling if {
	gates.metrics.deny == {{"msg": "metric log_loss 0.5 is above the upper bound 0.4", "evidence": ["ev"]}} with input as f.patched(3, {"metrics": {"log_loss": 0.5}})
}

test_metrics_deny_nan if {
	gates.metrics.deny == {{"msg": "metric log_loss is missing or NaN", "evidence": ["ev"]}} with input as f.patched(3, {"metrics": {"log_loss": null}})
}

test_metrics_deny_a_missing_metric if {
	ev := json.remove(f.good[3], ["predicate/metrics/log_loss"])
	gates.metrics.deny == {{"msg": "metric log_loss is missing or NaN", "evidence": ["ev"]}} with input as f.replaced(3, ev)
}

test_metrics_bounds_are_inclusive if {
	count(gates.metrics.deny) == 0 with input as f.patched(3, {"metrics": {"auc_roc": 0.83, "log_loss": 0.4}})
}

# regression

against_champion(metrics, champion_metrics) := object.union(
	f.patched(3, {"metrics": metrics, "baseline": f.baseline(champion_metrics)}),
	{"champion": f.champion},
)

own(metrics) := object.union(f.fact("cev", "evaluation", "evaluation", {"dataset": {"name": "eval", "digest": f.digest("2")}, "metrics": metrics, "evaluated_at": "2026-10-01T00:00:00Z"}), {"subjects": ["99"]})

with_own(inp, evaluations) := object.union(inp, {"champion": object.union(f.champion, {"evaluations": evaluations})})

test_regression_baseline_must_be_the_champions_own_evaluation if {
	inp := against_champion({"auc_roc": 0.9, "log_loss": 0.3}, {"auc_roc": 0.9, "log_loss": 0.3})
	count(gates.regression.deny) == 0 with input as with_own(inp, [own({"auc_roc": 0.9, "log_loss": 0.3})])
	count(gates.regression.deny) == 0 with input as with_own(inp, [own({"auc_roc": 0.9000000001, "log_loss": 0.3})])
	gates.regression.deny == {{"msg": "baseline metrics differ from the champion's own evaluation cev: auc_roc is 0.9 in the baseline, 0.95 in the champion's evaluation", "evidence": ["ev", "cev"]}} with input as with_own(inp, [own({"auc_roc": 0.95, "log_loss": 0.3})])
	gates.regression.deny == {{"msg": "baseline metrics differ from the champion's own evaluation cev: log_loss is 0.3 in the baseline, null in the champion's evaluation", "evidence": ["ev", "cev"]}} with input as with_own(inp, [own({"auc_roc": 0.9})])
}

test_regression_a_nan_baseline_matches_a_nan_evaluation if {
	inp := against_champion({"auc_roc": 0.9, "log_loss": 0.3}, {"auc_roc": 0.9, "log_loss": 0.3, "brier": null})
	count(gates.regression.deny) == 0 with input as with_own(inp, [own({"auc_roc": 0.9, "log_loss": 0.3, "brier": null})])
}

test_regression_other_datasets_and_roles_are_not_the_champions_own if {
	inp := against_champion({"auc_roc": 0.9, "log_loss": 0.3}, {"auc_roc": 0.9, "log_loss": 0.3})
	other := object.union(own({"auc_roc": 0.5}), {"predicate": {"dataset": {"name": "x", "digest": f.digest("7")}}})
	forged := object.union(own({"auc_roc": 0.5}), {"signer": f.signer("eve", "approver")})
	count(gates.regression.deny) == 0 with input as with_own(inp, [other, forged])
}

test_regression_without_champion_says_first_deployment if {
	count(gates.regression.deny) == 0 with input as f.base
	gates.regression.info == {"no champion for this model and environment: change limits do not apply (first deployment)"} with input as f.base
}

test_regression_passes_within_limits if {
	inp := against_champion({"auc_roc": 0.89, "log_loss": 0.31}, {"auc_roc": 0.9, "log_loss": 0.3})
	count(gates.regression.deny) == 0 with input as inp
	gates.regression.info == {sprintf("compared against champion sha256:%s", [nines])} with input as inp
}

test_regression_passes_an_improvement if {
	count(gates.regression.deny) == 0 with input as against_champion({"auc_roc": 0.95, "log_loss": 0.2}, {"auc_roc": 0.9, "log_loss": 0.3})
}

test_regression_denies_without_a_baseline if {
	gates.regression.deny == {{"msg": sprintf("the evaluation has no baseline; evaluate against the champion sha256:%s", [nines]), "evidence": ["ev"]}} with input as object.union(f.base, {"champion": f.champion})
}

test_regression_denies_a_baseline_that_is_not_the_champion if {
	inp := object.union(f.patched(3, {"baseline": {"name": "m", "digest": f.digest("8"), "metrics": {}}}), {"champion": f.champion})
	gates.regression.deny == {{"msg": sprintf("the evaluation's baseline sha256:%s is not the champion sha256:%s; re-evaluate against the champion", [f.digest("8").sha256, nines]), "evidence": ["ev"]}} with input as inp
}

test_regression_denies_an_absolute_drop if {
	gates.regression.deny == {{"msg": "metric auc_roc regressed by 0.05 against the champion (0.9 → 0.85); the limit is 0.02", "evidence": ["ev"]}} with input as against_champion({"auc_roc": 0.85}, {"auc_roc": 0.9, "log_loss": 0.3})
}

test_regression_denies_a_relative_rise_of_a_lower_is_better_metric if {
	gates.regression.deny == {{"msg": "metric log_loss regressed by 16.6667% relative to the champion (0.3 → 0.35); the limit is 5%", "evidence": ["ev"]}} with input as against_champion({"log_loss": 0.35}, {"auc_roc": 0.9, "log_loss": 0.3})
}

test_regression_denies_a_zero_baseline_for_a_relative_limit if {
	gates.regression.deny == {{"msg": "metric log_loss has a champion value of 0, so a relative change limit cannot be judged", "evidence": ["ev"]}} with input as against_champion({}, {"auc_roc": 0.9, "log_loss": 0})
}

test_regression_denies_a_metric_the_champion_lacks if {
	gates.regression.deny == {{"msg": "metric log_loss is missing or NaN for the candidate or the champion", "evidence": ["ev"]}} with input as against_champion({}, {"auc_roc": 0.9})
}

# slices

test_slices_warn_on_a_small_slice if {
	gates.slices.warn == {{"msg": "slice tiny has 10 examples, fewer than min_size 500; its floors were not judged", "evidence": ["ev"]}} with input as f.base
}

test_slices_deny_below_a_floor if {
	inp := f.patched(3, {"slices": [{"name": "s", "size": 1000, "metrics": {"auc_roc": 0.7}}]})
	gates.slices.deny == {{"msg": "slice s: metric auc_roc 0.7 is below the lower bound 0.78", "evidence": ["ev"]}} with input as inp
	count(gates.slices.warn) == 0 with input as inp
}

test_slices_deny_an_evaluation_without_slices if {
	gates.slices.deny == {{"msg": "the evaluation reports no slices, but the high tier sets slice floors for [\"auc_roc\"]", "evidence": ["ev"]}} with input as f.patched(3, {"slices": []})
}

test_slices_deny_a_missing_required_slice if {
	gates.slices.deny == {{"msg": "the evaluation lacks the required slice mobile", "evidence": ["ev"]}} with input as f.base
		with data.modelgate.thresholds.tiers.high.slices.required as ["s", "mobile"]
}

test_slices_deny_a_missing_metric if {
	inp := f.patched(3, {"slices": [{"name": "s", "size": 500, "metrics": {}}]})
	gates.slices.deny == {{"msg": "slice s: metric auc_roc is missing or NaN", "evidence": ["ev"]}} with input as inp
}

# fairness

test_fairness_denies_a_missing_attribute if {
	gates.fairness.deny == {{"msg": "the evaluation reports no fairness metric disparate_impact_ratio for attribute region", "evidence": ["ev"]}} with input as f.base
		with data.modelgate.thresholds.tiers.high.fairness.disparate_impact_ratio.attributes as ["a", "region"]
}

test_fairness_denies_an_unreported_metric if {
	inp := f.patched(3, {"fairness": []})
	gates.fairness.deny == {{"msg": "the evaluation reports no fairness metric disparate_impact_ratio", "evidence": ["ev"]}} with input as inp
}

test_fairness_denies_out_of_bounds if {
	inp := f.patched(3, {"fairness": [
		{"attribute": "age", "metric": "disparate_impact_ratio", "value": 0.7},
		{"attribute": "sex", "metric": "disparate_impact_ratio", "value": 1.3},
		{"attribute": "region", "metric": "disparate_impact_ratio", "value": 1.25},
	]})
	gates.fairness.deny == {
		{"msg": "fairness disparate_impact_ratio for age 0.7 is below the lower bound 0.8", "evidence": ["ev"]},
		{"msg": "fairness disparate_impact_ratio for sex 1.3 is above the upper bound 1.25", "evidence": ["ev"]},
	} with input as inp
}

# approvals

approval(id, who, patch) := object.union(
	object.union(f.fact(id, "approval", "approver", {"decision": "approved", "environment": "production", "justification": "ok", "approved_at": "2026-11-03T00:00:00Z"}), {"signer": f.signer(who, "approver")}),
	{"predicate": patch},
)

short_of_two(counted, not_counted) := {short_of_two_with(counted, not_counted, ["ap1", "ap2"])}

short_of_two_with(counted, not_counted, ids) := {"msg": sprintf("2 approval(s) for production from distinct approvers needed, %v counted%s; %s", [counted, not_counted, f.how("approval", "approver")]), "evidence": ids}

test_approvals_count_distinct_approvers if {
	gates.approvals.info == {"2 of 2 required approval(s) for production"} with input as f.base
}

test_approvals_deny_self_approval if {
	inp := f.replaced(4, approval("ap1", "evaluation", {}))
	gates.approvals.deny == short_of_two(1, "; not counted: ap1 (self-approval by evaluation@example.com, who signed training or evaluation)") with input as inp
}

test_approvals_deny_one_approver_twice if {
	gates.approvals.deny == short_of_two(1, "") with input as f.replaced(5, approval("ap2", "alice", {}))
}

test_approvals_older_than_the_evaluation_do_not_count if {
	inp := f.replaced(4, approval("ap1", "alice", {"approved_at": "2026-11-01T00:00:00Z"}))
	gates.approvals.deny == short_of_two(1, "; not counted: ap1 (not newer than the evaluation it approves)") with input as inp
}

test_approvals_reviewing_another_evaluation_do_not_count if {
	inp := f.replaced(4, approval("ap1", "alice", {"reviewed": ["dv1"]}))
	gates.approvals.deny == short_of_two(1, "; not counted: ap1 (reviewed other evidence, not the judged evaluation ev)") with input as inp
}

test_approvals_reviewing_the_judged_evaluation_count_whatever_their_time if {
	count(gates.approvals.deny) == 0 with input as f.replaced(4, approval("ap1", "alice", {"reviewed": ["ev"], "approved_at": "2026-11-01T00:00:00Z"}))
}

test_approvals_the_newest_decision_of_an_approver_counts if {
	lifted := f.plus([approval("ap0", "alice", {"decision": "rejected", "justification": "not yet", "approved_at": "2026-11-02T12:00:00Z"})])
	count(gates.approvals.deny) == 0 with input as lifted
	vetoed := f.plus([approval("ap3", "alice", {"decision": "rejected", "justification": "changed my mind", "approved_at": "2026-11-04T00:00:00Z"})])
	gates.approvals.deny == {
		{"msg": "alice@example.com rejected the model for production: changed my mind", "evidence": ["ap3"], "waivable": false},
		short_of_two_with(1, "", ["ap1", "ap2", "ap3"]),
	} with input as vetoed
}

test_approvals_tied_decisions_of_one_approver_take_the_worst if {
	tied := f.plus([approval("ap3", "alice", {"decision": "rejected", "justification": "no"})])
	gates.approvals.deny == {
		{"msg": "alice@example.com rejected the model for production: no", "evidence": ["ap3"], "waivable": false},
		short_of_two_with(1, "", ["ap1", "ap2", "ap3"]),
	} with input as tied
}

unreadable(time) := object.union({"id": "ap9", "source": "s", "reason": "predicate fails its schema", "type": f.t("approval"), "signer": f.signer("carol", "approver")}, time)

test_approvals_an_unreadable_approval_vetoes if {
	inp := object.union(f.base, {"rejected": [unreadable({"time": "2026-11-03T00:00:00Z"})]})
	gates.approvals.deny == {{"msg": "an approval ap9 signed by carol@example.com cannot be read (predicate fails its schema); it counts as a rejection until carol@example.com signs a newer readable one", "evidence": ["ap9"], "waivable": false}} with input as inp
}

test_approvals_a_newer_readable_approval_lifts_an_unreadable_one if {
	inp := object.union(f.plus([approval("ap3", "carol", {"approved_at": "2026-11-04T00:00:00Z"})]), {"rejected": [unreadable({"time": "2026-11-03T00:00:00Z"})]})
	count(gates.approvals.deny) == 0 with input as inp
	undated := object.union(f.plus([approval("ap3", "carol", {})]), {"rejected": [unreadable({})]})
	count(gates.approvals.deny) == 0 with input as undated
}

test_approvals_an_older_readable_approval_does_not_lift_an_unreadable_one if {
	inp := object.union(f.plus([approval("ap3", "carol", {"approved_at": "2026-11-02T00:00:00Z"})]), {"rejected": [unreadable({"time": "2026-11-03T00:00:00Z"})]})
	count(gates.approvals.deny) == 1 with input as inp
}

test_approvals_need_a_count_for_the_environment if {
	gates.approvals.deny == {{"msg": "the high tier sets no approvals for production; set tiers.high.approvals.production in modelgate/thresholds/data.yaml"}} with input as f.base
		with data.modelgate.thresholds.tiers.high.approvals.production as null
}

test_approvals_expired_do_not_count if {
	inp := f.replaced(4, approval("ap1", "alice", {"expires_at": "2026-11-04T00:00:00Z"}))
	gates.approvals.deny == short_of_two(1, "; not counted: ap1 (expired at 2026-11-04T00:00:00Z)") with input as inp
}

test_approvals_unexpired_count if {
	count(gates.approvals.deny) == 0 with input as f.replaced(4, approval("ap1", "alice", {"expires_at": "2026-12-01T00:00:00Z"}))
}

test_approvals_reviewing_unverified_evidence_do_not_count if {
	inp := f.replaced(4, approval("ap1", "alice", {"reviewed": ["ev", "sha256:gone"]}))
	gates.approvals.deny == short_of_two(1, "; not counted: ap1 (reviewed sha256:gone, which is not in the verified evidence)") with input as inp
}

test_approvals_reviewing_verified_evidence_count if {
	count(gates.approvals.deny) == 0 with input as f.replaced(4, approval("ap1", "alice", {"reviewed": ["ev", "tr"]}))
}

test_approvals_for_another_environment_do_not_count if {
	inp := f.replaced(4, approval("ap1", "alice", {"environment": "staging"}))
	gates.approvals.deny == {{"msg": sprintf("2 approval(s) for production from distinct approvers needed, 1 counted; %s", [f.how("approval", "approver")]), "evidence": ["ap2"]}} with input as inp
}

test_approvals_any_rejection_denies if {
	inp := f.plus([approval("ap3", "carol", {"decision": "rejected", "justification": "bias in region slice"})])
	gates.approvals.deny == {{"msg": "carol@example.com rejected the model for production: bias in region slice", "evidence": ["ap3"], "waivable": false}} with input as inp
}

# smoke test

test_smoke_test_denies_without_a_staging_test if {
	gates.smoke_test.deny == {{"msg": concat("", ["no staging smoke test; deploy to staging and ", f.how("smoke-test", "deploy")])}} with input as f.without(6)
}

test_smoke_test_in_production_does_not_count if {
	count(gates.smoke_test.deny) == 1 with input as f.patched(6, {"environment": "production"})
}

test_smoke_test_denies_a_failed_test if {
	inp := f.patched(6, {"passed": false, "error_rate": 0.5, "requests": 10})
	gates.smoke_test.deny == {{"msg": "the staging smoke test at e failed (error rate 0.5 over 10 requests)", "evidence": ["sm"]}} with input as inp
}

test_smoke_test_passes_after_a_retry if {
	failed := object.union(f.good[6], {"id": "sm0", "predicate": {"passed": false, "tested_at": "2026-11-02T00:00:00Z"}})
	count(gates.smoke_test.deny) == 0 with input as f.plus([failed])
}

test_smoke_test_a_newer_failure_is_not_masked if {
	failed := object.union(f.good[6], {"id": "sm9", "predicate": {"passed": false, "tested_at": "2026-11-04T00:00:00Z"}})
	gates.smoke_test.deny == {{"msg": "the staging smoke test at e failed (error rate 0 over 1 requests)", "evidence": ["sm9"]}} with input as f.plus([failed])
}

test_smoke_test_tied_results_take_the_worst if {
	failed := object.union(f.good[6], {"id": "sm9", "predicate": {"passed": false}})
	gates.smoke_test.deny == {{"msg": "the staging smoke test at e failed (error rate 0 over 1 requests)", "evidence": ["sm9"]}} with input as f.plus([failed])
}

smoke_claims(patch) := d if {
	d := gates.smoke_test.deny with input as f.patched(6, patch)
}

test_smoke_test_that_contradicts_itself_fails if {
	smoke_claims({"error_rate": 0.5, "errors": 1, "requests": 2}) == {{"msg": "the staging smoke test at e claims to pass, but its error rate 0.5 is over the high tier's limit 0.01", "evidence": ["sm"]}}
	smoke_claims({"latency_ms": {"p50": 1, "p99": 900}}) == {{"msg": "the staging smoke test at e claims to pass, but its p99 latency 900ms is over the high tier's limit 250ms", "evidence": ["sm"]}}
	smoke_claims({"errors": 1, "requests": 200, "error_rate": 0}) == {{"msg": "the staging smoke test at e claims to pass, but 1 errors in 200 requests is not the error rate 0 it reports", "evidence": ["sm"]}}
	smoke_claims({"requests": 0}) == {{"msg": "the staging smoke test at e claims to pass, but it served no requests", "evidence": ["sm"]}}
}

# canary

test_canary_denies_without_a_run if {
	gates.canary.deny == {{"msg": concat("", ["no canary analysis in production; ", f.how("canary", "canary")])}} with input as f.without(7)
}

test_canary_denies_a_failed_run if {
	gates.canary.deny == {{"msg": "the canary at 5% traffic for 3600s failed its analysis", "evidence": ["ca"]}} with input as f.patched(7, {"passed": false})
}

# freshness

test_freshness_denies_stale_evidence if {
	inp := f.patched(0, {"validated_at": "2026-09-01T00:00:00Z"})
	gates.freshness.deny == {{"msg": "dv1 (https://modelgate.dev/attestation/data-validation/v1) is 65 days old; the high tier allows 30", "evidence": ["dv1"]}} with input as inp
}

test_freshness_denies_a_tier_without_a_limit if {
	gates.freshness.deny == {{"msg": "the high tier sets no max_evidence_age_days; set it in modelgate/thresholds/data.yaml"}} with input as f.base
		with data.modelgate.thresholds as {"tiers": {"high": {}}}
}

test_freshness_denies_a_limit_that_is_not_a_number if {
	gates.freshness.deny == {{"msg": "the high tier sets no max_evidence_age_days; set it in modelgate/thresholds/data.yaml"}} with input as f.base
		with data.modelgate.thresholds as {"tiers": {"high": {"max_evidence_age_days": "30"}}}
}

# promotion order

test_promotion_passes_through_staging if {
	count(gates.promotion.deny) == 0 with input as f.base
	gates.promotion.used == ["vsa-staging"] with input as f.base
	gates.promotion.info == {"promoted through staging"} with input as f.base
}

test_promotion_denies_production_without_staging if {
	inp := object.union(f.base, {"promotions": {"staging": {"passed": false}}})
	gates.promotion.deny == {{"msg": "no PASSED decision for this digest in staging, which production requires; promote it there first with 'modelgate verify --subject MODEL --env staging --vsa-key GATE_KEY'"}} with input as inp
}

test_promotion_requires_nothing_of_staging if {
	inp := object.union(f.base, {"environment": "staging", "promotions": {}})
	count(gates.promotion.deny) == 0 with input as inp
	count(gates.promotion.info) == 0 with input as inp
}

# revocation

test_revoked_denies_unwaivably if {
	inp := object.union(f.base, {"revocation": {"record": "sha256:rv", "at": "2026-11-01T00:00:00Z", "signer": "gate@example.com", "reason": "label leak"}})
	gates.revoked.deny == {{"msg": "revoked in production at 2026-11-01T00:00:00Z by gate@example.com: label leak; a revocation is final for a digest: ship the fix as a new digest", "waivable": false, "evidence": ["sha256:rv"]}} with input as inp
}

test_not_revoked_passes if {
	count(gates.revoked.deny) == 0 with input as f.base
	gates.revoked.info == {"no revocation in the ledger"} with input as f.base
}

# canary numbers: each bound just inside and just outside

canary_msgs(edits) := msgs if {
	msgs := {d.msg | some d in gates.canary.deny} with input as f.with_canary(edits)
}

test_canary_on_its_numbers_passes_just_inside if {
	count(canary_msgs({"duration_s": 1800, "traffic_percent": 1, "canary": {"metrics": {"auc_roc": 0.8801, "accuracy": 0.7651}}})) == 0
	gates.canary.info == {"canary 5% traffic for 3600s"} with input as f.base
}

test_canary_too_short_and_too_small_fails_just_outside if {
	canary_msgs({"duration_s": 1799, "traffic_percent": 0.9}) == {
		"the canary ran 1799s, under the tier's 1800s; the analysis said passed, its own numbers do not",
		"the canary saw 0.9% of traffic, under the tier's 1%; the analysis said passed, its own numbers do not",
	}
}

test_canary_regression_against_the_control_fails_just_outside if {
	canary_msgs({"canary": {"metrics": {"auc_roc": 0.8799, "accuracy": 0.7649}}}) == {
		"canary metric auc_roc is 0.0201 worse than the control (0.9 → 0.8799); the limit is 0.02; the analysis said passed, its own numbers do not",
		"canary metric accuracy is 10.0118% worse than the control (0.85 → 0.7649); the limit is 10%; the analysis said passed, its own numbers do not",
	}
}

test_canary_regression_follows_the_metrics_direction if {
	# A loss metric: lower is better, so a rise is the regression.
	msgs := {d.msg | some d in gates.canary.deny} with input as f.with_canary({"passed": false, "control": {"metrics": {"auc_roc": 0.9, "accuracy": 0.85, "log_loss": 0.3}}, "canary": {"metrics": {"auc_roc": 0.9, "accuracy": 0.85, "log_loss": 0.4}}})
		with data.modelgate.thresholds.tiers.high.canary.metrics.log_loss as {"higher_is_better": false, "max_regression": {"absolute": 0.05}}
	msgs == {"the canary at 5% traffic for 3600s failed its analysis", "canary metric log_loss is 0.1 worse than the control (0.3 → 0.4); the limit is 0.05"}
	ok := {d.msg | some d in gates.canary.deny} with input as f.with_canary({"control": {"metrics": {"auc_roc": 0.9, "accuracy": 0.85, "log_loss": 0.4}}, "canary": {"metrics": {"auc_roc": 0.9, "accuracy": 0.85, "log_loss": 0.3}}})
		with data.modelgate.thresholds.tiers.high.canary.metrics.log_loss as {"higher_is_better": false, "max_regression": {"absolute": 0.05}}
	count(ok) == 0
}

test_canary_missing_metric_and_bounds_fail if {
	canary_msgs({"canary": {"metrics": {"accuracy": null}}}) == {
		"canary metric accuracy is missing or NaN for the canary or the control; the analysis said passed, its own numbers do not",
		"canary metric accuracy is missing or NaN; the analysis said passed, its own numbers do not",
	}
	msgs := {d.msg | some d in gates.canary.deny} with input as f.with_canary({"canary": {"metrics": {"auc_roc": 0.9, "accuracy": 0.85, "error_rate": 0.03}}})
		with data.modelgate.thresholds.tiers.high.canary.metrics.error_rate as {"upper_bound": 0.02}
	msgs == {"canary metric error_rate 0.03 is above the upper bound 0.02; the analysis said passed, its own numbers do not"}
}

test_canary_relative_limit_with_a_zero_control_fails if {
	canary_msgs({"control": {"metrics": {"auc_roc": 0.9, "accuracy": 0}}}) == {"canary metric accuracy: the control is 0, so no relative change can be judged; the analysis said passed, its own numbers do not"}
}

# shadow: beside the ledger's champion, each bound just inside and just outside

shadow_msgs(edits) := msgs if {
	msgs := {d.msg | some d in gates.shadow.deny} with input as f.with_shadow(edits)
}

test_shadow_just_inside_passes if {
	count(shadow_msgs({})) == 0
	gates.shadow.info == {"shadowed champion sha256:9999999999999999999999999999999999999999999999999999999999999999 for 3600s on 10000 requests, agreeing on 95%"} with input as f.with_shadow({})
}

test_shadow_just_outside_fails_each_bound if {
	shadow_msgs({"duration_s": 3599, "requests": 9999, "agreement_rate": 0.9499, "latency_ms": {"p50": 10, "p99": 250.1}, "error_rate": 0.0101}) == {
		"the shadow ran 3599s, under the tier's 3600s; the analysis said passed, its own numbers do not",
		"the shadow saw 9999 requests, under the tier's 10000; the analysis said passed, its own numbers do not",
		"the shadow agreed with the champion on 0.9499 of requests, under the tier's 0.95; the analysis said passed, its own numbers do not",
		"the shadow p99 latency 250.1ms is over the tier's 250ms; the analysis said passed, its own numbers do not",
		"the shadow error rate 0.0101 is over the tier's 0.01; the analysis said passed, its own numbers do not",
	}
}

test_shadow_missing_number_fails if {
	shadow_msgs({"latency_ms": null}) == {"the shadow analysis carries no number for the tier's max_latency_p99_ms"}
}

test_shadow_failed_run_fails if {
	shadow_msgs({"passed": false}) == {"the shadow deployment (3600s, 10000 requests) failed its analysis"}
}

test_shadow_beside_another_digest_fails if {
	other := {"digest": f.digest("8"), "metrics": {}}
	shadow_msgs({"champion": other}) == {concat("", ["the shadow ran beside sha256:", f.digest("8").sha256, ", but the champion in production is sha256:", f.digest("9").sha256, "; shadow the champion"])}
}

test_shadow_required_where_a_champion_exists if {
	gates.shadow.deny == {{"msg": concat("", ["no shadow deployment beside the champion sha256:", f.digest("9").sha256, " in production; ", f.how("shadow", "canary")])}} with input as object.union(f.base, {"champion": f.champion})
}

test_shadow_first_deployment_needs_none if {
	count(gates.shadow.deny) == 0 with input as f.base
	gates.shadow.info == {"no champion in production to shadow: a first deployment needs none"} with input as f.base
}

test_shadow_not_asked_by_the_tier if {
	count(gates.shadow.deny) == 0 with input as object.union(f.base, {"champion": f.champion, "requested_tier": "medium", "subject": {"name": "churn-model", "digest": {"sha256": "ab"}}})
	gates.shadow.info == {"the medium tier asks for no shadow deployment"} with input as object.union(f.base, {"subject": {"name": "churn-model", "digest": {"sha256": "ab"}}})
}

test_canary_not_asked_by_the_tier if {
	count(gates.canary.deny) == 0 with input as object.union(f.without(7), {"subject": {"name": "search-ranker", "digest": {"sha256": "ab"}}})
	gates.canary.info == {"the low tier asks for no canary"} with input as object.union(f.without(7), {"subject": {"name": "search-ranker", "digest": {"sha256": "ab"}}})
}

# offline latency

test_latency_just_inside_passes if {
	count(gates.latency.deny) == 0 with input as f.patched(3, {"latency_ms": {"p50": 10, "p99": 100}})
	gates.latency.info == {"offline p99 100ms, the limit 100ms"} with input as f.patched(3, {"latency_ms": {"p50": 10, "p99": 100}})
}

test_latency_just_outside_fails if {
	gates.latency.deny == {{"msg": "offline p99 latency 100.5ms is over the high tier's limit 100ms", "evidence": ["ev"]}} with input as f.patched(3, {"latency_ms": {"p50": 10, "p99": 100.5}})
}

test_latency_missing_fails if {
	gates.latency.deny == {{"msg": "the evaluation carries no latency_ms.p99; the high tier's limit is 100ms", "evidence": ["ev"]}} with input as f.patched(3, {"latency_ms": null})
	gates.latency.deny == {data.modelgate.lib.no_evaluation} with input as f.without(3)
}

test_latency_not_asked_by_the_tier if {
	low := object.union(f.patched(3, {"latency_ms": null}), {"subject": {"name": "search-ranker", "digest": {"sha256": "ab"}}})
	count(gates.latency.deny) == 0 with input as low
	gates.latency.info == {"the low tier sets no latency bar"} with input as low
	gates.latency.used == [] with input as low
}

# explanation

explanation(attributions) := f.replaced(8, f.fact("ex", "explanation", "evaluation", {"dataset": {"name": "eval", "digest": f.digest("2")}, "method": "shap", "attributions": attributions, "explained_at": "2026-11-02T00:00:00Z"}))

test_explanation_prohibited_feature_outside_top_k_passes if {
	count(gates.explanation.deny) == 0 with input as f.base
	gates.explanation.info == {"top 2 features (permutation): tickets, tenure"} with input as f.base
	third := explanation([{"feature": "tickets", "value": 0.2}, {"feature": "tenure", "value": 0.1}, {"feature": "region", "value": 0.05}])
	count(gates.explanation.deny) == 0 with input as third
}

test_explanation_prohibited_feature_in_top_k_fails if {
	second := explanation([{"feature": "tickets", "value": 0.2}, {"feature": "region", "value": 0.05}, {"feature": "tenure", "value": 0.01}])
	gates.explanation.deny == {{"msg": "prohibited feature region is #2 of the model's top 2 attributions (shap, mean |attribution| 0.05)", "evidence": ["ex"]}} with input as second
	top := explanation([{"feature": "region", "value": 0.3}, {"feature": "tickets", "value": 0.2}])
	gates.explanation.deny == {{"msg": "prohibited feature region is #1 of the model's top 2 attributions (shap, mean |attribution| 0.3)", "evidence": ["ex"]}} with input as top
}

test_explanation_required_where_the_tier_names_it if {
	gates.explanation.deny == {{"msg": concat("", ["no explanation attestation; ", f.how("explanation", "evaluation")])}} with input as f.without(8)
	low := object.union(f.without(8), {"subject": {"name": "search-ranker", "digest": {"sha256": "ab"}}})
	count(gates.explanation.deny) == 0 with input as low
	gates.explanation.info == {"the low tier asks for no explanation"} with input as low
}

# model signatures

oms := f.fact("ms", "model-signature", "training", {"serialization": {"method": "files", "hash_type": "sha256"}, "resources": [{"name": "weights.bin", "algorithm": "sha256", "digest": "ab"}, {"name": "config.json", "algorithm": "sha256", "digest": "cd"}]})

signed_oms := object.union(oms, {"type": "https://model_signing/signature/v1.0"})

test_signed_required_where_the_tier_says if {
	gates.signed.deny == {{"msg": "no model signature over the model's files; sign the model directory with OpenSSF model signing (model_signing sign) by a key or identity with the training role, give the signature with --evidence and the model's directory as --subject"}} with input as f.base
		with data.modelgate.thresholds.tiers.high.signature as {"required": true}
	count(gates.signed.deny) == 0 with input as f.plus([signed_oms])
		with data.modelgate.thresholds.tiers.high.signature as {"required": true}
	gates.signed.info == {"the model's 2 file(s) are signed by training@example.com"} with input as f.plus([signed_oms])
		with data.modelgate.thresholds.tiers.high.signature as {"required": true}
}

test_signed_not_required_by_default if {
	count(gates.signed.deny) == 0 with input as f.base
	gates.signed.info == {"the high tier does not require a model signature"} with input as f.base
}
