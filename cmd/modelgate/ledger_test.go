package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/output"
	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/vsa"
)

// ledgerRun is a store, a bundle with the default promotion order, and
// real model files whose digests the evidence names.
type ledgerRun struct {
	*pipelineRun
	store   string
	gateKey string
	models  map[string]string // version → file
}

func newLedgerRun(t *testing.T, store string) *ledgerRun {
	r := newRun(t, "medium")
	if err := testkit.RequireStaging(r.policy); err != nil {
		t.Fatal(err)
	}
	if store == "" {
		store = "dir:" + filepath.Join(r.dir, "store")
	}
	if strings.HasPrefix(store, "oci://") {
		// The ledger is kept apart from a registry store.
		t.Setenv("MODELGATE_LEDGER", "dir:"+filepath.Join(r.dir, "store", "tlog"))
		// The repository exists before anyone verifies against it.
		first := filepath.Join(r.dir, "first.json")
		os.WriteFile(first, r.p.Envelopes(nil)["training"], 0o644)
		if code, _, stderr := runCLI("evidence", "add", "--store", store, first); code != 0 {
			t.Fatal(stderr)
		}
	}
	return &ledgerRun{pipelineRun: r, store: store, gateKey: r.p.Gate.WriteKey(r.dir), models: map[string]string{}}
}

// version makes model file vN and returns its subject.
func (l *ledgerRun) version(n string) digest.Subject {
	path := filepath.Join(l.dir, "model-"+n+".bin")
	os.WriteFile(path, []byte("weights of version "+n), 0o644)
	sum := sha256.Sum256([]byte("weights of version " + n))
	l.models[n] = path
	return digest.Subject{Name: "fraud-scorer", SHA256: hex.EncodeToString(sum[:])}
}

// promote signs a pipeline's evidence for the subject (its baseline the
// champion, with the champion's metrics) into the store and verifies it in
// env with the gate key.
func (l *ledgerRun) promote(t *testing.T, s digest.Subject, env string, champion *digest.Subject) (int, string) {
	p := *l.p
	p.Subject = s
	envs := p.Envelopes(func(m map[string]map[string]any) {
		if champion != nil {
			m["evaluation"]["baseline"] = map[string]any{"name": "fraud-scorer", "digest": map[string]any{"sha256": champion.SHA256}, "metrics": map[string]any{"auc_roc": 0.9, "log_loss": 0.3}}
		}
	})
	args := []string{"verify", "--subject", s.String(), "--env", env, "--policy", l.policy, "--store", l.store, "--vsa-key", l.gateKey, "--format", "json"}
	for name, e := range envs {
		path := filepath.Join(l.dir, s.SHA256[:8]+"-"+name+".json")
		os.WriteFile(path, e, 0o644)
		args = append(args, "--evidence", path)
	}
	code, out, stderr := runCLI(args...)
	return code, out + stderr
}

func (l *ledgerRun) cli(args ...string) (int, string, string) {
	return runCLI(append(args, "--policy", l.policy, "--store", l.store)...)
}

// The ledger's story through the command line: promotions through staging
// to production, history with approvers and revisions, the champion at a
// past time with what it rested on, rollback, a challenger judged against
// the restored champion, revocation, and every record verified by cosign.
func TestLedgerStory(t *testing.T) {
	l := newLedgerRun(t, "")
	if _, err := evidence.OpenDir(strings.TrimPrefix(l.store, "dir:")); err != nil {
		t.Fatal(err)
	}
	v1, v2, v3 := l.version("1"), l.version("2"), l.version("3")

	// Production without a staging decision is denied by the promotion order.
	code, out := l.promote(t, v1, "production", nil)
	if code != 1 || !strings.Contains(out, "no PASSED decision for this digest in staging, which production requires") {
		t.Fatalf("production first: exit %d\n%s", code, out)
	}
	for _, env := range []string{"staging", "production"} {
		if code, out := l.promote(t, v1, env, nil); code != 0 {
			t.Fatalf("v1 %s: exit %d\n%s", env, code, out)
		}
	}
	between := time.Now().UTC()
	time.Sleep(20 * time.Millisecond)
	for _, env := range []string{"staging", "production"} {
		if code, out := l.promote(t, v2, env, &v1); code != 0 {
			t.Fatalf("v2 %s: exit %d\n%s", env, code, out)
		}
	}

	code, hist, stderr := l.cli("history", "--model", "fraud-scorer", "--format", "json")
	if code != 0 {
		t.Fatal(stderr)
	}
	var h struct {
		Records []output.HistoryRow
	}
	json.Unmarshal([]byte(hist), &h)
	// Newest first: v2 production, v2 staging, v1 production, v1 staging, v1's denied production.
	var got []string
	for _, r := range h.Records {
		got = append(got, r.Environment+" "+r.Result+" "+r.Subject[len(r.Subject)-6:]+" "+strings.Join(r.Approvers, "+")+" "+r.Revision)
	}
	want := []string{
		"production PASSED " + v2.SHA256[58:] + " alice@example.com+bob@example.com 1.0.0",
		"staging PASSED " + v2.SHA256[58:] + "  1.0.0",
		"production PASSED " + v1.SHA256[58:] + " alice@example.com+bob@example.com 1.0.0",
		"staging PASSED " + v1.SHA256[58:] + "  1.0.0",
		"production FAILED " + v1.SHA256[58:] + " alice@example.com+bob@example.com 1.0.0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Which digest was the champion between the two promotions, and why.
	code, at, stderr := l.cli("history", "--model", "fraud-scorer", "--env", "production", "--at", between.Format(time.RFC3339Nano))
	if code != 0 || !strings.Contains(at, "production: at "+attest.NormalTime(between)+" the champion of fraud-scorer was "+v1.String()) ||
		!strings.Contains(at, "approved by alice@example.com, bob@example.com") || !strings.Contains(at, "metrics auc_roc 0.9, log_loss 0.3") ||
		!strings.Contains(at, "MG-PROMOTION pass") || !strings.Contains(at, "rested on VSA ") || !strings.Contains(at, ": decision PASSED in staging at ") ||
		strings.Contains(at, "rested on  ") || strings.Contains(at, "FAILED") {
		t.Fatalf("history --at: exit %d\n%s%s", code, at, stderr)
	}

	// Roll production back to v1; v3 is then judged against v1.
	code, out, stderr = l.cli("rollback", "--model", "fraud-scorer", "--env", "production", "--vsa-key", l.gateKey, "--reason", "v2 drifts on mobile traffic")
	if code != 0 || !strings.HasPrefix(out, "rolled back fraud-scorer in production from sha256:"+v2.SHA256+" to sha256:"+v1.SHA256) {
		t.Fatalf("rollback: exit %d %s %s", code, out, stderr)
	}
	code, text, _ := l.cli("history", "--model", "fraud-scorer", "--env", "production")
	if code != 0 || !strings.Contains(strings.Split(text, "\n")[1], "ROLLBACK from sha256:"+v2.SHA256[:12]+": v2 drifts on mobile traffic") {
		t.Fatalf("history after rollback:\n%s", text)
	}
	if code, out, stderr := l.cli("rollback", "--model", "fraud-scorer", "--env", "staging", "--vsa-key", l.gateKey, "--reason", "v2 drifts on mobile traffic"); code != 0 {
		t.Fatalf("staging rollback: %s %s", out, stderr)
	}
	if code, out := l.promote(t, v3, "staging", &v1); code != 0 {
		t.Fatalf("v3 staging: %s", out)
	}
	code, out = l.promote(t, v3, "production", &v1)
	if code != 0 || !strings.Contains(out, `"source": "ledger (rollback sha256:`) || !strings.Contains(out, "compared against champion sha256:"+v1.SHA256) {
		t.Fatalf("v3 against the restored v1: exit %d\n%s", code, out)
	}

	// Revoking v1 makes a rollback to it refuse.
	revoker := l.p.Waiver.WriteKey(l.dir)
	if code, out, stderr := l.cli("revoke", "--subject", v1.String(), "--env", "production", "--key", revoker, "--reason", "label leak found in the training set"); code != 0 || !strings.HasPrefix(out, "revoked "+v1.String()+" in production") {
		t.Fatalf("revoke: exit %d %s %s", code, out, stderr)
	}
	code, _, stderr = l.cli("rollback", "--model", "fraud-scorer", "--env", "production", "--to", "sha256:"+v1.SHA256, "--vsa-key", l.gateKey, "--reason", "back")
	undecided(t, code, stderr, "cannot roll back to it: "+v1.String()+" was revoked in production at ", "by waiver@example.com: label leak found in the training set")
	code, _, stderr = l.cli("rollback", "--model", "fraud-scorer", "--env", "production", "--to", "sha256:"+strings.Repeat("0", 64), "--vsa-key", l.gateKey, "--reason", "x")
	undecided(t, code, stderr, "cannot roll back to it: fraud-scorer@sha256:"+strings.Repeat("0", 64)+" has no PASSED decision in production signed by a gate key")
	code, _, stderr = l.cli("revoke", "--subject", v2.String(), "--env", "production", "--key", l.p.Alice.WriteKey(l.dir), "--reason", "x")
	undecided(t, code, stderr, "--key: signer alice lacks the gate or waiver role")
	// Rollback's name for the gate key is revoke's too, and the reverse.
	code, _, stderr = l.cli("revoke", "--subject", v2.String(), "--env", "production", "--vsa-key", l.p.Alice.WriteKey(l.dir), "--reason", "x")
	undecided(t, code, stderr, "--key: signer alice lacks the gate or waiver role")
	code, _, stderr = l.cli("rollback", "--model", "fraud-scorer", "--env", "production", "--key", l.p.Alice.WriteKey(l.dir), "--reason", "x")
	undecided(t, code, stderr, "--vsa-key: signer alice lacks the gate role")

	// Every record in the log verifies with cosign, against the model file it names.
	cosign := testkit.Tool(t, "cosign")
	all := logEntries(t, l.p, strings.TrimPrefix(l.store, "dir:"))
	pubs := map[string]string{}
	for _, p := range []*testkit.Party{l.p.Gate, l.p.Waiver} {
		pub := filepath.Join(l.dir, p.ID+".pub")
		os.WriteFile(pub, p.PubPEM, 0o644)
		pubs[p.ID] = pub
	}
	checked := 0
	for i, e := range all {
		st, err := attest.PeekStatement(e)
		if err != nil || st.PredicateType != attest.VSAType {
			continue
		}
		var model string
		for n, path := range l.models {
			if st.Names(subjectOf(n, l).SHA256) {
				model = path
			}
		}
		sig := filepath.Join(l.dir, "record.json")
		os.WriteFile(sig, e, 0o644)
		ok := false
		for _, pub := range pubs {
			cmd := exec.Command("unshare", "-n", cosign, "verify-blob-attestation", "--key", pub, "--signature", sig,
				"--type", attest.VSAType, "--insecure-ignore-tlog", "--private-infrastructure", model)
			if out, err := cmd.CombinedOutput(); err == nil && strings.Contains(string(out), "Verified OK") {
				ok = true
			}
		}
		if !ok {
			t.Fatalf("cosign does not verify entry %d", i)
		}
		checked++
	}
	if checked != 10 {
		t.Fatalf("cosign checked %d records, want 10: 5 decisions of v1 and v2, 2 of v3, 2 rollbacks, a revocation", checked)
	}
}

func subjectOf(n string, l *ledgerRun) digest.Subject {
	sum := sha256.Sum256([]byte("weights of version " + n))
	return digest.Subject{Name: "fraud-scorer", SHA256: hex.EncodeToString(sum[:])}
}

// slsa-verifier's verify-vsa accepts a decision record given only the
// gate's public key (no --public-key-id): the record names its key as
// DSSE's reference library derives the id.
func TestSLSAVerifierAcceptsOurVSA(t *testing.T) {
	bin := testkit.Tool(t, "slsa-verifier")
	l := newLedgerRun(t, "")
	v1 := l.version("1")
	out := filepath.Join(l.dir, "vsa.json")
	args := append(l.verifyArgs(v1, "staging", nil), "--vsa-out", out)
	if code, o, stderr := runCLI(args...); code != 0 {
		t.Fatalf("verify: exit %d %s %s", code, o, stderr)
	}
	pub := filepath.Join(l.dir, "gate.pub")
	os.WriteFile(pub, l.p.Gate.PubPEM, 0o644)
	cmd := exec.Command(bin, "verify-vsa", "--subject-digest", "sha256:"+v1.SHA256, "--attestation-path", out,
		"--verifier-id", vsa.VerifierID, "--resource-uri", vsa.ResourceURI("staging", "fraud-scorer"),
		"--verified-level", vsa.VerifiedLevel("staging", "medium"), "--public-key-path", pub)
	o, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(o), "PASSED") {
		t.Fatalf("slsa-verifier verify-vsa: %v\n%s", err, o)
	}
	// Another key is refused.
	os.WriteFile(pub, l.p.Alice.PubPEM, 0o644)
	if o, err := exec.Command(bin, "verify-vsa", "--subject-digest", "sha256:"+v1.SHA256, "--attestation-path", out,
		"--verifier-id", vsa.VerifierID, "--resource-uri", vsa.ResourceURI("staging", "fraud-scorer"),
		"--verified-level", vsa.VerifiedLevel("staging", "medium"), "--public-key-path", pub).CombinedOutput(); err == nil {
		t.Fatalf("slsa-verifier accepted another key's VSA:\n%s", o)
	}
}
