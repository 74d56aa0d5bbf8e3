package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	cpolicy "github.com/open-policy-agent/conftest/policy"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/gate"
	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/tlog"
	"github.com/modelgate/modelgate/vsa"
)

// pipelineRun holds one end-to-end scenario's files.
type pipelineRun struct {
	t      *testing.T
	p      *testkit.Pipeline
	dir    string
	policy string
}

var sharedPipeline = testkit.NewPipeline("fraud-scorer")

func newRun(t *testing.T, tier string) *pipelineRun {
	dir := t.TempDir()
	r := &pipelineRun{t: t, p: sharedPipeline, dir: dir, policy: filepath.Join(dir, "policy")}
	if _, err := evidence.OpenDir(filepath.Join(dir, "store")); err != nil {
		t.Fatal(err)
	}
	if err := r.p.WriteBundle(filepath.Join(testkit.RepoRoot(), "policies"), r.policy, tier); err != nil {
		t.Fatal(err)
	}
	initLedger(t, r.p, filepath.Join(dir, "store"))
	return r
}

// initLedger creates the ledger's log beside a dir: store, with the
// pipeline's log key, which appending commands then find in
// $MODELGATE_LEDGER_KEY; each test remembers its own checkpoints.
func initLedger(t testing.TB, p *testkit.Pipeline, storeDir string) {
	t.Helper()
	if err := p.Ledger.Init(filepath.Join(storeDir, "tlog")); err != nil {
		t.Fatal(err)
	}
	keyDir := t.TempDir()
	t.Setenv("MODELGATE_LEDGER_KEY", p.Ledger.WriteKey(keyDir))
	testkit.OwnCheckpoints(t)
}

// appendRecords appends signed records to the log beside a dir: store as
// its writer would, without asking whether the bundle trusts them: what
// an attacker holding the log key could write.
func appendRecords(t testing.TB, p *testkit.Pipeline, storeDir string, envs ...[]byte) {
	t.Helper()
	spec, _ := tlog.ParseSpec("dir:" + filepath.Join(storeDir, "tlog"))
	app, err := tlog.OpenAppender(context.Background(), spec, p.Ledger.Signer, tlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(context.Background())
	for _, e := range envs {
		if _, err := app.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

// verify writes the envelopes as files and runs 'modelgate verify' on them.
func (r *pipelineRun) verify(envs map[string][]byte, extra ...string) (int, *decision.Decision, string) {
	args := []string{"verify", "--subject", r.p.Subject.String(), "--env", "production", "--policy", r.policy,
		"--store", "dir:" + filepath.Join(r.dir, "store"), "--format", "json"}
	names := make([]string, 0, len(envs))
	for name := range envs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(r.dir, name+".json")
		os.WriteFile(path, envs[name], 0o644)
		args = append(args, "--evidence", path)
	}
	args = append(args, extra...)
	var out, errOut bytes.Buffer
	code := execute(args, &out, &errOut)
	if code == 2 {
		return code, nil, errOut.String()
	}
	d, err := decision.Parse(out.Bytes())
	if err != nil {
		r.t.Fatalf("exit %d, output %q: %v (stderr %s)", code, out.String(), err, errOut.String())
	}
	return code, d, errOut.String()
}

func failing(d *decision.Decision) []string {
	var out []string
	for _, g := range d.Gates {
		if g.Status == decision.Fail {
			out = append(out, g.ID+": "+g.Message)
		}
	}
	return out
}

func TestAllGoodIsAllowed(t *testing.T) {
	r := newRun(t, "high")
	code, d, stderr := r.verify(r.p.Envelopes(nil))
	if code != 0 || !d.Allow || d.Tier != "high" {
		t.Fatalf("exit %d allow %v tier %s; failing %v %s", code, d.Allow, d.Tier, failing(d), stderr)
	}
	if len(d.Evidence) != 10 || len(d.Rejected) != 0 {
		t.Fatalf("%d evidence, rejected %v", len(d.Evidence), d.Rejected)
	}
}

func TestEachGateFailingAloneDenies(t *testing.T) {
	r := newRun(t, "high")
	cases := map[string]struct {
		edit func(map[string]map[string]any)
		gate string
		msg  string
	}{
		"training NaN": {func(m map[string]map[string]any) {
			m["training"]["loss"] = map[string]any{"final": 0.3, "nan_detected": true, "diverged": false}
		}, "training", "training run run-1 detected NaN loss"},
		"data validation failed": {func(m map[string]map[string]any) {
			m["dv-train"]["success"] = false
			m["dv-train"]["statistics"] = map[string]any{"evaluated": 3, "successful": 2, "unsuccessful": 1}
		}, "data_validation", "data validation of train failed (suite s: 1 of 3 checks failed)"},
		"evaluated on training data": {func(m map[string]map[string]any) {
			m["evaluation"]["dataset"] = map[string]any{"name": "train", "digest": map[string]any{"sha256": sharedPipeline.TrainDS}}
		}, "lineage", "the evaluation dataset train (sha256:" + sharedPipeline.TrainDS + ") is also a dataset the training used; evaluate on held-out data"},
		"metric floor": {func(m map[string]map[string]any) {
			m["evaluation"]["metrics"] = map[string]any{"auc_roc": 0.82, "log_loss": 0.3}
		}, "metrics", "metric auc_roc 0.82 is below the lower bound 0.83"},
		"slice floor": {func(m map[string]map[string]any) {
			m["evaluation"]["slices"] = []any{map[string]any{"name": "new", "filter": "f", "size": 600, "metrics": map[string]any{"auc_roc": 0.7}}}
		}, "slices", "slice new: metric auc_roc 0.7 is below the lower bound 0.78"},
		"fairness": {func(m map[string]map[string]any) {
			m["evaluation"]["fairness"] = []any{map[string]any{"attribute": "age", "metric": "disparate_impact_ratio", "value": 0.7}}
		}, "fairness", "fairness disparate_impact_ratio for age 0.7 is below the lower bound 0.8"},
		"one approval": {func(m map[string]map[string]any) {
			delete(m, "approval-bob")
		}, "approvals", "2 approval(s) for production from distinct approvers needed, 1 counted"},
		"approval before evaluation": {func(m map[string]map[string]any) {
			m["approval-bob"]["approved_at"] = sharedPipeline.T(-30)
		}, "approvals", "not newer than the evaluation it approves"},
		"rejection": {func(m map[string]map[string]any) {
			m["approval-bob"]["decision"] = "rejected"
			m["approval-bob"]["justification"] = "fairness unclear"
		}, "approvals", "bob@example.com rejected the model for production: fairness unclear"},
		"smoke test failed": {func(m map[string]map[string]any) {
			m["smoke"]["passed"] = false
		}, "smoke_test", "the staging smoke test at https://staging failed (error rate 0 over 100 requests)"},
		"no canary": {func(m map[string]map[string]any) {
			delete(m, "canary")
		}, "canary", "no canary analysis in production"},
		"stale evaluation": {func(m map[string]map[string]any) {
			m["evaluation"]["evaluated_at"] = sharedPipeline.T(-24 * 40)
		}, "freshness", "days old; the high tier allows 30"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, d, stderr := r.verify(r.p.Envelopes(c.edit))
			fails := failing(d)
			if code != 1 || d.Allow || len(fails) != 1 || !strings.HasPrefix(fails[0], c.gate+": ") || !strings.Contains(fails[0], c.msg) {
				t.Fatalf("exit %d; failing %q; want only %s with %q (%s)", code, fails, c.gate, c.msg, stderr)
			}
		})
	}
}

func TestSelfApprovalDoesNotCount(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(func(m map[string]map[string]any) { delete(m, "approval-bob") })
	// The training signer also holds the approver role here, and approves.
	p := *r.p
	trainer := testkit.FixedParty("trainer", "training", "approver")
	p.Training = trainer
	os.RemoveAll(r.policy)
	if err := p.WriteBundle(filepath.Join(testkit.RepoRoot(), "policies"), r.policy, "high"); err != nil {
		t.Fatal(err)
	}
	envs["training"] = trainer.Sign(p.Subject, "training", p.Predicates()["training"])
	envs["approval-trainer"] = trainer.Sign(p.Subject, "approval", p.Predicates()["approval-bob"])
	code, d, _ := r.verify(envs)
	fails := failing(d)
	if code != 1 || len(fails) != 1 || !strings.Contains(fails[0], "self-approval by trainer@example.com") {
		t.Fatalf("exit %d, failing %q", code, fails)
	}
}

func TestTamperedAndUntrustedAreRejected(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(nil)
	stranger := testkit.NewParty("stranger", "ecdsa-p256", "approver")
	envs["z-untrusted"] = stranger.Sign(r.p.Subject, "approval", r.p.Predicates()["approval-bob"])
	tampered := bytes.Replace(envs["canary"], []byte(`"payload":"`), []byte(`"payload":"A`), 1)
	envs["z-tampered"] = tampered
	code, d, _ := r.verify(envs)
	if code != 0 || len(d.Rejected) != 2 {
		t.Fatalf("exit %d, rejected %v", code, d.Rejected)
	}
	reasons := d.Rejected[0].Reason + " | " + d.Rejected[1].Reason
	// A changed payload breaks the signature over the DSSE PAE.
	if strings.Count(reasons, "no trusted key verifies the signature") != 2 {
		t.Fatalf("reasons %s", reasons)
	}
}

func TestTierFlagRaisesNeverLowers(t *testing.T) {
	r := newRun(t, "high")
	_, d, _ := r.verify(r.p.Envelopes(nil), "--tier", "low")
	if d.Tier != "high" || d.TierSource != "inventory" {
		t.Fatalf("tier %s from %s", d.Tier, d.TierSource)
	}
	low := newRun(t, "low")
	_, d, _ = low.verify(low.p.Envelopes(nil), "--tier", "medium")
	if d.Tier != "medium" || d.TierSource != "--tier flag" {
		t.Fatalf("tier %s from %s", d.Tier, d.TierSource)
	}
}

func TestBrokenPolicyCannotDecide(t *testing.T) {
	cases := map[string]struct{ rego, stderr string }{
		// Found while the bundle loads.
		"parse error": {"package modelgate.gates.broken\ndeny contains x if {", "rego_parse_error: unexpected eof token"},
		// Found by the compiler, which runs while evidence is verified.
		"compile error": {"package modelgate.gates.broken\ndeny contains x if { x := no_such_function(1) }", "rego_type_error: undefined function no_such_function"},
		// Found only when the policy runs.
		"runtime error": {"package modelgate.gates.broken\ndeny contains x if { x := to_number(input.environment) }", "policy error: "},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := newRun(t, "high")
			os.WriteFile(filepath.Join(r.policy, "modelgate", "gates", "broken.rego"), []byte(c.rego), 0o644)
			code, _, stderr := r.verify(r.p.Envelopes(nil))
			if code != 2 || !strings.Contains(stderr, c.stderr) {
				t.Fatalf("exit %d, stderr %s", code, stderr)
			}
		})
	}
}

func TestStatementV01Counts(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(nil)
	pred, _ := json.Marshal(r.p.Predicates()["canary"])
	st := `{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"` + attest.TypeURI("canary") +
		`","subject":[{"name":"fraud-scorer","digest":{"sha256":"` + r.p.Subject.SHA256 + `"}}],"predicate":` + string(pred) + `}`
	envs["canary"] = r.p.Canary.SignStatement([]byte(st))
	code, d, _ := r.verify(envs)
	if code != 0 || !d.Allow {
		t.Fatalf("exit %d, failing %v", code, failing(d))
	}
}

// later is the same model at another digest, judged hours after r.
func (r *pipelineRun) later(sha string, hours float64) *pipelineRun {
	p := *r.p
	p.Subject = digest.Subject{Name: r.p.Subject.Name, SHA256: sha}
	// Evidence is dated by Now, which a verify (deciding at the real time)
	// refuses in the future: later evidence is judged no later than Now.
	p.Now = r.p.Now.Add(time.Duration(min(hours, 0) * float64(time.Hour)))
	next := *r
	next.p = &p
	return &next
}

func against(champion string) func(map[string]map[string]any) {
	return func(m map[string]map[string]any) {
		m["evaluation"]["baseline"] = map[string]any{"name": "fraud-scorer", "digest": map[string]any{"sha256": champion},
			"metrics": map[string]any{"auc_roc": 0.9, "log_loss": 0.3}}
	}
}

func gateStatus(d *decision.Decision, id string) (string, string) {
	for _, g := range d.Gates {
		if g.ID == id {
			return g.Status, g.Message
		}
	}
	return "", ""
}

func TestVSABecomesTheNextChampion(t *testing.T) {
	first := newRun(t, "high")
	gateKey := first.p.Gate.WriteKey(first.dir)
	vsaOut := filepath.Join(first.dir, "vsa.json")
	code, d, stderr := first.verify(first.p.Envelopes(nil), "--vsa-key", gateKey, "--vsa-out", vsaOut)
	if code != 0 || string(d.Champion) != "null" {
		t.Fatalf("exit %d, champion %s: %s", code, d.Champion, stderr)
	}
	if st, msg := gateStatus(d, "regression"); st != decision.Pass || msg != "no champion for this model and environment: change limits do not apply (first deployment)" {
		t.Fatalf("regression %s: %s", st, msg)
	}

	// The VSA stands alone: signed by the gate key, naming the target, the
	// policy, every input and each gate's outcome.
	trust, err := facts.NewTrust([]bundles.Signer{first.p.Gate.TrustEntry()})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(vsaOut)
	f, err := trust.Verify(context.Background(), first.p.Subject.SHA256, evidence.Envelope{Data: bytes.TrimSpace(raw)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var pred struct {
		Verifier           struct{ ID string }
		ResourceURI        string
		VerificationResult string
		VerifiedLevels     []string
		Policy             struct {
			URI    string
			Digest map[string]string
		}
		InputAttestations []struct{ URI string }
		Modelgate         struct{ Gates []map[string]string }
	}
	pj, _ := json.Marshal(f.Predicate)
	json.Unmarshal(pj, &pred)
	if f.Type != attest.VSAType || pred.Verifier.ID != vsa.VerifierID || pred.ResourceURI != "modelgate://production/fraud-scorer" ||
		pred.VerificationResult != "PASSED" || strings.Join(pred.VerifiedLevels, ",") != "MODELGATE_PRODUCTION_TIER_HIGH" ||
		"sha256:"+pred.Policy.Digest["sha256"] != d.Policy.Digest || len(pred.InputAttestations) != 10 || len(pred.Modelgate.Gates) != 18 {
		t.Fatalf("VSA %s", pj)
	}

	// The next digest of the model is judged against the first.
	champ := first.p.Subject.SHA256
	second := first.later(strings.Repeat("cd", 32), 1)
	code, d, stderr = second.verify(second.p.Envelopes(against(champ)), "--vsa-key", gateKey, "--champion", "fraud-scorer@sha256:"+strings.Repeat("ee", 32))
	var c gate.Champion
	json.Unmarshal(d.Champion, &c)
	if code != 0 || c.Digest["sha256"] != champ || !strings.HasPrefix(c.Source, "ledger (decision sha256:") {
		t.Fatalf("exit %d, champion %s (the store's must win over --champion): %v %s", code, d.Champion, failing(d), stderr)
	}
	if st, msg := gateStatus(d, "regression"); st != decision.Pass || msg != "compared against champion sha256:"+champ {
		t.Fatalf("regression %s: %s", st, msg)
	}

	// A denied third digest leaves a FAILED VSA, which makes no champion.
	third := first.later(strings.Repeat("ef", 32), 2)
	code, d, _ = third.verify(third.p.Envelopes(nil), "--vsa-key", gateKey)
	if st, msg := gateStatus(d, "regression"); code != 1 || st != decision.Fail ||
		msg != "the evaluation has no baseline; evaluate against the champion sha256:"+second.p.Subject.SHA256 {
		t.Fatalf("exit %d, regression %s: %s", code, st, msg)
	}
	fourth := first.later(strings.Repeat("f0", 32), 3)
	_, d, _ = fourth.verify(fourth.p.Envelopes(against(second.p.Subject.SHA256)))
	json.Unmarshal(d.Champion, &c)
	if c.Digest["sha256"] != second.p.Subject.SHA256 || !d.Allow {
		t.Fatalf("champion %s, failing %v", d.Champion, failing(d))
	}
}

// The input verify writes replays to the same decision under OPA's own
// loader, and each gate's deny set reads under conftest's engine.
func TestInputOutReplaysWithOPAAndConftest(t *testing.T) {
	r := newRun(t, "high")
	in := filepath.Join(r.dir, "in.json")
	envs := r.p.Envelopes(func(m map[string]map[string]any) {
		m["training"]["loss"] = map[string]any{"final": 0.3, "nan_detected": true, "diverged": false}
	})
	code, d, stderr := r.verify(envs, "--input-out", in)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}

	rs, err := rego.New(rego.Query("data.modelgate.decision"), rego.LoadBundle(r.policy), rego.Input(doc)).Eval(context.Background())
	if err != nil || len(rs) != 1 {
		t.Fatalf("opa: %v %v", err, rs)
	}
	replayed, _ := json.Marshal(rs[0].Expressions[0].Value)
	again, err := decision.Parse(replayed)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(d.Gates)
	got, _ := json.Marshal(again.Gates)
	if string(got) != string(want) || again.Allow != d.Allow || again.Tier != d.Tier {
		t.Fatalf("replayed gates\n%s\nwant\n%s", got, want)
	}

	engine, err := cpolicy.LoadWithData([]string{r.policy}, []string{r.policy}, cpolicy.CompilerOptions{RegoVersion: "v1", Capabilities: ast.CapabilitiesForThisVersion()})
	if err != nil {
		t.Fatal(err)
	}
	results, err := engine.Check(context.Background(), map[string]any{"in.json": doc}, "modelgate.gates.training")
	if err != nil || len(results) != 1 {
		t.Fatalf("conftest: %v %v", err, results)
	}
	var msgs []string
	for _, f := range results[0].Failures {
		msgs = append(msgs, f.Message)
	}
	if strings.Join(msgs, "|") != "training run run-1 detected NaN loss" {
		t.Fatalf("conftest failures %q", msgs)
	}
}

// A trusted key that signs outside its role counts for nothing: it is
// rejected and warns, and never blocks the model.
func TestMisusedRoleIsRejectedAndWarns(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(nil)
	// A trusted deploy key signs a failed canary analysis, which is not its role.
	bad := r.p.Predicates()["canary"]
	bad["passed"] = false
	envs["z-canary-by-deploy"] = r.p.Deploy.Sign(r.p.Subject, "canary", bad)
	code, d, _ := r.verify(envs)
	st, msg := gateStatus(d, "authorisation")
	if code != 0 || !d.Allow || st != decision.Warn || !strings.Contains(msg, "is signed by deploy, who lacks the canary role; it does not count") {
		t.Fatalf("exit %d, authorisation %s %q, failing %q", code, st, msg, failing(d))
	}
	id := attest.EnvelopeID(envs["z-canary-by-deploy"])
	if len(d.Rejected) != 1 || d.Rejected[0].ID != id || d.Rejected[0].Reason != "signer deploy lacks role canary for "+attest.TypeURI("canary")+"; it does not count" {
		t.Fatalf("rejected %+v", d.Rejected)
	}
}

func TestRegressionDeniesAlone(t *testing.T) {
	r := newRun(t, "high")
	champ := strings.Repeat("ee", 32)
	envs := r.p.Envelopes(func(m map[string]map[string]any) {
		m["evaluation"]["baseline"] = map[string]any{"name": "fraud-scorer", "digest": map[string]any{"sha256": champ},
			"metrics": map[string]any{"auc_roc": 0.95, "log_loss": 0.3}}
	})
	code, d, _ := r.verify(envs, "--champion", "fraud-scorer@sha256:"+champ)
	fails := failing(d)
	if code != 1 || len(fails) != 1 || fails[0] != "regression: metric auc_roc regressed by 0.05 against the champion (0.95 → 0.9); the limit is 0.02" {
		t.Fatalf("exit %d, failing %q", code, fails)
	}
	var c gate.Champion
	json.Unmarshal(d.Champion, &c)
	if c.Source != "--champion flag" {
		t.Fatalf("champion %s", d.Champion)
	}
}

func TestWaiverTurnsAFailIntoWaived(t *testing.T) {
	r := newRun(t, "high")
	nan := func(m map[string]map[string]any) {
		m["training"]["loss"] = map[string]any{"final": 0.3, "nan_detected": true, "diverged": false}
	}
	waiver := func(env string) []byte {
		return r.p.Waiver.Sign(r.p.Subject, "waiver", map[string]any{"rule": "MG-TRAIN", "environment": env,
			"reason": "NaN in a discarded warm-up epoch", "expires_at": r.p.T(24 * 7)})
	}
	envs := r.p.Envelopes(nan)
	envs["waiver"] = waiver("production")
	code, d, _ := r.verify(envs)
	st, msg := gateStatus(d, "training")
	if code != 0 || !d.Allow || st != decision.Waived || msg != "training run run-1 detected NaN loss" || len(d.Waivers) != 1 || d.Waivers[0].Code != "MG-TRAIN" {
		t.Fatalf("exit %d, training %s %q, waivers %+v", code, st, msg, d.Waivers)
	}
	// A waiver for staging does nothing in production.
	envs["waiver"] = waiver("staging")
	if code, d, _ := r.verify(envs); code != 1 || failing(d)[0] != "training: training run run-1 detected NaN loss" {
		t.Fatalf("exit %d, failing %q", code, failing(d))
	}
}

// --evidence files are read several at a time, but the envelopes keep the
// order given, standard input is read in its turn, and the error reported
// is the first failing file's.
func TestReadEvidenceKeepsOrder(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := 0; i < 40; i++ {
		p := filepath.Join(dir, fmt.Sprintf("%02d.json", i))
		os.WriteFile(p, []byte(fmt.Sprintf(`{"n":%d}`, i)), 0o644)
		paths = append(paths, p)
	}
	paths = append(paths[:20:20], append([]string{"-"}, paths[20:]...)...)
	envs, err := readEvidence(paths, strings.NewReader(`{"n":"stdin"}`))
	if err != nil || len(envs) != 41 {
		t.Fatalf("%d envelopes, %v", len(envs), err)
	}
	for i, e := range envs {
		want := fmt.Sprintf(`{"n":%d}`, i)
		switch {
		case i == 20:
			want = `{"n":"stdin"}`
		case i > 20:
			want = fmt.Sprintf(`{"n":%d}`, i-1)
		}
		if string(e.Data) != want || e.Source != paths[i] {
			t.Fatalf("envelope %d is %s from %s", i, e.Data, e.Source)
		}
	}
	missing := []string{paths[0], filepath.Join(dir, "a-missing.json"), dir, filepath.Join(dir, "z-missing.json")}
	if _, err := readEvidence(missing, strings.NewReader("")); err == nil || !strings.HasPrefix(err.Error(), "--evidence "+missing[1]+": ") {
		t.Fatalf("got %v, want the first failing file's error", err)
	}
}

// The model's digest runs inside --timeout: a folder holding a 1 TiB sparse
// file is not hashed for minutes past the deadline.
func TestVerifyTimeoutCoversHashing(t *testing.T) {
	r := newRun(t, "medium")
	model := filepath.Join(r.dir, "big-model")
	os.MkdirAll(model, 0o755)
	f, err := os.Create(filepath.Join(model, "weights.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil {
		f.Close()
		testkit.Needed(t, "this file system holds no 1 TiB sparse file: %v", err)
	}
	f.Close()
	start := time.Now()
	code, _, stderr := runCLI("verify", "--subject", model, "--env", "production", "--policy", r.policy, "--store", "dir:"+filepath.Join(r.dir, "store"), "--timeout", "1s")
	took := time.Since(start)
	undecided(t, code, stderr, "subject "+model+": hashing weights.bin stopped after ", "context deadline exceeded (the decision's deadline of 1s passed while hashing the model; raise --timeout)")
	if took > 3*time.Second {
		t.Fatalf("verify ended %s after it started, its deadline 1s", took)
	}
}

// attest signs evidence whose expiry has passed, and says on stderr that
// verify will not count it.
func TestAttestWarnsOfAPassedExpiry(t *testing.T) {
	r := newRun(t, "medium")
	p := r.p.Predicates()["approval-alice"]
	p["expires_at"] = "2026-01-01T00:00:00Z"
	p["approved_at"] = "2025-12-01T00:00:00Z"
	raw, _ := json.Marshal(p)
	path := filepath.Join(r.dir, "approval.json")
	os.WriteFile(path, raw, 0o644)
	code, _, stderr := runCLI("attest", "--type", "approval", "--subject", r.p.Subject.String(), "--predicate", path, "--key", r.p.Alice.WriteKey(r.dir))
	if code != 0 || stderr != "warning: the predicate's expires_at 2026-01-01T00:00:00Z has passed: verify will not count this evidence; give a later expires_at\n" {
		t.Fatalf("exit %d %q", code, stderr)
	}
}

// verify --out writes the decision as JSON while printing another format:
// one run gives the report its input and the person the text.
func TestVerifyOutWritesTheDecision(t *testing.T) {
	r := newRun(t, "medium")
	out := filepath.Join(r.dir, "decision.json")
	args := []string{"verify", "--subject", r.p.Subject.String(), "--env", "production", "--policy", r.policy, "--store", "dir:" + filepath.Join(r.dir, "store"), "--out", out}
	for name, e := range r.p.Envelopes(nil) {
		path := filepath.Join(r.dir, name+".json")
		os.WriteFile(path, e, 0o644)
		args = append(args, "--evidence", path)
	}
	code, stdout, stderr := runCLI(args...)
	if code != 0 || !strings.HasPrefix(stdout, "ALLOWED  fraud-scorer@sha256:") {
		t.Fatalf("exit %d %s %s", code, stdout, stderr)
	}
	raw, _ := os.ReadFile(out)
	d, err := decision.Parse(raw)
	if err != nil || !d.Allow || d.Subject.Name != "fraud-scorer" {
		t.Fatalf("--out: %v %s", err, raw)
	}
	if code, o, stderr := runCLI("report", out, "--out", filepath.Join(r.dir, "decision.html")); code != 0 {
		t.Fatalf("report of --out: %s %s", o, stderr)
	}
}

// A bundle that trusts a ledger, and a ledger that is not where it is
// named (a typo): exit 2, never a decision made as if nothing were revoked.
func TestMistypedLedgerIsNoEmptyLedger(t *testing.T) {
	r := newRun(t, "medium")
	code, _, stderr := r.verify(r.p.Envelopes(nil), "--ledger", "dir:"+filepath.Join(r.dir, "tlgo"))
	undecided(t, code, stderr, "ledger dir:"+filepath.Join(r.dir, "tlgo")+" does not exist; create it with 'modelgate ledger init LEDGER --origin ORIGIN --out PREFIX'")
}
