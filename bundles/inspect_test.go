package bundles

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Inspecting the default bundle names every gate and every threshold.
func TestInspectNamesEveryGateAndThreshold(t *testing.T) {
	b, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	v, err := b.View()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteInspection(&buf, Inspect(v), "text", nil); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if len(v.Gates) != 14 {
		t.Fatalf("%d gates", len(v.Gates))
	}
	for _, g := range v.Gates {
		if !strings.Contains(out, g.Code) || !strings.Contains(out, g.Title) {
			t.Errorf("gate %s (%s) is not named", g.ID, g.Code)
		}
	}
	for _, want := range []string{
		"production, high tier (a PASSED decision admits the model for 90 days)",
		"auc_roc at least 0.83, and at most 0.02 below the champion",
		"log_loss at most 0.4, and at most 5% above the champion",
		"every slice of at least 500 examples: auc_roc at least 0.78",
		"disparate_impact_ratio between 0.8 and 1.25 for every attribute reported",
		"2 approvals from distinct approvers, none of whom trained or evaluated the model",
		"a passed staging smoke test: error rate at most 1%, p99 latency at most 250 ms",
		"judged evidence at most 30 days old",
		"a passed canary analysis in production",
		"auc_roc at least 0.7\n",
		"log_loss at most 0.5, and at most 10% above the champion",
		"fraud-scorer: high (inventory)",
		"metric names the thresholds expect: auc_roc, fairness disparate_impact_ratio, log_loss, slice auc_roc",
		"none: the bundle trusts no key",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %q", want)
		}
	}
}

// writeThresholds copies the repository's bundle with one edit to its thresholds.
func editedBundle(t *testing.T, from, to string) *View {
	dir := filepath.Join(t.TempDir(), "b")
	if err := os.CopyFS(dir, os.DirFS(repoPolicies(t))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "modelgate", "thresholds", "data.yaml")
	data, _ := os.ReadFile(path)
	edited := strings.Replace(string(data), from, to, 1)
	if edited == string(data) {
		t.Fatalf("%q not found", from)
	}
	os.WriteFile(path, []byte(edited), 0o644)
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := b.View()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Diff names a threshold tightened or loosened in the metric's own
// direction, both ways.
func TestDiffTightenedAndLoosenedInTheMetricsDirection(t *testing.T) {
	base, _ := Load(repoPolicies(t))
	old, _ := base.View()
	if changes := Diff(old, old); len(changes) != 0 {
		t.Fatalf("a bundle differs from itself: %+v", changes)
	}
	for _, c := range []struct {
		from, to string
		want     Change
	}{
		{"auc_roc: {lower_bound: 0.83", "auc_roc: {lower_bound: 0.85", Change{Tightened, "threshold", "tiers.high.metrics.auc_roc.lower_bound", "0.83", "0.85"}},
		{"auc_roc: {lower_bound: 0.83", "auc_roc: {lower_bound: 0.80", Change{Loosened, "threshold", "tiers.high.metrics.auc_roc.lower_bound", "0.83", "0.8"}},
		{"log_loss: {upper_bound: 0.4,", "log_loss: {upper_bound: 0.35,", Change{Tightened, "threshold", "tiers.high.metrics.log_loss.upper_bound", "0.4", "0.35"}},
		{"log_loss: {upper_bound: 0.4,", "log_loss: {upper_bound: 0.45,", Change{Loosened, "threshold", "tiers.high.metrics.log_loss.upper_bound", "0.4", "0.45"}},
		{"max_regression: {relative: 0.05}", "max_regression: {relative: 0.10}", Change{Loosened, "threshold", "tiers.high.metrics.log_loss.max_regression.relative", "0.05", "0.1"}},
		{"approvals: {production: 2, staging: 1}", "approvals: {production: 3, staging: 1}", Change{Tightened, "threshold", "tiers.high.approvals.production", "2", "3"}},
		{"max_evidence_age_days: 30", "max_evidence_age_days: 45", Change{Loosened, "threshold", "tiers.high.max_evidence_age_days", "30", "45"}},
		{"slices: {min_size: 500,", "slices: {min_size: 500, required: [mobile],", Change{Tightened, "threshold", "tiers.high.slices.required + mobile", "", "mobile"}},
	} {
		v := editedBundle(t, c.from, c.to)
		changes := Diff(old, v)
		if len(changes) != 1 || changes[0] != c.want {
			t.Errorf("%s → %s: %+v, want %+v", c.from, c.to, changes, c.want)
		}
	}
}
