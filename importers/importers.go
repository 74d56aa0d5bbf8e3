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
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
)

// Tools lists the importers by name, in the order they are offered.
var Tools = []string{"great-expectations", "mlflow", "argo-rollouts"}

// byTool is which kinds each tool's output builds, and how.
var byTool = map[string]struct {
	builds []string
	build  func(raw []byte, predicateType string, opts Options) (map[string]any, error)
}{
	"great-expectations": {[]string{"data-validation"}, func(raw []byte, _ string, o Options) (map[string]any, error) { return GreatExpectations(raw, o) }},
	"mlflow":             {[]string{"training", "evaluation"}, MLflow},
	"argo-rollouts":      {[]string{"canary"}, func(raw []byte, _ string, o Options) (map[string]any, error) { return ArgoRollouts(raw, o) }},
}

// UnknownToolError is a tool no importer reads.
type UnknownToolError struct{ Tool string }

func (e *UnknownToolError) Error() string {
	return fmt.Sprintf("no importer reads %q: use one of %s", e.Tool, strings.Join(Tools, ", "))
}

// WrongKindError is a kind of evidence a tool's output does not build.
type WrongKindError struct {
	Tool   string
	Builds []string // the kinds it builds, by short name
	Asked  string   // the kind asked for, by short name or type URI
}

func (e *WrongKindError) Error() string {
	return fmt.Sprintf("%s builds %s, not %s", e.Tool, strings.Join(e.Builds, " or "), e.Asked)
}

// Import builds the predicate of predicateType from a tool's output, as
// JSON: the one place that knows which tool builds which kind.
func Import(tool string, raw []byte, predicateType string, opts Options) ([]byte, error) {
	imp, ok := byTool[tool]
	if !ok {
		return nil, &UnknownToolError{Tool: tool}
	}
	if !slices.Contains(imp.builds, attest.ShortName(predicateType)) {
		asked := attest.ShortName(predicateType)
		if asked == "" {
			asked = predicateType
		}
		return nil, &WrongKindError{Tool: tool, Builds: imp.builds, Asked: asked}
	}
	pred, err := imp.build(raw, predicateType, opts)
	if err != nil {
		return nil, err
	}
	return json.Marshal(pred)
}

// Options are what the tools' outputs lack.
type Options struct {
	DatasetName    string            // --dataset-name
	DatasetDigest  string            // --dataset-digest sha256:HEX (one dataset)
	Role           string            // --role: the dataset's role
	Digests        map[string]string // --dataset-digest NAME=sha256:HEX, by dataset name
	LossMetric     string            // --loss-metric: the MLflow metric that is the final loss
	ValidatedAt    string            // when a validation result carries no time of its own
	Environment    string            // the environment a canary ran in
	TrafficPercent *float64          // the canary's share of traffic
	Warn           func(string)      // told what an import leaves out that a gate may miss (nil: nobody)
}

// warn tells o.Warn, when there is one.
func (o Options) warn(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, args...))
	}
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
	h := digest.Hex(d)
	if !digest.IsHex64(h) {
		return "", fmt.Errorf("%q is not sha256:<64 lower-case hex>", d)
	}
	return h, nil
}

// GreatExpectations reads a validation result as Great Expectations
// serialises it: 0.15–0.18 name each expectation's type
// "expectation_type" and the suite in meta.expectation_suite_name; 1.x name
// them "type" and suite_name. A 1.x checkpoint result (run_results) holds
// several validation results of one data asset: they are judged as one, and
// pass only if every one passed. The time comes from meta.validation_time,
// else meta.run_id.run_time (or meta.run_time), else a legacy string
// run_id, else Options.ValidatedAt.
func GreatExpectations(raw []byte, opts Options) (map[string]any, error) {
	const tool = "great-expectations result"
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: not JSON: %v", tool, err)
	}
	docs, prefix := []map[string]any{doc}, ""
	if rr, ok := doc["run_results"].(map[string]any); ok {
		docs = docs[:0]
		for _, key := range slices.Sorted(maps.Keys(rr)) {
			r, _ := rr[key].(map[string]any)
			if r == nil {
				return nil, missing(tool, "run_results", key)
			}
			if inner, ok := r["validation_result"].(map[string]any); ok {
				r = inner // 0.x checkpoint results wrap each one
			}
			docs = append(docs, r)
		}
		if len(docs) == 0 {
			return nil, fmt.Errorf("%s: the checkpoint result holds no validation (/run_results is empty)", tool)
		}
		prefix = "run_results/"
	}
	var (
		suites, assets []string
		results        = []any{}
		stats          = map[string]any{"evaluated": 0, "successful": 0, "unsuccessful": 0}
		success        = true
		at             string
	)
	for _, d := range docs {
		one, err := gxOne(tool, prefix, d, opts)
		if err != nil {
			return nil, err
		}
		success = success && one.success
		suites = appendNew(suites, one.suite)
		if one.asset != "" {
			assets = appendNew(assets, one.asset)
		}
		for k, v := range one.stats {
			stats[k] = stats[k].(int) + v
		}
		results = append(results, one.results...)
		if one.at > at {
			at = one.at
		}
	}
	if len(assets) > 1 && opts.DatasetName == "" {
		return nil, fmt.Errorf("%s: the checkpoint result validates %d data assets (%s): export one asset's result, or name the dataset", tool, len(assets), strings.Join(assets, ", "))
	}
	if opts.DatasetName == "" {
		if len(assets) == 0 {
			return nil, &MissingError{What: tool + " names no dataset", Option: OptDatasetName}
		}
		opts.DatasetName = assets[0]
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
		"role":    opts.Role, "suite": strings.Join(suites, "+"), "success": success, "statistics": stats, "results": results,
		"validated_at": at, "producer": map[string]any{"tool": "great-expectations"},
	}, nil
}

// gxResult is one validation result, read.
type gxResult struct {
	success      bool
	suite, asset string
	stats        map[string]int
	results      []any
	at           string
}

// gxOne reads one ExpectationSuiteValidationResult; path names it in errors.
func gxOne(tool, path string, doc map[string]any, opts Options) (*gxResult, error) {
	miss := func(p ...string) error {
		return missing(tool, append(strings.Split(strings.TrimSuffix(path, "/"), "/"), p...)...)
	}
	if path == "" {
		miss = func(p ...string) error { return missing(tool, p...) }
	}
	out := &gxResult{stats: map[string]int{}}
	var ok bool
	if out.success, ok = doc["success"].(bool); !ok {
		return nil, miss("success")
	}
	out.suite, _ = doc["suite_name"].(string)
	if out.suite == "" {
		out.suite, _ = field2s(doc, "meta", "expectation_suite_name")
	}
	if out.suite == "" {
		return nil, miss("suite_name (1.x) or meta/expectation_suite_name (0.x)")
	}
	out.asset, _ = field2s(doc, "meta", "active_batch_definition", "data_asset_name")
	for _, pair := range [][2]string{{"evaluated", "evaluated_expectations"}, {"successful", "successful_expectations"}, {"unsuccessful", "unsuccessful_expectations"}} {
		v, ok := field(doc, "statistics", pair[1])
		n, isNum := v.(float64)
		if !ok || !isNum {
			return nil, miss("statistics", pair[1])
		}
		if n < 0 || n != math.Trunc(n) || n > 1e9 {
			return nil, fmt.Errorf("%s: /%sstatistics/%s is %v: a count of expectations is a whole number", tool, path, pair[1], n)
		}
		out.stats[pair[0]] = int(n)
	}
	switch st := out.stats; {
	case st["evaluated"] == 0:
		return nil, fmt.Errorf("%s: /%sstatistics/evaluated_expectations is 0: a suite that evaluated nothing is not a passing validation; add expectations to %s", tool, path, out.suite)
	case st["successful"]+st["unsuccessful"] != st["evaluated"]:
		return nil, fmt.Errorf("%s: /%sstatistics: %d successful and %d unsuccessful do not add up to %d evaluated", tool, path, st["successful"], st["unsuccessful"], st["evaluated"])
	case out.success && st["unsuccessful"] > 0:
		return nil, fmt.Errorf("%s: /%ssuccess is true, but %d expectation(s) failed", tool, path, st["unsuccessful"])
	}
	items, ok := doc["results"].([]any)
	if !ok {
		return nil, miss("results")
	}
	for i, it := range items {
		r, _ := it.(map[string]any)
		ok, isBool := r["success"].(bool)
		if !isBool {
			return nil, miss("results", fmt.Sprint(i), "success")
		}
		typ, _ := field2s(r, "expectation_config", "type")
		if typ == "" {
			typ, _ = field2s(r, "expectation_config", "expectation_type")
		}
		if typ == "" {
			return nil, miss("results", fmt.Sprint(i), "expectation_config", "type")
		}
		res := map[string]any{"check": typ, "success": ok}
		if col, _ := field2s(r, "expectation_config", "kwargs", "column"); col != "" {
			res["column"] = col
		}
		if obs, ok := field(r, "result", "observed_value"); ok {
			res["observed"] = obs
		} else if n, ok := field(r, "result", "unexpected_count"); ok {
			res["observed"] = map[string]any{"unexpected_count": n}
		}
		out.results = append(out.results, res)
	}
	// The time it ran, from the first place that holds one.
	var candidates []string
	for _, p := range [][]string{{"meta", "validation_time"}, {"meta", "run_id", "run_time"}, {"meta", "run_time"}, {"meta", "run_id"}} {
		if s, ok := field2s(doc, p...); ok && s != "" {
			candidates = append(candidates, s)
		}
	}
	for _, c := range candidates {
		if at, err := gxTime(c); err == nil {
			out.at = at
			return out, nil
		}
	}
	if opts.ValidatedAt != "" {
		at, err := attest.ParseTime(opts.ValidatedAt)
		if err != nil {
			return nil, &MissingError{What: "the validation time: " + err.Error(), Option: OptValidatedAt}
		}
		out.at = attest.NormalTime(at)
		return out, nil
	}
	return nil, &MissingError{What: fmt.Sprintf("%s carries no time it ran (/%smeta/validation_time, meta/run_id/run_time, or a run_id that is a time)", tool, path), Option: OptValidatedAt}
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
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
	// Only a finished, undeleted run is evidence.
	if status, _ := field2s(run, "info", "status"); status != "FINISHED" {
		return nil, fmt.Errorf("%s: /run/info/status is %q: only a FINISHED run is evidence (a FAILED, KILLED or RUNNING run proves nothing)", tool, status)
	}
	if stage, _ := field2s(run, "info", "lifecycle_stage"); stage != "active" {
		return nil, fmt.Errorf("%s: /run/info/lifecycle_stage is %q: a deleted run is not evidence", tool, stage)
	}
	times := map[string]string{}
	var ms [2]float64
	for i, k := range []string{"start_time", "end_time"} {
		v, ok := field(run, "info", k)
		n, isNum := v.(float64)
		if !ok || !isNum {
			return nil, missing(tool, "run", "info", k)
		}
		if n <= 0 || n != math.Trunc(n) || n > 1e15 {
			return nil, fmt.Errorf("%s: /run/info/%s is %v: want the time in epoch milliseconds", tool, k, n)
		}
		ms[i] = n
		times[k] = attest.NormalTime(time.UnixMilli(int64(n)))
	}
	if ms[1] < ms[0] {
		return nil, fmt.Errorf("%s: /run/info/end_time %s is before start_time %s", tool, times["end_time"], times["start_time"])
	}
	// Each metric's value at its latest step; NaN and infinities (MLflow
	// writes them as strings) are kept as such, never dropped. A metric MLflow
	// 3 links to a dataset remembers which.
	type metric struct {
		value          float64
		step           float64
		dataset, dhash string
	}
	metricsAt := map[string]metric{}
	list, _ := field(run, "data", "metrics")
	items, _ := list.([]any)
	for i, it := range items {
		m, _ := it.(map[string]any)
		key, _ := m["key"].(string)
		v, isNum := metricValue(m["value"])
		if key == "" || !isNum {
			return nil, missing(tool, "run", "data", "metrics", fmt.Sprint(i), "value")
		}
		step, _ := m["step"].(float64)
		ds, _ := m["dataset_name"].(string)
		dh, _ := m["dataset_digest"].(string)
		name := key
		if ds != "" {
			name = key + "\x00" + ds + "\x00" + dh
		}
		if prev, seen := metricsAt[name]; !seen || step >= prev.step {
			metricsAt[name] = metric{v, step, ds, dh}
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
	// Every dataset the run logged, with its role: train → training,
	// validation (early stopping, tuning) → holdout, eval and test → the
	// evaluation's, any other context → training (it must then be validated).
	type dataset struct{ name, role, mlflowDigest string }
	var datasets []dataset
	list, _ = field(run, "inputs", "dataset_inputs")
	items, _ = list.([]any)
	for i, it := range items {
		m, _ := it.(map[string]any)
		name, _ := field2s(m, "dataset", "name")
		if name == "" {
			return nil, missing(tool, "run", "inputs", "dataset_inputs", fmt.Sprint(i), "dataset", "name")
		}
		mlflowDigest, _ := field2s(m, "dataset", "digest")
		context := ""
		tl, _ := m["tags"].([]any)
		for _, t := range tl {
			tm, _ := t.(map[string]any)
			if tm["key"] == "mlflow.data.context" {
				context, _ = tm["value"].(string)
			}
		}
		role := "training"
		switch strings.ToLower(context) {
		case "eval", "evaluation", "test", "testing":
			role = "evaluation"
		case "validation", "val", "valid", "dev", "holdout":
			role = "holdout"
		}
		datasets = append(datasets, dataset{name, role, mlflowDigest})
	}
	// metricsOn gives the metrics logged for no dataset, and those MLflow 3
	// linked to a dataset that keep accepts; one name measured twice with
	// two values cannot be told apart, and is refused.
	metricsOn := func(what string, keep func(name, mlflowDigest string) bool) (map[string]any, error) {
		out := map[string]any{}
		for _, k := range slices.Sorted(maps.Keys(metricsAt)) {
			m := metricsAt[k]
			key, _, _ := strings.Cut(k, "\x00")
			if m.dataset != "" && !keep(m.dataset, m.dhash) {
				continue
			}
			if prev, dup := out[key]; dup && prev != finite(m.value) {
				return nil, fmt.Errorf("%s: metric %s was logged with different values for the %s (/run/data/metrics dataset_name): log it once per dataset", tool, key, what)
			}
			out[key] = finite(m.value)
		}
		return out, nil
	}
	roleOf := map[string]string{}
	for _, d := range datasets {
		roleOf[d.name] = d.role
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
		metrics, err := metricsOn("training datasets", func(name, _ string) bool { return roleOf[name] == "training" })
		if err != nil {
			return nil, err
		}
		// The loss as logged for no dataset, else for the first it names.
		lm, found := metricsAt[lossKey]
		for _, k := range slices.Sorted(maps.Keys(metricsAt)) {
			if key, _, _ := strings.Cut(k, "\x00"); !found && key == lossKey {
				lm, found = metricsAt[k], true
			}
		}
		loss := lm.value
		if !found {
			return nil, &MissingError{What: fmt.Sprintf("%s has no metric %q for the final loss", tool, lossKey), Option: OptLossMetric}
		}
		broken := math.IsNaN(loss) || math.IsInf(loss, 0)
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
			"loss":    map[string]any{"final": finite(loss), "nan_detected": broken, "diverged": truthy(tags["modelgate.diverged"]) || math.IsInf(loss, 0)},
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
		metrics, err := metricsOn("evaluation dataset", func(name, mlflowDigest string) bool {
			return name == eval.name && (mlflowDigest == "" || eval.mlflowDigest == "" || mlflowDigest == eval.mlflowDigest)
		})
		if err != nil {
			return nil, err
		}
		metrics, sl, fair, err := mlflowSlices(tool, metrics, tags)
		if err != nil {
			return nil, err
		}
		if len(sl) == 0 {
			opts.warn("%s logs no slice metrics (slice/NAME/METRIC with slice/NAME/size): the evaluation carries no slices, and a tier with slice floors (MG-SLICES) will deny it", tool)
		}
		if len(fair) == 0 {
			opts.warn("%s logs no fairness metrics (fairness/ATTRIBUTE/METRIC): the evaluation carries no fairness results, and a tier with fairness bounds (MG-FAIRNESS) will deny it", tool)
		}
		return map[string]any{
			"dataset": map[string]any{"name": eval.name, "digest": map[string]any{"sha256": h}},
			"metrics": metrics, "slices": sl, "fairness": fair, "behavioral": []any{},
			"evaluated_at": times["end_time"], "producer": map[string]any{"tool": "mlflow"},
		}, nil
	}
	return nil, fmt.Errorf("an MLflow run builds training or evaluation predicates, not %s", predicateType)
}

// mlflowSlices takes the slice and fairness results out of an MLflow run's
// evaluation metrics, by the naming convention modelgate documents:
//
//	slice/NAME/METRIC       a metric measured on slice NAME
//	slice/NAME/size         the slice's row count (required for each slice)
//	fairness/ATTR/METRIC    a fairness metric over a protected attribute
//
// and a slice's filter from the run's tag slice/NAME/filter. What remains
// are the model's overall metrics.
func mlflowSlices(tool string, metrics map[string]any, tags map[string]string) (map[string]any, []any, []any, error) {
	overall := map[string]any{}
	slicesByName := map[string]map[string]any{}
	var fair []any
	for _, key := range slices.Sorted(maps.Keys(metrics)) {
		v := metrics[key]
		kind, rest, found := strings.Cut(key, "/")
		if !found || kind != "slice" && kind != "fairness" {
			overall[key] = v
			continue
		}
		name, metric, ok := strings.Cut(rest, "/")
		if !ok || name == "" || metric == "" || strings.Contains(metric, "/") {
			return nil, nil, nil, fmt.Errorf("%s: metric %q: name it %s/NAME/METRIC (one NAME, one METRIC, no other slash)", tool, key, kind)
		}
		if kind == "fairness" {
			fair = append(fair, map[string]any{"attribute": name, "metric": metric, "value": v})
			continue
		}
		sl := slicesByName[name]
		if sl == nil {
			sl = map[string]any{"name": name, "filter": tags["slice/"+name+"/filter"], "metrics": map[string]any{}}
			slicesByName[name] = sl
		}
		if metric == "size" {
			n, isNum := v.(float64)
			if !isNum || n < 0 || n != math.Trunc(n) {
				return nil, nil, nil, fmt.Errorf("%s: metric %q is %v: log the slice's row count, a whole number", tool, key, v)
			}
			sl["size"] = int64(n)
			continue
		}
		sl["metrics"].(map[string]any)[metric] = v
	}
	sl := []any{}
	for _, name := range slices.Sorted(maps.Keys(slicesByName)) {
		if _, ok := slicesByName[name]["size"]; !ok {
			return nil, nil, nil, fmt.Errorf("%s: slice %s has no slice/%s/size metric: log the slice's row count (the tiers' slice floors need a minimum size)", tool, name, name)
		}
		sl = append(sl, slicesByName[name])
	}
	if fair == nil {
		fair = []any{}
	}
	return overall, sl, fair, nil
}

// The options an importer may need and not find in a tool's output.
const (
	OptDatasetName   = "dataset name"
	OptDatasetDigest = "dataset digest"
	OptRole          = "dataset role"
	OptLossMetric    = "loss metric"
	OptValidatedAt   = "validation time"
)

// MissingError is something a tool's output lacks, and the option that
// supplies it.
type MissingError struct {
	What    string
	Option  string // one of the Opt… names
	Dataset string // the dataset a digest is for, when several are
}

func (e *MissingError) Error() string { return e.What + ": give the " + e.Option }

// metricValue reads an MLflow metric value: a number, or the strings
// MLflow's JSON writes for NaN and the infinities.
func metricValue(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		switch x {
		case "NaN", "nan":
			return math.NaN(), true
		case "Infinity", "inf":
			return math.Inf(1), true
		case "-Infinity", "-inf":
			return math.Inf(-1), true
		}
	}
	return 0, false
}

// finite is a metric as a predicate holds it: the number, or null for NaN
// and the infinities.
func finite(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// truthy reads a boolean tag as Python and MLflow write it.
func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return true
	}
	return false
}
