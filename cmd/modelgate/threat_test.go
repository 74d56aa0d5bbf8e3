package main

// One test per row of docs/threat-model.md: each attack, tried through the
// command line against real keys, real files and real loopback servers,
// with the exact outcome and message.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/vsa"
)

// run executes one command line and returns its exit code, stdout and stderr.
func runCLI(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := execute(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// undecided asserts exit 2 with a message containing each part.
func undecided(t *testing.T, code int, stderr string, parts ...string) {
	t.Helper()
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr %s", code, stderr)
	}
	for _, p := range parts {
		if !strings.Contains(stderr, p) {
			t.Fatalf("stderr %q lacks %q", stderr, p)
		}
	}
}

func rejectedReason(d *decision.Decision, id string) string {
	for _, r := range d.Rejected {
		if r.ID == id {
			return r.Reason
		}
	}
	return ""
}

// editData rewrites one of the bundle's data files.
func (r *pipelineRun) editData(name, content string) {
	if err := os.WriteFile(filepath.Join(r.policy, "modelgate", name, "data.yaml"), []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// T1: the name is bound to the signed evidence.
func TestThreatRenamedSubjectCannotBeDecided(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(nil)
	for _, name := range []string{"search-ranker", "Fraud-Scorer"} {
		r.p = &testkit.Pipeline{}
		*r.p = *sharedPipeline
		r.p.Subject.Name = name
		code, _, stderr := r.verify(envs)
		undecided(t, code, stderr, fmt.Sprintf(`--subject names the model %q but its signed evidence names sha256:%s "fraud-scorer"`, name, sharedPipeline.Subject.SHA256), "use fraud-scorer@sha256:")
	}
	r.p = sharedPipeline
	// Evidence that names the digest under two names cannot be decided either.
	envs["alias"] = r.p.Training.Sign(digest.Subject{Name: "search-ranker", SHA256: r.p.Subject.SHA256}, "training", r.p.Predicates()["training"])
	code, _, stderr := r.verify(envs)
	undecided(t, code, stderr, `under more than one name ("fraud-scorer" and "search-ranker")`)
}

// T2: competing evidence with the same time is judged together; re-encoding
// an envelope (a new id, no new signature) changes nothing.
func TestThreatTiedEvaluationsTakeTheWorst(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(nil)
	bad := r.p.Predicates()["evaluation"]
	bad["metrics"] = map[string]any{"auc_roc": 0.5, "log_loss": 0.3}
	envs["evaluation-twin"] = r.p.Evaluation.Sign(r.p.Subject, "evaluation", bad)
	want := "metrics: metric auc_roc 0.5 is below the lower bound 0.83"
	for i := 0; i < 2; i++ {
		code, d, _ := r.verify(envs)
		if fails := failing(d); code != 1 || !containsPrefix(fails, want) {
			t.Fatalf("round %d: exit %d, failing %q", i, code, fails)
		}
		// Re-encode the bad one: same signature, other bytes, other id.
		var m map[string]any
		json.Unmarshal(envs["evaluation-twin"], &m)
		envs["evaluation-twin"], _ = json.MarshalIndent(m, "", "   ")
	}
}

func containsPrefix(ss []string, p string) bool {
	for _, s := range ss {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// T3: an approval that reviewed another evaluation counts for nothing.
func TestThreatApprovalOfAnotherEvaluationDoesNotCount(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(nil)
	old := attest.EnvelopeID(envs["dv-eval"])
	envs["approval-alice"] = r.p.Alice.Sign(r.p.Subject, "approval", map[string]any{"decision": "approved", "environment": "production",
		"justification": "ok", "approved_at": r.p.T(-2), "reviewed": []string{old}})
	code, d, _ := r.verify(envs)
	fails := failing(d)
	if code != 1 || len(fails) != 1 || !strings.Contains(fails[0], "(reviewed other evidence, not the judged evaluation sha256:") {
		t.Fatalf("exit %d, failing %q", code, fails)
	}
}

// T4: evidence dated in the future is rejected: a future approval cannot
// pre-approve, a future good evaluation cannot mask a bad one made now.
func TestThreatFutureDatedEvidenceIsRejected(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(nil)
	bad := r.p.Predicates()["evaluation"]
	bad["metrics"] = map[string]any{"auc_roc": 0.5, "log_loss": 0.3}
	envs["evaluation"] = r.p.Evaluation.Sign(r.p.Subject, "evaluation", bad)
	good := r.p.Predicates()["evaluation"]
	good["evaluated_at"] = r.p.T(24 * 30)
	envs["evaluation-future"] = r.p.Evaluation.Sign(r.p.Subject, "evaluation", good)
	future := r.p.Predicates()["approval-bob"]
	future["approved_at"] = r.p.T(24 * 60)
	envs["approval-bob"] = r.p.Bob.Sign(r.p.Subject, "approval", future)
	code, d, _ := r.verify(envs)
	if code != 1 || !containsPrefix(failing(d), "metrics: metric auc_roc 0.5 is below the lower bound 0.83") {
		t.Fatalf("exit %d, failing %q", code, failing(d))
	}
	for _, name := range []string{"evaluation-future", "approval-bob"} {
		if reason := rejectedReason(d, attest.EnvelopeID(envs[name])); !strings.HasPrefix(reason, "dated in the future: ") {
			t.Fatalf("%s: rejected %q", name, reason)
		}
	}
}

// T5: a superseded, stale evaluation left in the append-only store does not
// make freshness deny forever.
func TestThreatSupersededStaleEvidenceIsNotJudged(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(nil)
	stale := r.p.Predicates()["evaluation"]
	stale["evaluated_at"] = r.p.T(-24 * 400)
	envs["evaluation-stale"] = r.p.Evaluation.Sign(r.p.Subject, "evaluation", stale)
	if code, d, _ := r.verify(envs); code != 0 || !d.Allow {
		t.Fatalf("exit %d, failing %q", code, failing(d))
	}
}

// T6: a waiver never overrides an approver's rejection.
func TestThreatWaiverCannotLiftAVeto(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(nil)
	envs["approval-bob"] = r.p.Bob.Sign(r.p.Subject, "approval", map[string]any{"decision": "rejected", "environment": "production",
		"justification": "bias in the region slice", "approved_at": r.p.T(-1)})
	envs["waiver"] = r.p.Waiver.Sign(r.p.Subject, "waiver", map[string]any{"rule": "MG-APPROVALS", "environment": "production",
		"reason": "ship it", "expires_at": r.p.T(24)})
	code, d, _ := r.verify(envs)
	st, msg := gateStatus(d, "approvals")
	if code != 1 || st != decision.Fail || !strings.Contains(msg, "bob@example.com rejected the model for production: bias in the region slice") {
		t.Fatalf("exit %d, approvals %s %q", code, st, msg)
	}
}

// T7: a trusted approver's approval that cannot be read counts as a rejection.
func TestThreatUnreadableApprovalVetoes(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(nil)
	envs["approval-carol"] = r.p.Bob.Sign(r.p.Subject, "approval", map[string]any{"decision": "rejected", "environment": "production",
		"approved_at": r.p.T(-1)}) // no justification: fails its schema
	id := attest.EnvelopeID(envs["approval-carol"])
	code, d, _ := r.verify(envs)
	st, msg := gateStatus(d, "approvals")
	if code != 1 || st != decision.Fail || !strings.HasPrefix(msg, "an approval "+id+" signed by bob@example.com cannot be read (predicate fails its schema: ") {
		t.Fatalf("exit %d, approvals %s %q", code, st, msg)
	}
}

// T8: identities that differ only in case, space or a look-alike letter are
// one person, and a trust list that spells them two ways is refused.
func TestThreatLookAlikeIdentitiesAreRefused(t *testing.T) {
	for name, identity := range map[string]string{
		"case":       "Alice@Example.com",
		"space":      " alice@example.com ",
		"look-alike": "\u0430lice@example.com", // Cyrillic a
	} {
		t.Run(name, func(t *testing.T) {
			r := newRun(t, "high")
			signers := r.p.Signers()
			for i := range signers {
				if signers[i].ID == "bob" {
					signers[i].Identity = identity
				}
			}
			trust, _ := json.Marshal(map[string]any{"signers": signers})
			r.editData("trust", string(trust))
			code, _, stderr := r.verify(r.p.Envelopes(nil))
			undecided(t, code, stderr, "trust: identities ", fmt.Sprintf("%q", identity), `"alice@example.com"`, "give each person one identity, spelled one way")
		})
	}
}

// T9: a thresholds file that would silently lower the bar is refused.
func TestThreatLooseThresholdsAreRefused(t *testing.T) {
	base, _ := os.ReadFile(filepath.Join(testkit.RepoRoot(), "policies", "modelgate", "thresholds", "data.yaml"))
	for _, c := range []struct{ name, from, to, want string }{
		{"approvals as a word", "approvals: {production: 2, staging: 1}", `approvals: {production: "two", staging: 1}`, "/tiers/high/approvals/production: got string, want integer"},
		{"a null tier setting", "approvals: {production: 2, staging: 1}", "approvals: {production: null, staging: 1}", "/tiers/high/approvals/production: got null, want integer"},
		{"a typo", "auc_roc: {lower_bound: 0.83", "auc_roc: {lower_bond: 0.83", "/tiers/high/metrics/auc_roc: additional properties 'lower_bond' not allowed"},
		{"a number as a string", "min_size: 500", `min_size: "500"`, "/tiers/high/slices/min_size: got string, want integer"},
		{"an environment with no approvals", "approvals: {production: 2, staging: 1}", "approvals: {production: 2}", "/tiers/high/approvals sets no count for environment staging"},
		{"a missing tier", "  high:\n", "  higher:\n", "/tiers: missing property 'high'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRun(t, "high")
			edited := strings.Replace(string(base), c.from, c.to, 1)
			if edited == string(base) {
				t.Fatalf("%q is not in the thresholds", c.from)
			}
			r.editData("thresholds", edited)
			code, _, stderr := r.verify(r.p.Envelopes(nil))
			undecided(t, code, stderr, "modelgate/thresholds/data.yaml: ", c.want)
		})
	}
}

// T10: an environment the bundle does not declare cannot be decided.
func TestThreatUndeclaredEnvironmentCannotBeDecided(t *testing.T) {
	r := newRun(t, "high")
	code, _, stderr := runCLI("verify", "--subject", r.p.Subject.String(), "--env", "prod", "--policy", r.policy, "--store", "dir:"+filepath.Join(r.dir, "store"))
	undecided(t, code, stderr, "--env prod: the policy bundle "+r.policy+" declares no such environment; use one of production, staging")
}

// T11: a time or number that policy could not handle rejects that envelope
// alone; the decision is still made.
func TestThreatUnparseableTimesAndHugeNumbersRejectOneEnvelope(t *testing.T) {
	r := newRun(t, "high")
	for _, c := range []struct {
		name  string
		edit  func(map[string]any)
		field string
	}{
		{"leap second", func(p map[string]any) { p["evaluated_at"] = "2026-06-30T23:59:60Z" }, "/evaluated_at: bad time"},
		{"lower-case t", func(p map[string]any) { p["evaluated_at"] = strings.Replace(r.p.T(-24), "T", "t", 1) }, "/evaluated_at: bad time"},
		{"year 9999", func(p map[string]any) { p["evaluated_at"] = "9999-01-01T00:00:00Z" }, "outside the years 1678-2261"},
	} {
		envs := r.p.Envelopes(func(m map[string]map[string]any) { c.edit(m["evaluation"]) })
		code, d, stderr := r.verify(envs)
		if code != 1 || !strings.Contains(rejectedReason(d, attest.EnvelopeID(envs["evaluation"])), c.field) {
			t.Fatalf("%s: exit %d, rejected %+v %s", c.name, code, d, stderr)
		}
	}
	for _, number := range []string{"1e400", "1e100000"} {
		envs := r.p.Envelopes(nil)
		pred, _ := json.Marshal(r.p.Predicates()["evaluation"])
		pred = bytes.Replace(pred, []byte(`"auc_roc":0.9`), []byte(`"auc_roc":`+number), 1)
		st := `{"_type":"https://in-toto.io/Statement/v1","predicateType":"` + attest.TypeURI("evaluation") +
			`","subject":[{"name":"fraud-scorer","digest":{"sha256":"` + r.p.Subject.SHA256 + `"}}],"predicate":` + string(pred) + `}`
		envs["evaluation"] = r.p.Evaluation.SignStatement([]byte(st))
		code, d, stderr := r.verify(envs)
		want := "/metrics/auc_roc: number " + number + " is not a finite float64"
		if code != 1 || !strings.Contains(rejectedReason(d, attest.EnvelopeID(envs["evaluation"])), want) {
			t.Fatalf("%s: exit %d, rejected %+v %s", number, code, d.Rejected, stderr)
		}
	}
}

// T12: store files that are not what they seem never crash or hang verify.
func TestThreatHostileStoreFiles(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(nil)
	store := filepath.Join(r.dir, "store")
	s, _ := evidence.OpenDir(store)
	for _, e := range envs {
		s.Add(t.Context(), e)
	}
	objects := func() []string {
		var out []string
		filepath.WalkDir(filepath.Join(store, "objects"), func(p string, e os.DirEntry, _ error) error {
			if !e.IsDir() {
				out = append(out, p)
			}
			return nil
		})
		return out
	}()
	// One object each: a symlink to /dev/zero, a FIFO, a huge sparse file.
	os.Remove(objects[0])
	os.Symlink("/dev/zero", objects[0])
	os.Remove(objects[1])
	syscall.Mkfifo(objects[1], 0o644)
	os.Remove(objects[2])
	f, _ := os.Create(objects[2])
	f.Truncate(1 << 40)
	f.Close()
	done := make(chan struct{})
	var code int
	var d *decision.Decision
	go func() {
		defer close(done)
		code, d, _ = r.verifyStored()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("verify hung on a hostile store file")
	}
	if code != 1 || len(d.Rejected) != 3 {
		t.Fatalf("exit %d, rejected %+v", code, d.Rejected)
	}
	for _, rj := range d.Rejected {
		if !strings.Contains(rj.Reason, "unreadable: ") || !strings.HasSuffix(rj.Reason, "; skipped") {
			t.Fatalf("rejected %+v", rj)
		}
	}
}

// verifyStored runs verify on the store alone.
func (r *pipelineRun) verifyStored(extra ...string) (int, *decision.Decision, string) {
	return r.verify(nil, extra...)
}

// T13: an index that is a symlink to /dev/zero cannot be decided; an index
// line over the limit hides nothing after it; too many entries cannot be
// decided rather than cut.
func TestThreatHostileIndex(t *testing.T) {
	r := newRun(t, "high")
	store := filepath.Join(r.dir, "store")
	s, _ := evidence.OpenDir(store)
	envs := r.p.Envelopes(nil)
	for _, e := range envs {
		s.Add(t.Context(), e)
	}
	index := filepath.Join(store, "index", r.p.Subject.SHA256)
	content, _ := os.ReadFile(index)
	os.WriteFile(index, append(append(bytes.Repeat([]byte("x"), 2<<20), '\n'), content...), 0o644)
	code, d, _ := r.verifyStored()
	if code != 0 || len(d.Evidence) != 10 || len(d.Rejected) != 1 || !strings.Contains(d.Rejected[0].Reason, "line of 2097152 bytes, over the 1024 limit") {
		t.Fatalf("exit %d, %d evidence, rejected %+v", code, len(d.Evidence), d.Rejected)
	}

	var many bytes.Buffer
	for i := 0; i <= evidence.MaxPerSubject; i++ {
		fmt.Fprintf(&many, "%064x\n", i)
	}
	os.WriteFile(index, many.Bytes(), 0o644)
	code, _, stderr := r.verifyStored()
	undecided(t, code, stderr, "over a store limit: 10001 envelopes name sha256:"+r.p.Subject.SHA256+", the limit is 10000")

	os.Remove(index)
	os.Symlink("/dev/zero", index)
	code, _, stderr = r.verifyStored()
	undecided(t, code, stderr, "index of sha256:"+r.p.Subject.SHA256, "not a regular file")
}

// T14: an envelope with more signatures than the limit is refused before
// any is checked.
func TestThreatManySignaturesAreRefusedUnchecked(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(nil)
	var env map[string]any
	json.Unmarshal(envs["canary"], &env)
	sig := env["signatures"].([]any)[0].(map[string]any)
	sigs := []any{}
	for i := 0; i <= attest.MaxSignatures; i++ {
		sigs = append(sigs, map[string]any{"keyid": fmt.Sprint(i), "sig": sig["sig"]})
	}
	env["signatures"] = sigs
	envs["canary"], _ = json.Marshal(env)
	start := time.Now()
	code, d, _ := r.verify(envs)
	if code != 1 || rejectedReason(d, attest.EnvelopeID(envs["canary"])) != "malformed envelope: 17 signatures, over the limit of 16 per envelope" {
		t.Fatalf("exit %d, rejected %+v", code, d.Rejected)
	}
	_ = start
}

// T15: a registry that never answers, or pages referrers forever, ends in
// exit 2 with the reason, within the deadline.
func TestThreatStallingRegistry(t *testing.T) {
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold the connection open, say nothing
		}
	}()
	r := newRun(t, "high")
	t.Setenv("MODELGATE_LEDGER", "dir:"+filepath.Join(r.dir, "store", "tlog")) // a registry store keeps no ledger
	start := time.Now()
	code, _, stderr := runCLI("verify", "--subject", r.p.Subject.String(), "--env", "production", "--policy", r.policy,
		"--store", "oci://"+silent.Addr().String()+"/models/evidence", "--timeout", "2s")
	undecided(t, code, stderr, "store oci://"+silent.Addr().String()+"/models/evidence", "deadline")
	if time.Since(start) > 20*time.Second {
		t.Fatalf("took %s", time.Since(start))
	}

	// A registry whose referrers list links to a next page forever.
	pages := 0
	mux := http.NewServeMux()
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, req *http.Request) {
		if strings.Contains(req.URL.Path, "/referrers/") {
			pages++
			w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
			w.Header().Set("Link", fmt.Sprintf(`<%s?n=%d>; rel="next"`, req.URL.Path, pages))
			fmt.Fprint(w, `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`)
			return
		}
		if strings.HasSuffix(req.URL.Path, "/tags/list") {
			fmt.Fprint(w, `{"name":"models/evidence","tags":["x"]}`)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	defer srv.Close()
	code, _, stderr = runCLI("verify", "--subject", r.p.Subject.String(), "--env", "production", "--policy", r.policy,
		"--store", "oci://"+l.Addr().String()+"/models/evidence")
	undecided(t, code, stderr, "more than 1000 referrers pages")

	// A registry that answers 500 is exit 2 with the reason.
	mux500 := http.NewServeMux()
	mux500.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) })
	l2, _ := net.Listen("tcp", "127.0.0.1:0")
	srv2 := &http.Server{Handler: mux500}
	go srv2.Serve(l2)
	defer srv2.Close()
	code, _, stderr = runCLI("verify", "--subject", r.p.Subject.String(), "--env", "production", "--policy", r.policy,
		"--store", "oci://"+l2.Addr().String()+"/models/evidence", "--timeout", "20s")
	undecided(t, code, stderr, "store oci://"+l2.Addr().String()+"/models/evidence", "500")
}

// T16: output paths that exist and are not regular files are written
// through, never replaced.
func TestThreatOutputPathsAreWrittenThrough(t *testing.T) {
	r := newRun(t, "high")
	gateKey := r.p.Gate.WriteKey(r.dir)
	target := filepath.Join(r.dir, "real-input.json")
	os.WriteFile(target, []byte("old"), 0o600)
	link := filepath.Join(r.dir, "link.json")
	os.Symlink(target, link)
	code, _, stderr := r.verify(r.p.Envelopes(nil), "--input-out", link, "--vsa-key", gateKey, "--vsa-out", "/dev/null")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if info, _ := os.Lstat(link); info.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced")
	}
	if data, _ := os.ReadFile(target); !bytes.HasPrefix(data, []byte(`{"subject":`)) {
		t.Fatalf("target holds %.40q", data)
	}
	if info, _ := os.Lstat("/dev/null"); info.Mode()&os.ModeCharDevice == 0 {
		t.Fatal("/dev/null is no longer a device")
	}
	code, _, stderr = runCLI("attest", "--type", "canary", "--subject", r.p.Subject.String(), "--predicate", "-", "--key", gateKey, "--out", r.dir)
	undecided(t, code, stderr, "") // reading the predicate from empty stdin fails first; the directory is untouched
	if info, _ := os.Stat(r.dir); !info.IsDir() {
		t.Fatal("the directory was replaced")
	}
}

// T17: a signed string reaches the text report with its control
// characters escaped, so it can neither move the cursor nor issue a CI
// workflow command.
func TestThreatSignedStringsAreEscapedInText(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(nil)
	envs["approval-bob"] = r.p.Bob.Sign(r.p.Subject, "approval", map[string]any{"decision": "rejected", "environment": "production",
		"justification": "no\n::notice::deploy approved\x1b[2J", "approved_at": r.p.T(-1)})
	args := []string{"verify", "--subject", r.p.Subject.String(), "--env", "production", "--policy", r.policy, "--store", "dir:" + filepath.Join(r.dir, "store")}
	for name, e := range envs {
		path := filepath.Join(r.dir, name+".json")
		os.WriteFile(path, e, 0o644)
		args = append(args, "--evidence", path)
	}
	for _, format := range []string{"text", "github"} {
		code, out, _ := runCLI(append(args, "--format", format)...)
		if code != 1 || strings.Contains(out, "\x1b") || strings.Contains(out, "\n::notice::") || !strings.Contains(out, `no\x0a::notice::deploy approved\x1b[2J`) {
			t.Fatalf("%s: exit %d, output %q", format, code, out)
		}
	}
}

// T18: VSAs: only a gate key signs them, a replay writes none, and a VSA
// dated in the future pins no champion.
func TestThreatVSAKeysAndTimes(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(nil)
	code, _, stderr := r.verify(envs, "--vsa-key", r.p.Alice.WriteKey(r.dir))
	undecided(t, code, stderr, "--vsa-key: signer alice lacks the gate role, so nobody would accept what it signs; use a key with that role")
	code, _, stderr = r.verify(envs, "--vsa-key", r.p.Gate.WriteKey(r.dir), "--effective-time", r.p.T(-24*30))
	undecided(t, code, stderr, "--effective-time replays a past decision and writes nothing")
	code, _, stderr = r.verify(envs, "--vsa-out", filepath.Join(r.dir, "vsa.json"))
	undecided(t, code, stderr, "--vsa-out needs --vsa-key")

	// A champion VSA from the future (a verify run with a clock ahead).
	future := r.later(strings.Repeat("cd", 32), 0)
	future.p.Now = r.p.Now.Add(48 * time.Hour)
	d := &decision.Decision{Subject: decision.Subject{Name: "fraud-scorer", Digest: map[string]string{"sha256": future.p.Subject.SHA256}},
		Environment: "production", Tier: "high", Allow: true}
	st, err := vsa.NewDecision(d, nil, nil, "", future.p.Now)
	if err != nil {
		t.Fatal(err)
	}
	appendRecords(t, r.p, filepath.Join(r.dir, "store"), r.p.Gate.SignStatement(st))
	code, out, _ := r.verify(envs)
	if code != 0 || string(out.Champion) != "null" {
		t.Fatalf("exit %d, champion %s", code, out.Champion)
	}
}

// T19: a new user's mistakes are exit 2 with a way to mend them.
func TestThreatNewUserMistakes(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bundle", "frobnicate"}, `unknown command "frobnicate" for 'modelgate bundle'`},
		{[]string{"bundle", "build"}, "accepts 1 arg(s), received 0; usage: modelgate bundle build DIR --out FILE"},
		{[]string{"evidence", "foo"}, `unknown command "foo" for 'modelgate evidence'`},
		{[]string{"evidence"}, "'modelgate evidence' needs a subcommand"},
		{[]string{"verify", "--subject", "m@sha256:" + strings.Repeat("ab", 32), "--env", "production", "--store", "dir:" + filepath.Join(dir, "typo")}, "store dir:" + filepath.Join(dir, "typo") + " does not exist"},
		{[]string{"evidence", "list", "--store", "dir:" + filepath.Join(dir, "nothing")}, "does not exist"},
	} {
		code, _, stderr := runCLI(c.args...)
		undecided(t, code, stderr, c.want)
	}
	if _, err := os.Stat(filepath.Join(dir, "nothing")); err == nil {
		t.Fatal("evidence list created a store")
	}
	if code, out, _ := runCLI("--version"); code != 0 || !strings.HasPrefix(out, "modelgate ") {
		t.Fatalf("--version: exit %d %q", code, out)
	}
	if code, _, stderr := runCLI("keygen", "--out", filepath.Join(dir, "keys", "gate")); code != 0 {
		t.Fatalf("keygen into a new folder: exit %d %s", code, stderr)
	}
	// Training may not name a dataset role that data validation refuses.
	p := sharedPipeline.Predicates()["training"]
	p["datasets"] = []any{map[string]any{"name": "v", "digest": map[string]any{"sha256": strings.Repeat("33", 32)}, "role": "validation"}}
	raw, _ := json.Marshal(p)
	if err := attest.ValidatePredicate(attest.TypeURI("training"), raw); err == nil || !strings.Contains(err.Error(), "/datasets/0/role: value must be one of") {
		t.Fatalf("role validation: %v", err)
	}
}

// T20: attest --name binds a path's evidence to the model's name.
func TestThreatAttestNameBindsThePath(t *testing.T) {
	r := newRun(t, "high")
	model := filepath.Join(r.dir, "model.onnx")
	os.WriteFile(model, []byte("weights"), 0o644)
	pred := filepath.Join(r.dir, "canary.json")
	raw, _ := json.Marshal(r.p.Predicates()["canary"])
	os.WriteFile(pred, raw, 0o644)
	out := filepath.Join(r.dir, "env.json")
	code, _, stderr := runCLI("attest", "--type", "canary", "--subject", model, "--name", "fraud-scorer", "--predicate", pred, "--key", r.p.Canary.WriteKey(r.dir), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	env, _ := os.ReadFile(out)
	var e struct{ Payload string }
	json.Unmarshal(env, &e)
	payload, _ := base64.StdEncoding.DecodeString(e.Payload)
	if !bytes.Contains(payload, []byte(`"name":"fraud-scorer"`)) {
		t.Fatalf("statement %s", payload)
	}
	code, _, stderr = runCLI("attest", "--type", "canary", "--subject", "a@sha256:"+strings.Repeat("ab", 32), "--name", "b", "--predicate", pred, "--key", r.p.Canary.WriteKey(t.TempDir()))
	undecided(t, code, stderr, `--name "b" differs from the name in --subject`)
}
