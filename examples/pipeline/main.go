// Command pipeline is a small, real ML pipeline for modelgate's demo and a
// pattern for your own: it generates a churn data set, validates it,
// trains a logistic regression, evaluates it (AUC, accuracy, log loss, per
// slice, fairness across regions) and writes the predicates each stage
// attests — every number computed from the data, none typed in.
//
//	go run ./examples/pipeline -out run-v1 -seed 1
//	go run ./examples/pipeline -out run-v2 -seed 2 -defect new-customers -champion run-v1
package main

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/testkit"
)

// row is one customer.
type row struct {
	tenure  float64 // months
	spend   float64 // monthly
	tickets float64 // support tickets last quarter
	region  string  // north, south, east
	churn   float64 // 1 if the customer left
}

var columns = []string{"tenure", "spend", "tickets", "region", "churn"}

var regions = []string{"north", "south", "east"}

// regionEffect is how much living in the east adds to churn's log-odds: a
// little, unless the data leaks region (the -defect region case), where it
// becomes what the model mostly learns.
var regionEffect = 0.3

// generate draws customers whose churn follows a known logistic law.
func generate(r *rand.Rand, n int, shift float64) []row {
	out := make([]row, n)
	for i := range out {
		x := row{
			tenure:  math.Floor(r.ExpFloat64()*18) + 1,
			spend:   math.Round((40+r.NormFloat64()*15+shift*5)*100) / 100,
			tickets: float64(r.IntN(6)),
			region:  regions[r.IntN(len(regions))],
		}
		z := 1.0 - 0.2*x.tenure + 1.6*x.tickets - 0.03*x.spend
		if x.region == "east" {
			z += regionEffect
		}
		if r.Float64() < sigmoid(z) {
			x.churn = 1
		}
		out[i] = x
	}
	return out
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// ticketsJoinBug drops new customers' support tickets from the features,
// as a broken join upstream would: the defect the demo's challenger has.
var ticketsJoinBug bool

func features(x row) []float64 {
	if ticketsJoinBug && x.tenure < 6 {
		x.tickets = 0
	}
	east := 0.0
	if x.region == "east" {
		east = 1
	}
	return []float64{1, x.tenure / 10, x.tickets, x.spend / 50, east}
}

// train fits a logistic regression by gradient descent.
func train(rows []row, epochs int, lr float64) ([]float64, []float64) {
	w := make([]float64, len(features(rows[0])))
	var losses []float64
	for e := 0; e < epochs; e++ {
		grad := make([]float64, len(w))
		loss := 0.0
		for _, x := range rows {
			f := features(x)
			p := predict(w, f)
			loss += logLoss(x.churn, p)
			for j := range w {
				grad[j] += (p - x.churn) * f[j]
			}
		}
		for j := range w {
			w[j] -= lr * grad[j] / float64(len(rows))
		}
		losses = append(losses, loss/float64(len(rows)))
	}
	return w, losses
}

func predict(w, f []float64) float64 {
	z := 0.0
	for j := range w {
		z += w[j] * f[j]
	}
	return sigmoid(z)
}

func logLoss(y, p float64) float64 {
	p = math.Min(math.Max(p, 1e-12), 1-1e-12)
	return -(y*math.Log(p) + (1-y)*math.Log(1-p))
}

// auc is the area under the ROC curve: the chance that a churner scores
// above a stayer (ties count half).
func auc(ys, ps []float64) float64 {
	idx := make([]int, len(ps))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	var rankSum, pos float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && ps[idx[j]] == ps[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2
		for k := i; k < j; k++ {
			if ys[idx[k]] == 1 {
				rankSum += avg
				pos++
			}
		}
		i = j
	}
	neg := float64(len(ys)) - pos
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }

type metrics struct{ auc, accuracy, logloss float64 }

func measure(w []float64, rows []row) metrics {
	var ys, ps []float64
	correct, loss := 0.0, 0.0
	for _, x := range rows {
		p := predict(w, features(x))
		ys, ps = append(ys, x.churn), append(ps, p)
		if (p >= 0.5) == (x.churn == 1) {
			correct++
		}
		loss += logLoss(x.churn, p)
	}
	n := float64(len(rows))
	return metrics{auc: round(auc(ys, ps)), accuracy: round(correct / n), logloss: round(loss / n)}
}

func writeCSV(path string, rows []row) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	w := csv.NewWriter(f)
	w.Write(columns)
	for _, x := range rows {
		w.Write([]string{fmt.Sprint(x.tenure), fmt.Sprint(x.spend), fmt.Sprint(x.tickets), x.region, fmt.Sprint(x.churn)})
	}
	w.Flush()
	if err := f.Close(); err != nil {
		return "", err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// readCSV reads back what writeCSV wrote, checking its schema.
func readCSV(path string) ([]row, [][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, nil, err
	}
	var rows []row
	for _, rec := range records[1:] {
		x := row{region: rec[3]}
		x.tenure, _ = strconv.ParseFloat(rec[0], 64)
		x.spend, _ = strconv.ParseFloat(rec[1], 64)
		x.tickets, _ = strconv.ParseFloat(rec[2], 64)
		x.churn, _ = strconv.ParseFloat(rec[4], 64)
		rows = append(rows, x)
	}
	return rows, records, nil
}

type check struct {
	Check    string `json:"check"`
	Column   string `json:"column,omitempty"`
	Success  bool   `json:"success"`
	Observed any    `json:"observed,omitempty"`
}

// validate runs the data checks: schema, nulls, ranges.
func validate(records [][]string) []check {
	var out []check
	schemaOK := len(records) > 0 && fmt.Sprint(records[0]) == fmt.Sprint(columns)
	out = append(out, check{Check: "expect_table_columns_to_match_ordered_list", Success: schemaOK, Observed: records[0]})
	for c, name := range columns {
		nulls := 0
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, rec := range records[1:] {
			if rec[c] == "" {
				nulls++
				continue
			}
			if v, err := strconv.ParseFloat(rec[c], 64); err == nil {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		out = append(out, check{Check: "expect_column_values_to_not_be_null", Column: name, Success: nulls == 0, Observed: nulls})
		switch name {
		case "tenure":
			out = append(out, check{Check: "expect_column_values_to_be_between", Column: name, Success: lo >= 0 && hi <= 240, Observed: []float64{lo, hi}})
		case "churn":
			out = append(out, check{Check: "expect_column_values_to_be_in_set", Column: name, Success: lo >= 0 && hi <= 1, Observed: []float64{lo, hi}})
		}
	}
	return out
}

// psi is the population stability index of a feature between two sets, over
// the first set's deciles.
func psi(a, b []float64) float64 {
	sorted := append([]float64(nil), a...)
	sort.Float64s(sorted)
	edges := make([]float64, 9)
	for i := range edges {
		edges[i] = sorted[(i+1)*len(sorted)/10]
	}
	share := func(xs []float64) []float64 {
		counts := make([]float64, 10)
		for _, x := range xs {
			counts[sort.SearchFloat64s(edges, x)]++
		}
		for i := range counts {
			counts[i] = math.Max(counts[i]/float64(len(xs)), 1e-4)
		}
		return counts
	}
	pa, pb := share(a), share(b)
	sum := 0.0
	for i := range pa {
		sum += (pb[i] - pa[i]) * math.Log(pb[i]/pa[i])
	}
	return round(sum)
}

func column(rows []row, f func(row) float64) []float64 {
	out := make([]float64, len(rows))
	for i, x := range rows {
		out[i] = f(x)
	}
	return out
}

func main() {
	out := flag.String("out", "run", "folder to write the data, the model and the predicates into")
	seed := flag.Uint64("seed", 1, "random seed of the data and the training")
	defect := flag.String("defect", "", "'new-customers': a broken join drops new customers' support tickets, so the model fails that slice")
	champion := flag.String("champion", "", "the champion's run folder: its evaluation becomes the baseline")
	championDigest := flag.String("champion-digest", "", "the champion model's sha256")
	variant := flag.String("variant", "", "a name written into the model's config (another build of the same weights)")
	smoke := flag.Bool("smoke", false, "smoke-test the model in -out: time predictions on fresh requests, write smoke.json")
	slowMS := flag.Int("slow-ms", 0, "with -smoke: make one request in fifty this slow (a cold cache, a bad build)")
	canary := flag.String("canary", "", "canary analysis: the champion's run folder as control, -out's model as canary; writes canary.json")
	keyless := flag.String("keyless", "", "sign -out's explanation.json keylessly about this model (NAME@sha256:HEX), as a CI job's OIDC identity would, with a virtual Sigstore; writes explanation.sigstore.json and the Sigstore trusted root to -trusted-root")
	trustedRoot := flag.String("trusted-root", "", "with -keyless: where to write the virtual Sigstore's trusted root")
	shadow := flag.String("shadow", "", "shadow deployment: -out's model scores mirrored traffic beside the champion in this run folder (its digest in -champion-digest); writes shadow.json")
	flag.Parse()
	var err error
	switch {
	case *smoke:
		err = smokeTest(*out, *seed, *slowMS)
	case *canary != "":
		err = canaryAnalysis(*out, *canary, *seed)
	case *keyless != "":
		err = keylessSign(*out, *keyless, *trustedRoot)
	case *shadow != "":
		err = shadowAnalysis(*out, *shadow, *championDigest, *seed)
	default:
		err = run(*out, *seed, *defect, *champion, *championDigest, *variant)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

func run(out string, seed uint64, defect, champion, championDigest, variant string) error {
	if err := os.MkdirAll(filepath.Join(out, "model"), 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(seed, 7))
	now := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	at := func(minutes int) string { return now.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339) }

	// Data: a training set and a held-out evaluation set, each its own file.
	if defect == "region" {
		regionEffect = 12
	}
	trainRows, evalRows := generate(r, 6000, 0), generate(rand.New(rand.NewPCG(1000+seed, 9)), 3000, 0.1)
	ticketsJoinBug = defect == "new-customers"
	trainDigest, err := writeCSV(filepath.Join(out, "train.csv"), trainRows)
	if err != nil {
		return err
	}
	evalDigest, err := writeCSV(filepath.Join(out, "eval.csv"), evalRows)
	if err != nil {
		return err
	}

	// Data validation of each set, drift of the evaluation set against training.
	for _, set := range []struct{ name, file, digest, role string }{
		{"churn-train", "train.csv", trainDigest, "training"},
		{"churn-eval", "eval.csv", evalDigest, "evaluation"},
	} {
		rows, records, err := readCSV(filepath.Join(out, set.file))
		if err != nil {
			return err
		}
		results := validate(records)
		ok := 0
		for _, c := range results {
			if c.Success {
				ok++
			}
		}
		pred := map[string]any{
			"dataset": map[string]any{"name": set.name, "digest": map[string]any{"sha256": set.digest}, "uri": "file://" + set.file},
			"role":    set.role, "suite": "churn.expectations", "success": ok == len(results),
			"statistics": map[string]any{"evaluated": len(results), "successful": ok, "unsuccessful": len(results) - ok},
			"results":    results, "validated_at": at(0),
			"producer": map[string]any{"tool": "modelgate-example-pipeline", "version": "1"},
		}
		if set.role == "evaluation" {
			var drift []any
			for _, f := range []struct {
				name string
				get  func(row) float64
			}{{"tenure", func(x row) float64 { return x.tenure }}, {"spend", func(x row) float64 { return x.spend }}} {
				drift = append(drift, map[string]any{"feature": f.name, "metric": "psi", "value": psi(column(trainRows, f.get), column(rows, f.get)), "threshold": 0.2})
			}
			pred["drift"] = drift
		}
		if err := writeJSON(filepath.Join(out, "dv-"+set.role+".json"), pred); err != nil {
			return err
		}
	}

	// Training.
	w, losses := train(trainRows, 300, 0.5)
	final := losses[len(losses)-1]
	nan := math.IsNaN(final)
	if err := writeJSON(filepath.Join(out, "model", "weights.json"), map[string]any{"kind": "logistic-regression", "features": []string{"bias", "tenure/10", "tickets", "spend/50", "east"}, "weights": w}); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(out, "model", "config.json"), map[string]any{"threshold": 0.5, "seed": seed, "variant": variant, "tickets_join_bug": ticketsJoinBug}); err != nil {
		return err
	}
	train := measure(w, trainRows)
	if err := writeJSON(filepath.Join(out, "training.json"), map[string]any{
		"run_id": fmt.Sprintf("churn-%d", seed), "code": map[string]any{"uri": "git+https://example.com/churn.git", "digest": map[string]any{"sha1": fmt.Sprintf("%040x", seed)}},
		"datasets":        []any{map[string]any{"name": "churn-train", "digest": map[string]any{"sha256": trainDigest}, "role": "training"}},
		"hyperparameters": map[string]any{"epochs": 300, "learning_rate": 0.5, "seed": seed},
		"loss":            map[string]any{"final": round(final), "nan_detected": nan, "diverged": losses[len(losses)-1] > losses[0]},
		"metrics":         map[string]any{"train_auc_roc": train.auc, "train_accuracy": train.accuracy},
		"started_at":      at(5), "finished_at": at(10),
	}); err != nil {
		return err
	}

	// Evaluation on the held-out set: whole, per slice, fairness across regions.
	all := measure(w, evalRows)
	slice := func(name, filter string, keep func(row) bool) map[string]any {
		var rows []row
		for _, x := range evalRows {
			if keep(x) {
				rows = append(rows, x)
			}
		}
		m := measure(w, rows)
		return map[string]any{"name": name, "filter": filter, "size": len(rows), "metrics": map[string]any{"auc_roc": m.auc, "accuracy": m.accuracy}}
	}
	slices := []any{
		slice("new_customers", "tenure < 6", func(x row) bool { return x.tenure < 6 }),
		slice("long_tenure", "tenure >= 24", func(x row) bool { return x.tenure >= 24 }),
		slice("east", "region == 'east'", func(x row) bool { return x.region == "east" }),
	}
	// Disparate impact: the lowest region's rate of predicted churn over the highest's.
	rates := map[string][2]float64{}
	for _, x := range evalRows {
		c := rates[x.region]
		c[1]++
		if predict(w, features(x)) >= 0.5 {
			c[0]++
		}
		rates[x.region] = c
	}
	lo, hi := math.Inf(1), 0.0
	for _, c := range rates {
		rate := c[0] / c[1]
		lo, hi = math.Min(lo, rate), math.Max(hi, rate)
	}
	evaluation := map[string]any{
		"dataset":      map[string]any{"name": "churn-eval", "digest": map[string]any{"sha256": evalDigest}},
		"metrics":      map[string]any{"auc_roc": all.auc, "accuracy": all.accuracy, "log_loss": all.logloss},
		"slices":       slices,
		"fairness":     []any{map[string]any{"attribute": "region", "metric": "disparate_impact_ratio", "value": round(lo / hi)}},
		"behavioral":   []any{},
		"latency_ms":   offlineLatency(w, evalRows),
		"evaluated_at": at(20),
	}
	if champion != "" {
		var prev map[string]any
		raw, err := os.ReadFile(filepath.Join(champion, "evaluation.json"))
		if err != nil {
			return fmt.Errorf("-champion: %w", err)
		}
		json.Unmarshal(raw, &prev)
		evaluation["baseline"] = map[string]any{"name": "champion", "digest": map[string]any{"sha256": championDigest}, "metrics": prev["metrics"]}
	}
	if err := writeJSON(filepath.Join(out, "evaluation.json"), evaluation); err != nil {
		return err
	}
	importances := permutationImportances(w, evalRows, seed)
	if err := writeJSON(filepath.Join(out, "explanation.json"), map[string]any{
		"dataset": map[string]any{"name": "churn-eval", "digest": map[string]any{"sha256": evalDigest}},
		"method":  "permutation", "attributions": importances, "explained_at": at(25),
	}); err != nil {
		return err
	}
	fmt.Printf("trained on %d rows (final loss %.4f); evaluated on %d: AUC %.4f, accuracy %.4f, log loss %.4f\n", len(trainRows), final, len(evalRows), all.auc, all.accuracy, all.logloss)
	for _, s := range slices {
		m := s.(map[string]any)
		fmt.Printf("  slice %-14s %5d rows: AUC %.4f\n", m["name"], m["size"], m["metrics"].(map[string]any)["auc_roc"])
	}
	fmt.Printf("  disparate impact across regions: %.4f\n", round(lo/hi))
	var top []string
	for _, a := range importances {
		top = append(top, fmt.Sprintf("%s %.4f", a["feature"], a["value"]))
	}
	fmt.Printf("  permutation importances (AUC lost): %s\n", strings.Join(top, ", "))
	return nil
}

// offlineLatency times each prediction over the rows, in milliseconds.
func offlineLatency(w []float64, rows []row) map[string]any {
	lat := make([]float64, len(rows))
	for i, x := range rows {
		start := time.Now()
		predict(w, features(x))
		lat[i] = float64(time.Since(start).Nanoseconds()) / 1e6
	}
	return percentiles(lat)
}

// percentiles gives p50 and p99 of latencies in ms.
func percentiles(lat []float64) map[string]any {
	sort.Float64s(lat)
	pct := func(q float64) float64 { return math.Round(lat[int(math.Ceil(q*float64(len(lat))))-1]*1e6) / 1e6 }
	return map[string]any{"p50": pct(0.5), "p99": pct(0.99)}
}

// permutationImportances measures, for each input of the model, how much
// AUC it loses when that input is shuffled across the rows: the mean
// absolute attribution of a permutation explainer, largest first.
func permutationImportances(w []float64, rows []row, seed uint64) []map[string]any {
	base := measure(w, rows).auc
	inputs := []struct {
		name string
		swap func(a, b *row)
	}{
		{"tenure", func(a, b *row) { a.tenure, b.tenure = b.tenure, a.tenure }},
		{"tickets", func(a, b *row) { a.tickets, b.tickets = b.tickets, a.tickets }},
		{"spend", func(a, b *row) { a.spend, b.spend = b.spend, a.spend }},
		{"region", func(a, b *row) { a.region, b.region = b.region, a.region }},
	}
	var out []map[string]any
	for i, in := range inputs {
		shuffled := append([]row(nil), rows...)
		r := rand.New(rand.NewPCG(seed, uint64(100+i)))
		r.Shuffle(len(shuffled), func(a, b int) { in.swap(&shuffled[a], &shuffled[b]) })
		out = append(out, map[string]any{"feature": in.name, "value": round(math.Abs(base - measure(w, shuffled).auc))})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a]["value"].(float64) > out[b]["value"].(float64) })
	return out
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func loadWeights(run string) ([]float64, bool, error) {
	var m struct{ Weights []float64 }
	raw, err := os.ReadFile(filepath.Join(run, "model", "weights.json"))
	if err != nil {
		return nil, false, err
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, false, err
	}
	var cfg struct {
		Bug bool `json:"tickets_join_bug"`
	}
	raw, _ = os.ReadFile(filepath.Join(run, "model", "config.json"))
	json.Unmarshal(raw, &cfg)
	return m.Weights, cfg.Bug, nil
}

// smokeTest serves fifty fresh requests to the model in process and
// records their latency and errors, as a staging deploy's check would.
func smokeTest(run string, seed uint64, slowMS int) error {
	w, bug, err := loadWeights(run)
	if err != nil {
		return err
	}
	ticketsJoinBug = bug
	requests := generate(rand.New(rand.NewPCG(5000+seed, 3)), 50, 0)
	var lat []float64
	errors := 0
	for i, x := range requests {
		start := time.Now()
		p := predict(w, features(x))
		if slowMS > 0 && i == 25 {
			time.Sleep(time.Duration(slowMS) * time.Millisecond)
		}
		lat = append(lat, float64(time.Since(start).Nanoseconds())/1e6)
		if math.IsNaN(p) || p < 0 || p > 1 {
			errors++
		}
	}
	sort.Float64s(lat)
	pct := func(q float64) float64 { return math.Round(lat[int(math.Ceil(q*float64(len(lat))))-1]*1e6) / 1e6 }
	s := map[string]any{"environment": "staging", "endpoint": "in-process://" + filepath.Base(run), "requests": len(requests), "errors": errors,
		"error_rate": round(float64(errors) / float64(len(requests))), "latency_ms": map[string]any{"p50": pct(0.5), "p99": pct(0.99)},
		"passed": errors == 0, "tested_at": time.Now().UTC().Add(-30 * time.Minute).Format(time.RFC3339)}
	fmt.Printf("smoke test: %d requests, %d errors, p50 %.3f ms, p99 %.3f ms\n", len(requests), errors, pct(0.5), pct(0.99))
	return writeJSON(filepath.Join(run, "smoke.json"), s)
}

// canaryAnalysis scores fresh traffic with the champion (control) and the
// challenger (canary) and passes when the canary's AUC is within 0.02.
func canaryAnalysis(run, control string, seed uint64) error {
	traffic := generate(rand.New(rand.NewPCG(9000+seed, 5)), 2000, 0.1)
	score := func(dir string) (metrics, error) {
		w, bug, err := loadWeights(dir)
		if err != nil {
			return metrics{}, err
		}
		ticketsJoinBug = bug
		return measure(w, traffic), nil
	}
	c, err := score(control)
	if err != nil {
		return err
	}
	k, err := score(run)
	if err != nil {
		return err
	}
	m := func(x metrics) map[string]any {
		return map[string]any{"metrics": map[string]any{"auc_roc": x.auc, "accuracy": x.accuracy, "log_loss": x.logloss}}
	}
	passed := k.auc >= c.auc-0.02
	// The requests arrive as live traffic would, one every 1.8 s of the
	// simulated clock: the analysis covers the span from first to last.
	const arrival = 1.8
	soak := math.Round(float64(len(traffic)-1) * arrival)
	fmt.Printf("canary analysis on %d requests: control AUC %.4f, canary AUC %.4f, passed %v\n", len(traffic), c.auc, k.auc, passed)
	return writeJSON(filepath.Join(run, "canary.json"), map[string]any{"environment": "production", "traffic_percent": 5,
		"duration_s": soak, "control": m(c), "canary": m(k), "passed": passed,
		"analyzed_at": time.Now().UTC().Add(-10 * time.Minute).Format(time.RFC3339)})
}

// shadowAnalysis mirrors fresh traffic to the model in run beside the
// champion: both score every request, only the champion's answer is used.
// It records how often they agree, the shadow's latency and errors, and
// both models' metrics on that traffic.
func shadowAnalysis(run, champion, championDigest string, seed uint64) error {
	if len(championDigest) != 64 {
		return fmt.Errorf("-shadow needs -champion-digest, the champion model's sha256")
	}
	traffic := generate(rand.New(rand.NewPCG(7000+seed, 11)), 12000, 0.1)
	cw, cbug, err := loadWeights(champion)
	if err != nil {
		return err
	}
	sw, sbug, err := loadWeights(run)
	if err != nil {
		return err
	}
	agree, errs := 0, 0
	lat := make([]float64, len(traffic))
	for i, x := range traffic {
		ticketsJoinBug = cbug
		c := predict(cw, features(x))
		ticketsJoinBug = sbug
		start := time.Now()
		p := predict(sw, features(x))
		lat[i] = float64(time.Since(start).Nanoseconds()) / 1e6
		if math.IsNaN(p) || p < 0 || p > 1 {
			errs++
		} else if (p >= 0.5) == (c >= 0.5) {
			agree++
		}
	}
	ticketsJoinBug = cbug
	cm := measure(cw, traffic)
	ticketsJoinBug = sbug
	sm := measure(sw, traffic)
	m := func(x metrics) map[string]any { return map[string]any{"auc_roc": x.auc, "accuracy": x.accuracy} }
	n := float64(len(traffic))
	agreement, errorRate := round(float64(agree)/n), round(float64(errs)/n)
	passed := agreement >= 0.95 && errs == 0
	// Mirrored requests arrive one every 0.6 s of the simulated clock.
	soak := math.Round((n - 1) * 0.6)
	fmt.Printf("shadow beside the champion on %d mirrored requests over %.0fs: agreement %.4f, errors %d, passed %v\n", len(traffic), soak, agreement, errs, passed)
	return writeJSON(filepath.Join(run, "shadow.json"), map[string]any{"environment": "production", "duration_s": soak, "requests": len(traffic),
		"champion": map[string]any{"digest": map[string]any{"sha256": championDigest}, "metrics": m(cm)}, "shadow": map[string]any{"metrics": m(sm)},
		"agreement_rate": agreement, "latency_ms": percentiles(lat), "error_rate": errorRate, "passed": passed,
		"analyzed_at": time.Now().UTC().Add(-20 * time.Minute).Format(time.RFC3339)})
}

// CIIdentity is the workflow the demo's keyless signature speaks for.
const CIIdentity = "https://github.com/acme/churn/.github/workflows/explain.yml@refs/heads/main"

// keylessSign signs the run's explanation as the CI workflow's OIDC
// identity: a virtual Fulcio certificate, a virtual Rekor entry and an RFC
// 3161 timestamp, in a Sigstore bundle, beside the trusted root that
// verifies it. The virtual Sigstore lives for this process alone, so both
// are written at once.
func keylessSign(run, ref, rootPath string) error {
	subject, err := digest.ParseRef(ref)
	if err != nil {
		return fmt.Errorf("-keyless: %w", err)
	}
	if rootPath == "" {
		return fmt.Errorf("-keyless needs -trusted-root")
	}
	pred, err := os.ReadFile(filepath.Join(run, "explanation.json"))
	if err != nil {
		return err
	}
	st, err := attest.NewStatement(subject, attest.TypeURI("explanation"), pred)
	if err != nil {
		return err
	}
	ss, err := testkit.NewVirtualSigstore()
	if err != nil {
		return err
	}
	bundle, err := ss.Bundle(CIIdentity, testkit.GitHubIssuer, st, testkit.Options{})
	if err != nil {
		return err
	}
	if err := os.WriteFile(rootPath, ss.TrustedRoot, 0o644); err != nil {
		return err
	}
	fmt.Printf("explanation signed keylessly as %s (issuer %s), logged and timestamped\n", CIIdentity, testkit.GitHubIssuer)
	return os.WriteFile(filepath.Join(run, "explanation.sigstore.json"), bundle, 0o644)
}
