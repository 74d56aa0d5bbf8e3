package modelgate.tests.lib

import data.modelgate.lib
import data.modelgate.tests.fixtures as f

ranker := object.union(f.base, {"subject": {"name": "search-ranker", "digest": {"sha256": "ab"}}})

risk(tier, until) := f.fact("rk", "risk", "risk", {"model": "search-ranker", "tier": tier, "rationale": "r", "valid_until": until})

test_inventory_tier if {
	lib.tier == "low" with input as ranker
	lib.tier_source == "inventory" with input as ranker
}

test_unknown_model_gets_the_default if {
	lib.tier == "high" with input as f.base
	lib.tier_source == "inventory default (unknown model)" with input as f.base
}

test_risk_attestation_raises_the_tier if {
	inp := object.union(ranker, {"evidence": [risk("medium", "2027-01-01T00:00:00Z")]})
	lib.tier == "medium" with input as inp
	lib.tier_source == "risk attestation rk" with input as inp
}

test_expired_risk_attestation_does_not_count if {
	lib.tier == "low" with input as object.union(ranker, {"evidence": [risk("high", "2026-11-01T00:00:00Z")]})
}

test_risk_attestation_needs_the_risk_role if {
	rk := object.union(risk("high", "2027-01-01T00:00:00Z"), {"signer": f.signer("eve", "evaluation")})
	lib.tier == "low" with input as object.union(ranker, {"evidence": [rk]})
}

test_flag_raises_the_tier if {
	inp := object.union(ranker, {"requested_tier": "medium"})
	lib.tier == "medium" with input as inp
	lib.tier_source == "--tier flag" with input as inp
}

test_flag_never_lowers_the_tier if {
	inp := object.union(f.base, {"requested_tier": "low"})
	lib.tier == "high" with input as inp
	lib.tier_source == "inventory default (unknown model)" with input as inp
}

test_equal_claims_name_every_source if {
	inp := object.union(ranker, {"requested_tier": "low"})
	lib.tier_source == "--tier flag, inventory" with input as inp
}

test_unknown_flag_tier_is_ignored if {
	lib.tier == "low" with input as object.union(ranker, {"requested_tier": "extreme"})
}

test_model_overrides_merge_over_the_tier if {
	lib.config.max_evidence_age_days == 7 with input as ranker
		with data.modelgate.thresholds.models as {"search-ranker": {"max_evidence_age_days": 7}}
	lib.config.metrics == {"auc_roc": {"lower_bound": 0.70}} with input as ranker
}

test_newest_evaluation_is_judged if {
	older := object.union(f.good[3], {"id": "ev0", "predicate": {"evaluated_at": "2026-10-01T00:00:00Z"}})
	[e.id | some e in lib.evaluations] == ["ev"] with input as f.plus([older])
}

test_tied_evaluations_are_judged_together if {
	twin := object.union(f.good[3], {"id": "ev2", "predicate": {"metrics": {"auc_roc": 0.5}}})
	sort([e.id | some e in lib.evaluations]) == ["ev", "ev2"] with input as f.plus([twin])
}

test_freshness_judges_only_the_evidence_judged if {
	stale := object.union(f.good[3], {"id": "ev0", "predicate": {"evaluated_at": "2025-01-01T00:00:00Z"}})
	not "ev0" in lib.judged_ids with input as f.plus([stale])
	"ev" in lib.judged_ids with input as f.plus([stale])
}

test_bounds_are_inclusive if {
	lib.bound_faults("m", 0.8, {"lower_bound": 0.8, "upper_bound": 0.8}) == []
}

test_bound_faults if {
	lib.bound_faults("m", 0.7, {"lower_bound": 0.8}) == ["0.7 is below the lower bound 0.8"]
	lib.bound_faults("m", 0.9, {"upper_bound": 0.8}) == ["0.9 is above the upper bound 0.8"]
	lib.bound_faults("m", null, {"lower_bound": 0.8}) == ["is missing or NaN"]
}
