package importers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/attest"
)

func fixture(t *testing.T, name string) []byte {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "importers", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func valid(t *testing.T, short string, pred map[string]any) map[string]any {
	raw, _ := json.Marshal(pred)
	if err := attest.ValidatePredicate(attest.TypeURI(short), raw); err != nil {
		t.Fatalf("%s predicate does not validate: %v", short, err)
	}
	var back map[string]any
	json.Unmarshal(raw, &back)
	return back
}

const evalDigest = "sha256:2222222222222222222222222222222222222222222222222222222222222222"

func TestGreatExpectationsBothShapes(t *testing.T) {
	for _, c := range []struct {
		file, role, time, suite string
		success                 bool
		stats                   [3]float64
		first                   map[string]any
	}{
		{"gx-0.18.json", "training", "2026-11-03T12:00:00Z", "churn.expectations", false, [3]float64{3, 2, 1},
			map[string]any{"check": "expect_table_columns_to_match_ordered_list", "success": true, "observed": []any{"tenure", "spend", "churn"}}},
		{"gx-1.x.json", "evaluation", "2026-11-03T12:05:00Z", "churn.expectations", true, [3]float64{2, 2, 0},
			map[string]any{"check": "expect_column_values_to_not_be_null", "column": "tenure", "success": true, "observed": map[string]any{"unexpected_count": float64(0)}}},
	} {
		pred, err := GreatExpectations(fixture(t, c.file), Options{DatasetDigest: evalDigest, Role: c.role})
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		p := valid(t, "data-validation", pred)
		st := p["statistics"].(map[string]any)
		if p["success"] != c.success || p["suite"] != c.suite || p["validated_at"] != c.time || p["role"] != c.role ||
			st["evaluated"] != c.stats[0] || st["successful"] != c.stats[1] || st["unsuccessful"] != c.stats[2] {
			t.Fatalf("%s: %v", c.file, p)
		}
		first, _ := json.Marshal(p["results"].([]any)[0])
		want, _ := json.Marshal(c.first)
		if string(first) != string(want) {
			t.Fatalf("%s: first result %s, want %s", c.file, first, want)
		}
		if name := p["dataset"].(map[string]any)["name"]; !strings.HasPrefix(name.(string), "churn-") {
			t.Fatalf("dataset name %v (from the batch definition)", name)
		}
	}
	if _, err := GreatExpectations(fixture(t, "gx-broken.json"), Options{DatasetDigest: evalDigest, Role: "training"}); err == nil ||
		err.Error() != "great-expectations result: /statistics/evaluated_expectations is missing or has the wrong type" {
		t.Fatalf("%v", err)
	}
	if _, err := GreatExpectations(fixture(t, "gx-1.x.json"), Options{Role: "training"}); err == nil || !strings.Contains(err.Error(), "carries no digest of the data it validated: give the dataset digest") {
		t.Fatalf("%v", err)
	}
	if _, err := GreatExpectations(fixture(t, "gx-1.x.json"), Options{DatasetDigest: evalDigest}); err == nil || !strings.Contains(err.Error(), "give the dataset role") {
		t.Fatalf("%v", err)
	}
}

func TestMLflowTrainingAndEvaluation(t *testing.T) {
	digests := map[string]string{"churn-train": "sha256:" + strings.Repeat("11", 32), "churn-eval": evalDigest}
	tr, err := MLflow(fixture(t, "mlflow-run.json"), attest.TypeURI("training"), Options{Digests: digests})
	if err != nil {
		t.Fatal(err)
	}
	p := valid(t, "training", tr)
	loss := p["loss"].(map[string]any)
	if p["run_id"] != "5f0e3d4c2b1a49e8a7d6c5b4a3928170" || loss["final"] != 0.2749 || p["started_at"] != "2026-11-03T12:00:00Z" ||
		p["finished_at"] != "2026-11-03T12:10:00Z" || p["hyperparameters"].(map[string]any)["learning_rate"] != "0.5" ||
		p["code"].(map[string]any)["digest"].(map[string]any)["sha1"] != "9b2f0c8e5d3a1f7e6b4c2a0d8e6f4b2a1c3e5d7f" {
		t.Fatalf("training %v", p)
	}
	if ds := p["datasets"].([]any); len(ds) != 1 || ds[0].(map[string]any)["role"] != "training" {
		t.Fatalf("datasets %v", ds)
	}
	ev, err := MLflow(fixture(t, "mlflow-run.json"), attest.TypeURI("evaluation"), Options{Digests: digests})
	if err != nil {
		t.Fatal(err)
	}
	p = valid(t, "evaluation", ev)
	m := p["metrics"].(map[string]any)
	if m["auc_roc"] != 0.952 || m["log_loss"] != 0.2782 || m["accuracy"] != 0.8797 || p["evaluated_at"] != "2026-11-03T12:10:00Z" ||
		p["dataset"].(map[string]any)["name"] != "churn-eval" {
		t.Fatalf("evaluation %v", p)
	}
	if _, err := MLflow(fixture(t, "mlflow-run.json"), attest.TypeURI("training"), Options{}); err == nil ||
		!strings.Contains(err.Error(), "MLflow's dataset digest for churn-train is not a sha256 of its data: give the dataset digest") {
		t.Fatalf("%v", err)
	}
	if _, err := MLflow([]byte(`{"run": {"info": {"run_id": "x", "start_time": 1}}}`), attest.TypeURI("training"), Options{}); err == nil ||
		err.Error() != "mlflow run: /run/info/end_time is missing or has the wrong type" {
		t.Fatalf("%v", err)
	}
}

// FuzzImport: whatever the tool's output, an importer returns a predicate
// or an error, never a panic.
func FuzzImport(f *testing.F) {
	for _, name := range []string{"gx-0.18.json", "gx-1.x.json", "mlflow-run.json"} {
		raw, _ := os.ReadFile(filepath.Join("..", "testdata", "importers", name))
		f.Add(raw)
	}
	for _, name := range []string{"analysisrun-successful.json", "analysisrun-failed.json"} {
		raw, _ := os.ReadFile(filepath.Join("testdata", "argo", name))
		f.Add(raw)
	}
	five := 5.0
	opts := Options{DatasetDigest: evalDigest, Role: "training", Digests: map[string]string{"churn-train": evalDigest, "churn-eval": evalDigest},
		Environment: "production", TrafficPercent: &five}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if pred, err := ArgoRollouts(raw, opts); err == nil {
			// What it builds, the schema accepts.
			out, _ := json.Marshal(pred)
			if err := attest.ValidatePredicate(attest.TypeURI("canary"), out); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
		}
		GreatExpectations(raw, opts)
		MLflow(raw, attest.TypeURI("training"), opts)
		MLflow(raw, attest.TypeURI("evaluation"), opts)
	})
}

// An Argo Rollouts AnalysisRun becomes a canary/v1 predicate that the
// schema accepts: the phase is passed, the last measurement of each metric
// the canary's number, control-NAME and NAME-control the control's.
func TestArgoRollouts(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "argo", "analysisrun-successful.json"))
	if err != nil {
		t.Fatal(err)
	}
	five := 5.0
	opts := Options{Environment: "production", TrafficPercent: &five}
	pred, err := ArgoRollouts(raw, opts)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(pred)
	want := `{"analyzed_at":"2026-11-23T14:30:02Z","canary":{"metrics":{"accuracy":0.874,"success-rate":0.9969}},"control":{"metrics":{"accuracy":0.876,"success-rate":0.9972}},"duration_s":1802,"environment":"production","passed":true,"producer":{"tool":"argo-rollouts"},"traffic_percent":5}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if err := attest.ValidatePredicate(attest.TypeURI("canary"), got); err != nil {
		t.Fatal(err)
	}

	failed, _ := os.ReadFile(filepath.Join("testdata", "argo", "analysisrun-failed.json"))
	pred, err = ArgoRollouts(failed, opts)
	if err != nil || pred["passed"] != false || pred["canary"].(map[string]any)["metrics"].(map[string]any)["accuracy"] != nil {
		t.Fatalf("failed run: %v %v", pred, err)
	}

	for _, c := range []struct {
		edit func(string) string
		opts Options
		want string
	}{
		{func(s string) string {
			return strings.Replace(s, `"phase": "Successful",
    "startedAt"`, `"phase": "Running",
    "startedAt"`, 1)
		}, opts, "argo-rollouts: the analysis fraud-scorer-7d9f8c6b5-2-1 is Running, not finished: import it once its phase is Successful, Failed, Error or Inconclusive"},
		{func(s string) string { return strings.Replace(s, `"kind": "AnalysisRun"`, `"kind": "Rollout"`, 1) }, opts, `argo-rollouts: kind "Rollout" apiVersion "argoproj.io/v1alpha1": want an argoproj.io AnalysisRun ('kubectl get analysisrun NAME -o json')`},
		{func(s string) string { return s }, Options{TrafficPercent: &five}, "argo-rollouts: an AnalysisRun does not name the environment: give the environment"},
		{func(s string) string { return s }, Options{Environment: "production"}, "argo-rollouts: the canary's share of traffic is the rollout step's setWeight, not in the AnalysisRun: give the traffic percent"},
	} {
		if _, err := ArgoRollouts([]byte(c.edit(string(raw))), c.opts); err == nil || err.Error() != c.want {
			t.Errorf("got %v\nwant %s", err, c.want)
		}
	}
}
