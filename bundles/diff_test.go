package bundles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// editedCopy copies the repository's bundle, applies edits (file → a
// function of its content; a new file when it did not exist), and views it.
func editedCopy(t *testing.T, edits map[string]func(string) string) *View {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "b")
	if err := os.CopyFS(dir, os.DirFS(repoPolicies(t))); err != nil {
		t.Fatal(err)
	}
	for file, edit := range edits {
		path := filepath.Join(dir, file)
		data, _ := os.ReadFile(path)
		edited := edit(string(data))
		if edited == string(data) {
			t.Fatalf("the edit of %s changes nothing", file)
		}
		os.MkdirAll(filepath.Dir(path), 0o755)
		os.WriteFile(path, []byte(edited), 0o644)
	}
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

func replace(from, to string) func(string) string {
	return func(s string) string { return strings.Replace(s, from, to, 1) }
}

func appendText(text string) func(string) string {
	return func(s string) string { return s + text }
}

const thresholds = "modelgate/thresholds/data.yaml"

// Each kind of change, with its exact label, both ways: loosen, then the
// reverse tightens back.
func TestDiffLabelsEveryLoosening(t *testing.T) {
	base, _ := Load(repoPolicies(t))
	old, _ := base.View()
	if d := Diff(old, old); !d.Equal() {
		t.Fatalf("a bundle differs from itself: %+v", d.Changes)
	}
	for _, c := range []struct {
		name  string
		edits map[string]func(string) string
		want  []Change
	}{
		{"a floor lowered", map[string]func(string) string{thresholds: replace("auc_roc: {lower_bound: 0.83", "auc_roc: {lower_bound: 0.80")},
			[]Change{{Loosened, "threshold", "tiers.high.metrics.auc_roc.lower_bound", "0.83", "0.8"}}},
		{"a ceiling raised", map[string]func(string) string{thresholds: replace("log_loss: {upper_bound: 0.4,", "log_loss: {upper_bound: 0.45,")},
			[]Change{{Loosened, "threshold", "tiers.high.metrics.log_loss.upper_bound", "0.4", "0.45"}}},
		{"a change limit raised", map[string]func(string) string{thresholds: replace("max_regression: {relative: 0.05}", "max_regression: {relative: 0.10}")},
			[]Change{{Loosened, "threshold", "tiers.high.metrics.log_loss.max_regression.relative", "0.05", "0.1"}}},
		{"a change limit removed", map[string]func(string) string{thresholds: replace("auc_roc: {lower_bound: 0.83, max_regression: {absolute: 0.02}}", "auc_roc: {lower_bound: 0.83}")},
			[]Change{{Loosened, "threshold", "tiers.high.metrics.auc_roc.max_regression.absolute", "0.02", ""}}},
		{"fewer approvals", map[string]func(string) string{thresholds: replace("approvals: {production: 2, staging: 1}", "approvals: {production: 1, staging: 1}")},
			[]Change{{Loosened, "threshold", "tiers.high.approvals.production", "2", "1"}}},
		{"an age limit raised", map[string]func(string) string{thresholds: replace("max_evidence_age_days: 30", "max_evidence_age_days: 45")},
			[]Change{{Loosened, "threshold", "tiers.high.max_evidence_age_days", "30", "45"}}},
		{"a canary soak shortened", map[string]func(string) string{thresholds: replace("min_duration_s: 1800", "min_duration_s: 600")},
			[]Change{{Loosened, "threshold", "tiers.high.canary.min_duration_s", "1800", "600"}}},
		{"a canary change limit raised", map[string]func(string) string{thresholds: replace("auc_roc: {max_regression: {absolute: 0.02}}", "auc_roc: {max_regression: {absolute: 0.05}}")},
			[]Change{{Loosened, "threshold", "tiers.high.canary.metrics.auc_roc.max_regression.absolute", "0.02", "0.05"}}},
		{"a shadow agreement floor lowered", map[string]func(string) string{thresholds: replace("min_agreement_rate: 0.95", "min_agreement_rate: 0.9")},
			[]Change{{Loosened, "threshold", "tiers.high.shadow.min_agreement_rate", "0.95", "0.9"}}},
		{"fewer shadow requests", map[string]func(string) string{thresholds: replace("min_requests: 10000", "min_requests: 100")},
			[]Change{{Loosened, "threshold", "tiers.high.shadow.min_requests", "10000", "100"}}},
		{"the shadow no longer asked for", map[string]func(string) string{thresholds: replace("    shadow: {min_duration_s: 3600, min_requests: 10000, min_agreement_rate: 0.95, max_latency_p99_ms: 250, max_error_rate: 0.01}\n", "")},
			[]Change{{Loosened, "threshold", "tiers.high.shadow.max_error_rate", "0.01", ""}, {Loosened, "threshold", "tiers.high.shadow.max_latency_p99_ms", "250", ""},
				{Loosened, "threshold", "tiers.high.shadow.min_agreement_rate", "0.95", ""}, {Loosened, "threshold", "tiers.high.shadow.min_duration_s", "3600", ""}, {Loosened, "threshold", "tiers.high.shadow.min_requests", "10000", ""}}},
		{"an offline latency limit raised", map[string]func(string) string{thresholds: replace("latency: {max_p99_ms: 100}", "latency: {max_p99_ms: 150}")},
			[]Change{{Loosened, "threshold", "tiers.high.latency.max_p99_ms", "100", "150"}}},
		{"fewer top features checked", map[string]func(string) string{thresholds: replace("explanation: {top_k: 2, prohibited_features: [region, gender, age, postcode]}\n    approvals: {production: 2", "explanation: {top_k: 1, prohibited_features: [region, gender, age, postcode]}\n    approvals: {production: 2")},
			[]Change{{Loosened, "threshold", "tiers.high.explanation.top_k", "2", "1"}}},
		{"a prohibited feature allowed", map[string]func(string) string{thresholds: replace("prohibited_features: [region, gender, age, postcode]}\n    approvals: {production: 2", "prohibited_features: [gender, age, postcode]}\n    approvals: {production: 2")},
			[]Change{{Loosened, "threshold", "tiers.high.explanation.prohibited_features - region", "region,gender,age,postcode", "gender,age,postcode"}}},
		{"a required slice dropped", map[string]func(string) string{thresholds: replace("slices: {min_size: 500,", "slices: {min_size: 500, required: [mobile],")},
			[]Change{{Tightened, "threshold", "tiers.high.slices.required + mobile", "", "mobile"}}},
		{"the metric's direction flipped", map[string]func(string) string{thresholds: replace("auc_roc: {lower_bound: 0.83,", "auc_roc: {lower_bound: 0.83, higher_is_better: false,")},
			[]Change{{Loosened, "threshold", "tiers.high.metrics.auc_roc.higher_is_better (the metric's direction flipped)", "true", "false"}}},
		// A model's override against its tier's value (the default tier, high), never against "(none)".
		{"a model override below its tier", map[string]func(string) string{thresholds: replace("models: {}", "models:\n  new-model: {metrics: {auc_roc: {lower_bound: 0.5}}, approvals: {production: 0}}\n")},
			[]Change{{Loosened, "threshold", "models.new-model.approvals.production", "2", "0"}, {Loosened, "threshold", "models.new-model.metrics.auc_roc.lower_bound", "0.83", "0.5"}}},
		{"a gate's effective_on moved later", map[string]func(string) string{"modelgate/gates/canary.rego": replace("#   code: MG-CANARY\n", "#   code: MG-CANARY\n#   effective_on: \"2099-01-01T00:00:00Z\"\n")},
			[]Change{{Loosened, "gate", "canary effective_on", "", "2099-01-01T00:00:00Z"}}},
		{"a gate's tiers narrowed", map[string]func(string) string{"modelgate/gates/canary.rego": replace("#   tiers: [low, medium, high]", "#   tiers: [low, medium]")},
			[]Change{{Loosened, "gate", "canary tiers - high", "low,medium,high", "low,medium"}}},
		{"a gate's code changed", map[string]func(string) string{"modelgate/gates/canary.rego": replace("code: MG-CANARY", "code: MG-CANARY2")},
			[]Change{{Loosened, "gate", "canary code (waivers name it)", "MG-CANARY", "MG-CANARY2"}}},
		{"requires shortened", map[string]func(string) string{"modelgate/environments/data.yaml": replace("requires: [staging]", "requires: []")},
			[]Change{{Loosened, "environment", "production requires - staging", "staging", ""}}},
		{"an inventory entry below the default", map[string]func(string) string{"modelgate/tiers/data.yaml": appendText("  new-model: low\n")},
			[]Change{{Loosened, "inventory", "new-model tier (listed; was the default)", "high", "low"}}},
		{"a signer added", map[string]func(string) string{"modelgate/trust/data.yaml": replace("signers: []", "signers: [{id: ops, identity: ops@example.com, roles: [approver], public_key: \"-----BEGIN PUBLIC KEY-----\\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\\n-----END PUBLIC KEY-----\\n\"}]")},
			[]Change{{Loosened, "signer", "ops added", "", "ops@example.com [approver] key "}}},
		// Rego outside the data: CODE, with the rules named.
		{"a waiver rule in a new module", map[string]func(string) string{"modelgate/ops_freeze.rego": appendText("package modelgate\n\nwaivers[\"MG-APPROVALS\"] contains \"ops-freeze\" if true\n")},
			[]Change{{Code, "code", `rule data.modelgate.waivers["MG-APPROVALS"] added in modelgate/ops_freeze.rego; ` + NotJudged, "", ""}}},
		{"a library rule edited", map[string]func(string) string{"modelgate/lib/lib.rego": replace("approvals := [a | some a in evidence(\"approval\"); a.predicate.environment == input.environment]", "approvals := [a | some a in evidence(\"approval\")]")},
			[]Change{{Code, "code", "rule data.modelgate.lib.approvals changed in modelgate/lib/lib.rego; " + NotJudged, "", ""}}},
		{"a stray data file", map[string]func(string) string{"modelgate/extra/data.json": appendText(`{"allow_all": true}`)},
			nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := editedCopy(t, c.edits)
			d := Diff(old, v)
			if c.want == nil { // a stray data file: CODE, whatever its digest
				if len(d.Changes) != 1 || d.Changes[0].Kind != Code || !strings.HasPrefix(d.Changes[0].What, "data file modelgate/extra/data.json (no modelgate schema reads it; policy may)") {
					t.Fatalf("%+v", d.Changes)
				}
				return
			}
			got := d.Changes
			for i := range got {
				if got[i].Area == "signer" { // the key id differs per run of the key
					got[i].To = got[i].To[:strings.Index(got[i].To, "key ")+4]
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("%+v\nwant %+v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("%+v\nwant %+v", got[i], c.want[i])
				}
			}
			// And back: the reverse of every loosening tightens (code stays code).
			back := Diff(v, old)
			for _, ch := range back.Changes {
				for _, w := range c.want {
					if w.Kind == Loosened && strings.TrimSuffix(ch.What, " added") == strings.TrimSuffix(w.What, " added") && ch.Kind == Loosened && w.Area != "signer" && w.Area != "gate" {
						t.Errorf("the reverse of %+v is also loosened: %+v", w, ch)
					}
				}
			}
		})
	}
}

// A keyless signer added, and its subject pattern widened, are loosenings.
func TestDiffKeylessSigners(t *testing.T) {
	base, _ := Load(repoPolicies(t))
	old, _ := base.View()
	entry := func(re string) map[string]func(string) string {
		return map[string]func(string) string{"modelgate/trust/data.yaml": replace("signers: []",
			`signers: [{id: ci, identity: ci@acme, roles: [training], keyless: {issuer: "https://token.actions.githubusercontent.com", subject_regexp: "`+re+`"}}]`)}
	}
	narrow := editedCopy(t, entry(`https://github\\.com/acme/churn/\\.github/workflows/train\\.yml@refs/heads/main`))
	wide := editedCopy(t, entry(`https://github\\.com/acme/.+`))
	d := Diff(old, narrow)
	if len(d.Changes) != 1 || d.Changes[0].Kind != Loosened || d.Changes[0].What != "ci added" ||
		d.Changes[0].To != `ci@acme [training] key keyless: issuer https://token.actions.githubusercontent.com, any subject matching ^(?:https://github\.com/acme/churn/\.github/workflows/train\.yml@refs/heads/main)$` {
		t.Fatalf("%+v", d.Changes)
	}
	d = Diff(narrow, wide)
	if len(d.Changes) != 1 || d.Changes[0].Kind != Loosened || d.Changes[0].What != "ci keyless identity (other certificates are trusted)" ||
		d.Changes[0].To != `keyless: issuer https://token.actions.githubusercontent.com, any subject matching ^(?:https://github\.com/acme/.+)$` {
		t.Fatalf("%+v", d.Changes)
	}
}
