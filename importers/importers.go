// Package importers turns the output of tools pipelines already run into
// modelgate predicates, so nobody hand-writes them: a Great Expectations
// validation result (0.18 and 1.x shapes) into data-validation/v1, an MLflow
// run (as its REST API's runs/get returns it) into training/v1 or
// evaluation/v1. What the tool's output lacks comes from Options, and an
// error names the flag that supplies it or the field that is wrong.
package importers

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
)

// Tools lists the importers by the name --from takes.
var Tools = []string{"great-expectations", "mlflow", "argo-rollouts"}

// Options are what the tools' outputs lack.
type Options struct {
	DatasetName    string            // --dataset-name
	DatasetDigest  string            // --dataset-digest sha256:HEX (one dataset)
	Role           string            // --role: the dataset's role
	Digests        map[string]string // --dataset-digest NAME=sha256:HEX, by dataset name
	LossMetric     string            // --loss-metric: the MLflow metric that is the final loss
	Environment    string            // the environment a canary ran in
	TrafficPercent *float64          // the canary's share of traffic
}

func field(doc map[string]any, path ...string) (any, bool) {
	var cur any = doc
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func missing(tool string, path ...string) error {
	return fmt.Errorf("%s: /%s is missing or has the wrong type", tool, strings.Join(path, "/"))
}

func hex(d string) (string, error) {
	h := strings.TrimPrefix(d, "sha256:")
	if !digest.IsHex64(h) {
		return "", fmt.Errorf("%q is not sha256:<64 lower-case hex>", d)
	}
	return h, nil
}

// GreatExpectations reads a validation result: GX 0.18 names each
// expectation's type "expectation_type" and the suite in
// meta.expectation_suite_name, with validation_time like
// 20241103T120000.000000Z; GX 1.x names them "type" and suite_name, with an
// ISO time.
func GreatExpectations(raw []byte, opts Options) (map[string]any, error) {
	const tool = "great-expectations result"
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: not JSON: %v", tool, err)
	}
	success, ok := doc["success"].(bool)
	if !ok {
		return nil, missing(tool, "success")
	}
	suite, _ := doc["suite_name"].(string)
	if suite == "" {
		suite, _ = field2s(doc, "meta", "expectation_suite_name")
	}
	if suite == "" {
		return nil, missing(tool, "suite_name (1.x) or meta/expectation_suite_name (0.18)")
	}
	stats := map[string]any{}
	for _, pair := range [][2]string{{"evaluated", "evaluated_expectations"}, {"successful", "successful_expectations"}, {"unsuccessful", "unsuccessful_expectations"}} {
		ours, theirs := pair[0], pair[1]
		v, ok := field(doc, "statistics", theirs)
		n, isNum := v.(float64)
		if !ok || !isNum {
			return nil, missing(tool, "statistics", theirs)
		}
		stats[ours] = int(n)
	}
	items, ok := doc["results"].([]any)
	if !ok {
		return nil, missing(tool, "results")
	}
	results := []any{}
	for i, it := range items {
		r, _ := it.(map[string]any)
		ok, isBool := r["success"].(bool)
		if !isBool {
			return nil, missing(tool, "results", fmt.Sprint(i), "success")
		}
		typ, _ := field2s(r, "expectation_config", "type")
		if typ == "" {
			typ, _ = field2s(r, "expectation_config", "expectation_type")
		}
		if typ == "" {
			return nil, missing(tool, "results", fmt.Sprint(i), "expectation_config", "type")
		}
		out := map[string]any{"check": typ, "success": ok}
		if col, _ := field2s(r, "expectation_config", "kwargs", "column"); col != "" {
			out["column"] = col
		}
		if obs, ok := field(r, "result", "observed_value"); ok {
			out["observed"] = obs
		} else if n, ok := field(r, "result", "unexpected_count"); ok {
			out["observed"] = map[string]any{"unexpected_count": n}
		}
		results = append(results, out)
	}
	when, _ := field2s(doc, "meta", "validation_time")
	if when == "" {
		when, _ = field2s(doc, "meta", "run_id", "run_time")
	}
	at, err := gxTime(when)
	if err != nil {
		return nil, fmt.Errorf("%s: /meta/validation_time: %v", tool, err)
	}
	if opts.DatasetName == "" {
		if name, _ := field2s(doc, "meta", "active_batch_definition", "data_asset_name"); name != "" {
			opts.DatasetName = name
		} else {
			return nil, &MissingError{What: tool + " names no dataset", Option: OptDatasetName}
		}
	}
	if opts.DatasetDigest == "" {
		return nil, &MissingError{What: tool + " carries no digest of the data it validated", Option: OptDatasetDigest}
	}
	h, err := hex(opts.DatasetDigest)
	if err != nil {
		return nil, &MissingError{What: "the dataset digest: " + err.Error(), Option: OptDatasetDigest}
	}
	if opts.Role == "" {
		return nil, &MissingError{What: tool + " does not say what the data is for", Option: OptRole}
	}
	return map[string]any{
		"dataset": map[string]any{"name": opts.DatasetName, "digest": map[string]any{"sha256": h}},
		"role":    opts.Role, "suite": suite, "success": success, "statistics": stats, "results": results,
		"validated_at": at, "producer": map[string]any{"tool": "great-expectations"},
	}, nil
}

func field2s(doc map[string]any, path ...string) (string, bool) {
	v, ok := field(doc, path...)
	s, isStr := v.(string)
	return s, ok && isStr
}

// gxTime reads Great Expectations' times: 20241103T120000.000000Z (0.18's
// run time format) or ISO 8601.
func gxTime(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("missing")
	}
	for _, layout := range []string{"20060102T150405.000000Z", "2006-01-02T15:04:05.999999-07:00", "2006-01-02T15:04:05.999999Z07:00", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return attest.NormalTime(t), nil
		}
	}
	return "", fmt.Errorf("%q is not a time Great Expectations writes", s)
}

// MLflow reads a run as GET /api/2.0/mlflow/runs/get returns it, into a
// training/v1 or evaluation/v1 predicate.
func MLflow(raw []byte, predicateType string, opts Options) (map[string]any, error) {
	const tool = "mlflow run"
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: not JSON: %v", tool, err)
	}
	run, ok := doc["run"].(map[string]any)
	if !ok {
		return nil, missing(tool, "run")
	}
	runID, _ := field2s(run, "info", "run_id")
	if runID == "" {
		return nil, missing(tool, "run", "info", "run_id")
	}
	times := map[string]string{}
	for _, k := range []string{"start_time", "end_time"} {
		v, ok := field(run, "info", k)
		ms, isNum := v.(float64)
		if !ok || !isNum {
			return nil, missing(tool, "run", "info", k)
		}
		times[k] = attest.NormalTime(time.UnixMilli(int64(ms)))
	}
	metrics := map[string]any{}
	list, _ := field(run, "data", "metrics")
	items, _ := list.([]any)
	latest := map[string]float64{}
	for i, it := range items {
		m, _ := it.(map[string]any)
		key, _ := m["key"].(string)
		v, isNum := m["value"].(float64)
		if key == "" || !isNum {
			return nil, missing(tool, "run", "data", "metrics", fmt.Sprint(i), "value")
		}
		step, _ := m["step"].(float64)
		if prev, seen := latest[key]; !seen || step >= prev {
			latest[key] = step
			metrics[key] = v
		}
	}
	params := map[string]any{}
	list, _ = field(run, "data", "params")
	items, _ = list.([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		if k, ok := m["key"].(string); ok {
			params[k] = m["value"]
		}
	}
	tags := map[string]string{}
	list, _ = field(run, "data", "tags")
	items, _ = list.([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		k, _ := m["key"].(string)
		v, _ := m["value"].(string)
		tags[k] = v
	}
	type dataset struct{ name, role string }
	var datasets []dataset
	list, _ = field(run, "inputs", "dataset_inputs")
	items, _ = list.([]any)
	for i, it := range items {
		m, _ := it.(map[string]any)
		name, _ := field2s(m, "dataset", "name")
		if name == "" {
			return nil, missing(tool, "run", "inputs", "dataset_inputs", fmt.Sprint(i), "dataset", "name")
		}
		role := "training"
		tl, _ := m["tags"].([]any)
		for _, t := range tl {
			tm, _ := t.(map[string]any)
			if tm["key"] == "mlflow.data.context" {
				role, _ = tm["value"].(string)
			}
		}
		switch role {
		case "train":
			role = "training"
		case "eval", "test", "validation":
			role = "evaluation"
		}
		datasets = append(datasets, dataset{name, role})
	}
	digestOf := func(name string) (string, error) {
		d, ok := opts.Digests[name]
		if !ok {
			return "", &MissingError{What: fmt.Sprintf("%s: MLflow's dataset digest for %s is not a sha256 of its data", tool, name), Option: OptDatasetDigest, Dataset: name}
		}
		h, err := hex(d)
		if err != nil {
			return "", &MissingError{What: fmt.Sprintf("the digest of dataset %s: %v", name, err), Option: OptDatasetDigest, Dataset: name}
		}
		return h, nil
	}
	switch attest.ShortName(predicateType) {
	case "training":
		var ds []any
		for _, d := range datasets {
			if d.role == "evaluation" {
				continue
			}
			h, err := digestOf(d.name)
			if err != nil {
				return nil, err
			}
			ds = append(ds, map[string]any{"name": d.name, "digest": map[string]any{"sha256": h}, "role": d.role})
		}
		if len(ds) == 0 {
			return nil, fmt.Errorf("%s logs no training dataset (/run/inputs/dataset_inputs): log it with mlflow.log_input", tool)
		}
		lossKey := opts.LossMetric
		if lossKey == "" {
			lossKey = "loss"
		}
		loss, ok := metrics[lossKey].(float64)
		if !ok {
			return nil, &MissingError{What: fmt.Sprintf("%s has no metric %q for the final loss", tool, lossKey), Option: OptLossMetric}
		}
		uri := tags["mlflow.source.git.repoURL"]
		if uri == "" {
			uri = tags["mlflow.source.name"]
		}
		commit := tags["mlflow.source.git.commit"]
		if uri == "" || commit == "" {
			return nil, fmt.Errorf("%s has no tags mlflow.source.git.repoURL (or mlflow.source.name) and mlflow.source.git.commit: run it from a git checkout", tool)
		}
		return map[string]any{
			"run_id": runID, "code": map[string]any{"uri": uri, "digest": map[string]any{"sha1": commit}},
			"datasets": ds, "hyperparameters": params,
			"loss":    map[string]any{"final": loss, "nan_detected": math.IsNaN(loss), "diverged": tags["modelgate.diverged"] == "true"},
			"metrics": metrics, "started_at": times["start_time"], "finished_at": times["end_time"],
			"producer": map[string]any{"tool": "mlflow"},
		}, nil
	case "evaluation":
		var eval *dataset
		for i := range datasets {
			if datasets[i].role == "evaluation" {
				eval = &datasets[i]
			}
		}
		if eval == nil {
			return nil, fmt.Errorf("%s logs no evaluation dataset (an input tagged mlflow.data.context=evaluation): log it with mlflow.log_input", tool)
		}
		h, err := digestOf(eval.name)
		if err != nil {
			return nil, err
		}
		return map[string]any{
			"dataset": map[string]any{"name": eval.name, "digest": map[string]any{"sha256": h}},
			"metrics": metrics, "slices": []any{}, "fairness": []any{}, "behavioral": []any{},
			"evaluated_at": times["end_time"], "producer": map[string]any{"tool": "mlflow"},
		}, nil
	}
	return nil, fmt.Errorf("an MLflow run builds training or evaluation predicates, not %s", predicateType)
}

// The options an importer may need and not find in a tool's output.
const (
	OptDatasetName   = "dataset name"
	OptDatasetDigest = "dataset digest"
	OptRole          = "dataset role"
	OptLossMetric    = "loss metric"
)

// MissingError is something a tool's output lacks, and the option that
// supplies it.
type MissingError struct {
	What    string
	Option  string // one of the Opt… names
	Dataset string // the dataset a digest is for, when several are
}

func (e *MissingError) Error() string { return e.What + ": give the " + e.Option }
