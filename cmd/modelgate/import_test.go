package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/testkit"
)

// attest --from builds the predicate from a tool's own output; what the
// output lacks comes from flags, and a malformed output is exit 2 naming
// the field.
func TestAttestFromTools(t *testing.T) {
	dir := t.TempDir()
	fixtures := filepath.Join(testkit.RepoRoot(), "testdata", "importers")
	data := filepath.Join(dir, "train.csv")
	os.WriteFile(data, []byte("tenure,spend,churn\n1,2,0\n"), 0o644)
	key := testkit.NewParty("data", "ecdsa-p256", "data").WriteKey(dir)
	subject := "fraud-scorer@sha256:" + strings.Repeat("ab", 32)
	code, out, stderr := runCLI("attest", "--type", "data-validation", "--subject", subject, "--key", key,
		"--from", "great-expectations", filepath.Join(fixtures, "gx-0.18.json"), "--dataset", data, "--role", "training")
	if code != 0 || !strings.Contains(out, `"payloadType":"application/vnd.in-toto+json"`) {
		t.Fatalf("exit %d %s %s", code, out, stderr)
	}
	code, _, stderr = runCLI("attest", "--type", "data-validation", "--subject", subject, "--key", key,
		"--from", "great-expectations", filepath.Join(fixtures, "gx-broken.json"), "--dataset", data, "--role", "training")
	undecided(t, code, stderr, "great-expectations result: /statistics/evaluated_expectations is missing or has the wrong type")
	code, _, stderr = runCLI("attest", "--type", "training", "--subject", subject, "--key", key,
		"--from", "mlflow", filepath.Join(fixtures, "mlflow-run.json"))
	undecided(t, code, stderr, "give --dataset-digest churn-train=sha256:HEX")
	code, out, stderr = runCLI("attest", "--type", "evaluation", "--subject", subject, "--key", key,
		"--from", "mlflow", filepath.Join(fixtures, "mlflow-run.json"), "--dataset-digest", "churn-eval=sha256:"+strings.Repeat("22", 32))
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	code, _, stderr = runCLI("attest", "--type", "training", "--subject", subject, "--key", key, "--from", "mlflow")
	undecided(t, code, stderr, "--from mlflow needs the tool's output file as its argument")
}

// A rollout tool's own analysis, attested as canary evidence: what the
// AnalysisRun lacks is asked for by its flag.
func TestAttestFromArgoRollouts(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(testkit.RepoRoot(), "importers", "testdata", "argo", "analysisrun-successful.json")
	key := testkit.NewParty("canary", "ecdsa-p256", "canary").WriteKey(dir)
	subject := "fraud-scorer@sha256:" + strings.Repeat("ab", 32)
	base := []string{"attest", "--type", "canary", "--subject", subject, "--key", key, "--from", "argo-rollouts", run}
	code, _, stderr := runCLI(append(base, "--traffic-percent", "5")...)
	undecided(t, code, stderr, "modelgate: argo-rollouts: an AnalysisRun does not name the environment: give --environment ENV\n")
	code, _, stderr = runCLI(append(base, "--environment", "production")...)
	undecided(t, code, stderr, "give --traffic-percent PCT (the rollout step's setWeight)")
	code, _, stderr = runCLI("attest", "--type", "smoke-test", "--subject", subject, "--key", key, "--from", "argo-rollouts", run)
	undecided(t, code, stderr, "--from argo-rollouts builds --type canary, not smoke-test")
	code, out, stderr := runCLI(append(base, "--environment", "production", "--traffic-percent", "5")...)
	if code != 0 || !strings.Contains(out, `"payloadType":"application/vnd.in-toto+json"`) {
		t.Fatalf("exit %d %s %s", code, out, stderr)
	}
}

// A validation result that carries no time asks for --validated-at, and
// takes it.
func TestAttestFromGreatExpectationsWithoutATime(t *testing.T) {
	dir := t.TempDir()
	var doc map[string]any
	raw, _ := os.ReadFile(filepath.Join(testkit.RepoRoot(), "testdata", "importers", "gx-1.x.json"))
	json.Unmarshal(raw, &doc)
	delete(doc["meta"].(map[string]any), "validation_time")
	result := filepath.Join(dir, "result.json")
	raw, _ = json.Marshal(doc)
	os.WriteFile(result, raw, 0o644)
	key := testkit.NewParty("data", "ecdsa-p256", "data").WriteKey(dir)
	args := []string{"attest", "--type", "data-validation", "--subject", "fraud-scorer@sha256:" + strings.Repeat("ab", 32), "--key", key,
		"--from", "great-expectations", result, "--dataset-digest", "sha256:" + strings.Repeat("22", 32), "--role", "evaluation"}
	code, _, stderr := runCLI(args...)
	undecided(t, code, stderr, "modelgate: great-expectations result carries no time it ran (/meta/validation_time, meta/run_id/run_time, or a run_id that is a time): give --validated-at TIME (RFC 3339)\n")
	if code, out, stderr := runCLI(append(args, "--validated-at", "2026-11-03T12:05:00Z")...); code != 0 || !strings.Contains(out, `"payloadType"`) {
		t.Fatalf("exit %d %s %s", code, out, stderr)
	}
}
