package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/testkit"
)

var updateFixtures = flag.Bool("update-fixtures", false, "regenerate testdata/decisions/*.json from real verify runs")

// TestDecisionFixtures writes the decision documents that the output
// formats' golden tests read, from real verify runs over signed evidence:
// go test ./cmd/modelgate -run TestDecisionFixtures -update-fixtures
func TestDecisionFixtures(t *testing.T) {
	if !*updateFixtures {
		t.Skip("run with -update-fixtures to regenerate testdata/decisions")
	}
	dir := filepath.Join(testkit.RepoRoot(), "testdata", "decisions")
	os.MkdirAll(dir, 0o755)

	r := newRun(t, "high")
	champ := "cd" + r.p.Subject.SHA256[2:]
	envs := r.p.Envelopes(func(m map[string]map[string]any) {
		m["evaluation"]["metrics"] = map[string]any{"auc_roc": 0.86, "log_loss": 0.45}
		m["evaluation"]["baseline"] = map[string]any{"name": "fraud-scorer", "digest": map[string]any{"sha256": champ}, "metrics": map[string]any{"auc_roc": 0.9, "log_loss": 0.3}}
		m["evaluation"]["slices"] = []any{
			map[string]any{"name": "new-customers", "filter": "tenure < 3", "size": 900, "metrics": map[string]any{"auc_roc": 0.74}},
			map[string]any{"name": "enterprise", "filter": "plan == 'enterprise'", "size": 120, "metrics": map[string]any{"auc_roc": 0.7}},
		}
		m["training"]["loss"] = map[string]any{"final": 0.3, "nan_detected": true, "diverged": false}
		m["approval-bob"]["decision"] = "rejected"
		m["approval-bob"]["justification"] = "<script>alert('x')</script> bias in the \x1b[31mregion\x1b[0m slice\n::notice::approved"
	})
	envs["waiver"] = r.p.Waiver.Sign(r.p.Subject, "waiver", map[string]any{"rule": "MG-TRAIN", "environment": "production",
		"reason": "NaN in a discarded warm-up epoch", "ticket": "RISK-42", "expires_at": r.p.T(24 * 7)})
	envs["tampered"] = append([]byte(nil), envs["canary"]...)
	envs["tampered"][len(envs["tampered"])-5] ^= 1
	_, out, _ := runJSON(r, envs, "--champion", "fraud-scorer@sha256:"+champ)
	os.WriteFile(filepath.Join(dir, "denied.json"), out, 0o644)

	ok := newRun(t, "medium")
	_, out, _ = runJSON(ok, ok.p.Envelopes(nil))
	os.WriteFile(filepath.Join(dir, "allowed.json"), out, 0o644)
}

// runJSON runs verify over envelope files and returns the raw JSON.
func runJSON(r *pipelineRun, envs map[string][]byte, extra ...string) (int, []byte, string) {
	args := []string{"verify", "--subject", r.p.Subject.String(), "--env", "production", "--policy", r.policy,
		"--store", "dir:" + filepath.Join(r.dir, "store"), "--format", "json"}
	for name, e := range envs {
		path := filepath.Join(r.dir, name+".json")
		os.WriteFile(path, e, 0o644)
		args = append(args, "--evidence", path)
	}
	code, out, stderr := runCLI(append(args, extra...)...)
	return code, []byte(out), stderr
}
