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
	if _, err := MLflow([]byte(`{"run": {"info": {"run_id": "x", "status": "FINISHED", "lifecycle_stage": "active", "start_time": 1}}}`), attest.TypeURI("training"), Options{}); err == nil ||
		err.Error() != "mlflow run: /run/info/end_time is missing or has the wrong type" {
		t.Fatalf("%v", err)
	}
}

// Slices and fairness logged by the naming convention become the
// evaluation's slices and fairness; the overall metrics keep the rest; a
// run that logs none says so through Warn, naming the gates that will deny;
// a slice without its size, or a name with two slashes, is refused.
func TestMLflowSlicesAndFairness(t *testing.T) {
	digests := map[string]string{"churn-eval": evalDigest}
	var warned []string
	opts := Options{Digests: digests, Warn: func(s string) { warned = append(warned, s) }}
	ev, err := MLflow(fixture(t, "mlflow-run-slices.json"), attest.TypeURI("evaluation"), opts)
	if err != nil {
		t.Fatal(err)
	}
	p := valid(t, "evaluation", ev)
	got, _ := json.Marshal([]any{p["metrics"], p["slices"], p["fairness"]})
	want := `[{"accuracy":0.8797,"auc_roc":0.952,"log_loss":0.2782,"loss":0.2749},` +
		`[{"filter":"tenure \u003e= 24","metrics":{"auc_roc":0.942},"name":"long_tenure","size":790},` +
		`{"filter":"tenure \u003c 6","metrics":{"accuracy":0.8965,"auc_roc":0.9181},"name":"new_customers","size":744}],` +
		`[{"attribute":"region","metric":"disparate_impact_ratio","value":0.9543}]]`
	if string(got) != want || len(warned) != 0 {
		t.Fatalf("got %s\nwant %s\nwarned %q", got, want, warned)
	}
	if _, err := MLflow(fixture(t, "mlflow-run.json"), attest.TypeURI("evaluation"), opts); err != nil {
		t.Fatal(err)
	}
	if len(warned) != 2 || warned[0] != "mlflow run logs no slice metrics (slice/NAME/METRIC with slice/NAME/size): the evaluation carries no slices, and a tier with slice floors (MG-SLICES) will deny it" ||
		warned[1] != "mlflow run logs no fairness metrics (fairness/ATTRIBUTE/METRIC): the evaluation carries no fairness results, and a tier with fairness bounds (MG-FAIRNESS) will deny it" {
		t.Fatalf("warned %q", warned)
	}
	for edit, msg := range map[string]string{
		`"slice/long_tenure/size"`:    "mlflow run: slice long_tenure has no slice/long_tenure/size metric: log the slice's row count",
		`"slice/long_tenure/auc_roc"`: `mlflow run: metric "slice/long/tenure/auc_roc": name it slice/NAME/METRIC (one NAME, one METRIC, no other slash)`,
	} {
		repl := `"slice/long_tenure/other"`
		if strings.Contains(edit, "auc_roc") {
			repl = `"slice/long/tenure/auc_roc"`
		}
		raw := strings.Replace(string(fixture(t, "mlflow-run-slices.json")), edit, repl, 1)
		if _, err := MLflow([]byte(raw), attest.TypeURI("evaluation"), Options{Digests: digests}); err == nil || !strings.HasPrefix(err.Error(), msg) {
			t.Errorf("%s: %v", edit, err)
		}
	}
}

// FuzzImport: whatever the tool's output, an importer returns a predicate
// or an error, never a panic.
func FuzzImport(f *testing.F) {
	for _, name := range []string{"gx-0.18.json", "gx-1.x.json", "gx-1.x-checkpoint.json", "mlflow-run.json", "mlflow-run-slices.json"} {
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

// edit parses a fixture, applies f to it, and serialises it again.
func edit(t *testing.T, name string, f func(doc map[string]any)) []byte {
	var doc map[string]any
	if err := json.Unmarshal(fixture(t, name), &doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	out, _ := json.Marshal(doc)
	return out
}

func at(doc map[string]any, path ...string) map[string]any {
	for _, p := range path {
		doc = doc[p].(map[string]any)
	}
	return doc
}

// Great Expectations' own outputs, across versions: the time's fallbacks,
// a checkpoint result, whole counts, and nothing that passes by being empty.
func TestGreatExpectationsRealShapes(t *testing.T) {
	opts := Options{DatasetDigest: evalDigest, Role: "evaluation"}
	for _, c := range []struct {
		name string
		raw  []byte
		opts Options
		time string
	}{
		{"a time only in meta.run_id", edit(t, "gx-0.18.json", func(d map[string]any) { delete(at(d, "meta"), "validation_time") }), opts, "2026-11-03T12:00:00Z"},
		{"0.15's run_id string", edit(t, "gx-0.18.json", func(d map[string]any) {
			m := at(d, "meta")
			delete(m, "validation_time")
			m["run_id"] = "20261102T080000.000000Z"
		}), opts, "2026-11-02T08:00:00Z"},
		{"meta.run_time", edit(t, "gx-0.18.json", func(d map[string]any) {
			m := at(d, "meta")
			delete(m, "validation_time")
			delete(m, "run_id")
			m["run_time"] = "2026-11-02T09:00:00+00:00"
		}), opts, "2026-11-02T09:00:00Z"},
		{"no time but --validated-at", edit(t, "gx-0.18.json", func(d map[string]any) {
			m := at(d, "meta")
			delete(m, "validation_time")
			m["run_id"] = "my-run"
		}), Options{DatasetDigest: evalDigest, Role: "evaluation", ValidatedAt: "2026-11-02T10:00:00Z"}, "2026-11-02T10:00:00Z"},
	} {
		pred, err := GreatExpectations(c.raw, c.opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p := valid(t, "data-validation", pred); p["validated_at"] != c.time {
			t.Errorf("%s: validated_at %v, want %s", c.name, p["validated_at"], c.time)
		}
	}

	// A checkpoint result: both validations, judged as one, failing as one did.
	pred, err := GreatExpectations(fixture(t, "gx-1.x-checkpoint.json"), opts)
	if err != nil {
		t.Fatal(err)
	}
	p := valid(t, "data-validation", pred)
	st := p["statistics"].(map[string]any)
	if p["success"] != false || st["evaluated"] != 2.0 || st["unsuccessful"] != 1.0 || len(p["results"].([]any)) != 2 ||
		p["validated_at"] != "2026-11-03T12:10:02Z" || p["dataset"].(map[string]any)["name"] != "churn-eval" || p["suite"] != "churn.expectations" {
		t.Fatalf("checkpoint: %v", p)
	}
	two := edit(t, "gx-1.x-checkpoint.json", func(d map[string]any) {
		for _, r := range at(d, "run_results") {
			at(r.(map[string]any), "meta", "active_batch_definition")["data_asset_name"] = "churn-" + at(r.(map[string]any), "meta")["validation_time"].(string)[17:19]
			break
		}
	})
	if _, err := GreatExpectations(two, opts); err == nil || !strings.Contains(err.Error(), "the checkpoint result validates 2 data assets") {
		t.Fatalf("two assets: %v", err)
	}

	for _, c := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"a fractional count", edit(t, "gx-1.x.json", func(d map[string]any) { at(d, "statistics")["unsuccessful_expectations"] = 0.9 }),
			"great-expectations result: /statistics/unsuccessful_expectations is 0.9: a count of expectations is a whole number"},
		{"an empty suite", edit(t, "gx-1.x.json", func(d map[string]any) {
			s := at(d, "statistics")
			s["evaluated_expectations"], s["successful_expectations"], s["unsuccessful_expectations"] = 0.0, 0.0, 0.0
			d["results"] = []any{}
		}), "great-expectations result: /statistics/evaluated_expectations is 0: a suite that evaluated nothing is not a passing validation; add expectations to churn.expectations"},
		{"counts that do not add up", edit(t, "gx-1.x.json", func(d map[string]any) { at(d, "statistics")["successful_expectations"] = 1.0 }),
			"great-expectations result: /statistics: 1 successful and 0 unsuccessful do not add up to 2 evaluated"},
		{"success with failures", edit(t, "gx-1.x.json", func(d map[string]any) {
			s := at(d, "statistics")
			s["successful_expectations"], s["unsuccessful_expectations"] = 1.0, 1.0
		}), "great-expectations result: /success is true, but 1 expectation(s) failed"},
		{"no time at all", edit(t, "gx-1.x.json", func(d map[string]any) { delete(at(d, "meta"), "validation_time") }),
			"great-expectations result carries no time it ran (/meta/validation_time, meta/run_id/run_time, or a run_id that is a time): give the validation time"},
	} {
		if _, err := GreatExpectations(c.raw, opts); err == nil || err.Error() != c.want {
			t.Errorf("%s: %v\nwant %s", c.name, err, c.want)
		}
	}
}

// MLflow runs as MLflow writes them: only a finished, live run counts, a
// NaN loss is reported as such, Python's booleans read true, every dataset
// the run trained with is listed, and MLflow 3's dataset-linked metrics go
// to the dataset they were measured on.
func TestMLflowRealShapes(t *testing.T) {
	digests := map[string]string{"churn-train": "sha256:" + strings.Repeat("11", 32), "churn-eval": evalDigest, "churn-val": "sha256:" + strings.Repeat("33", 32)}
	opts := Options{Digests: digests}
	info := func(k string, v any) []byte {
		return edit(t, "mlflow-run.json", func(d map[string]any) { at(d, "run", "info")[k] = v })
	}
	for _, c := range []struct {
		raw  []byte
		want string
	}{
		{info("status", "FAILED"), `mlflow run: /run/info/status is "FAILED": only a FINISHED run is evidence (a FAILED, KILLED or RUNNING run proves nothing)`},
		{info("status", "KILLED"), `mlflow run: /run/info/status is "KILLED": only a FINISHED run is evidence (a FAILED, KILLED or RUNNING run proves nothing)`},
		{info("status", "RUNNING"), `mlflow run: /run/info/status is "RUNNING": only a FINISHED run is evidence (a FAILED, KILLED or RUNNING run proves nothing)`},
		{info("lifecycle_stage", "deleted"), `mlflow run: /run/info/lifecycle_stage is "deleted": a deleted run is not evidence`},
		{info("end_time", 1793707100000.0), "mlflow run: /run/info/end_time 2026-11-03T11:58:20Z is before start_time 2026-11-03T12:00:00Z"},
		{info("end_time", -1.0), "mlflow run: /run/info/end_time is -1: want the time in epoch milliseconds"},
	} {
		for _, typ := range []string{"training", "evaluation"} {
			if _, err := MLflow(c.raw, attest.TypeURI(typ), opts); err == nil || err.Error() != c.want {
				t.Errorf("%s: %v\nwant %s", typ, err, c.want)
			}
		}
	}

	// A loss MLflow wrote as "NaN", a diverged tag Python wrote as "True".
	nan := edit(t, "mlflow-run.json", func(d map[string]any) {
		ms := at(d, "run", "data")["metrics"].([]any)
		ms[1].(map[string]any)["value"] = "NaN"
		tags := at(d, "run", "data")["tags"].([]any)
		at(d, "run", "data")["tags"] = append(tags, map[string]any{"key": "modelgate.diverged", "value": "True"})
	})
	tr, err := MLflow(nan, attest.TypeURI("training"), opts)
	if err != nil {
		t.Fatal(err)
	}
	loss := valid(t, "training", tr)["loss"].(map[string]any)
	if loss["final"] != nil || loss["nan_detected"] != true || loss["diverged"] != true {
		t.Fatalf("NaN loss: %v", loss)
	}
	inf := edit(t, "mlflow-run.json", func(d map[string]any) {
		at(d, "run", "data")["metrics"].([]any)[1].(map[string]any)["value"] = "Infinity"
	})
	tr, _ = MLflow(inf, attest.TypeURI("training"), opts)
	if loss := valid(t, "training", tr)["loss"].(map[string]any); loss["final"] != nil || loss["nan_detected"] != true || loss["diverged"] != true {
		t.Fatalf("infinite loss: %v", loss)
	}

	// A validation set the run tuned on is listed, so lineage sees it.
	val := edit(t, "mlflow-run.json", func(d map[string]any) {
		in := at(d, "run", "inputs")
		in["dataset_inputs"] = append(in["dataset_inputs"].([]any), map[string]any{
			"tags":    []any{map[string]any{"key": "mlflow.data.context", "value": "validation"}},
			"dataset": map[string]any{"name": "churn-val", "digest": "c0ffee00", "source_type": "local", "source": `{"uri": "data/val.csv"}`},
		})
	})
	tr, err = MLflow(val, attest.TypeURI("training"), opts)
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := json.Marshal(valid(t, "training", tr)["datasets"])
	if want := `[{"digest":{"sha256":"` + strings.Repeat("11", 32) + `"},"name":"churn-train","role":"training"},{"digest":{"sha256":"` + strings.Repeat("33", 32) + `"},"name":"churn-val","role":"holdout"}]`; string(ds) != want {
		t.Fatalf("datasets %s\nwant %s", ds, want)
	}

	// MLflow 3: auc_roc measured on the training set and on the evaluation
	// set; the evaluation takes the evaluation set's.
	linked := edit(t, "mlflow-run.json", func(d map[string]any) {
		data := at(d, "run", "data")
		data["metrics"] = append(data["metrics"].([]any),
			map[string]any{"key": "auc_roc", "value": 0.991, "timestamp": 1793707796000.0, "step": 0.0, "dataset_name": "churn-train", "dataset_digest": "a1b2c3d4"},
			map[string]any{"key": "auc_roc", "value": 0.947, "timestamp": 1793707796000.0, "step": 0.0, "dataset_name": "churn-eval", "dataset_digest": "e5f6a7b8"})
		for _, m := range data["metrics"].([]any) {
			if mm := m.(map[string]any); mm["key"] == "auc_roc" && mm["dataset_name"] == nil {
				mm["key"] = "auc_roc_unlinked"
			}
		}
	})
	ev, err := MLflow(linked, attest.TypeURI("evaluation"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if m := valid(t, "evaluation", ev)["metrics"].(map[string]any); m["auc_roc"] != 0.947 {
		t.Fatalf("evaluation metrics %v", m)
	}
	tr, err = MLflow(linked, attest.TypeURI("training"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if m := valid(t, "training", tr)["metrics"].(map[string]any); m["auc_roc"] != 0.991 {
		t.Fatalf("training metrics %v", m)
	}
	twice := edit(t, "mlflow-run.json", func(d map[string]any) {
		data := at(d, "run", "data")
		data["metrics"] = append(data["metrics"].([]any), map[string]any{"key": "auc_roc", "value": 0.5, "timestamp": 1793707796000.0, "step": 0.0, "dataset_name": "churn-eval", "dataset_digest": "e5f6a7b8"})
	})
	if _, err := MLflow(twice, attest.TypeURI("evaluation"), opts); err == nil || err.Error() != "mlflow run: metric auc_roc was logged with different values for the evaluation dataset (/run/data/metrics dataset_name): log it once per dataset" {
		t.Fatalf("one metric, two values: %v", err)
	}
}
