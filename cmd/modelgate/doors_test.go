package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/tlog"
	"github.com/modelgate/modelgate/vsa"
)

// ruleCase is one row of the ledger's one rule: the records about a digest
// in production (which requires staging), and the rule's answer.
type ruleCase struct {
	name    string
	n       int
	refusal vsa.Refusal
}

// doorsLedger writes the table's records into a store and returns the
// rows; gate2 is a gate signer of the bundle that serve is not given, and
// stranger a key the bundle does not trust.
func doorsLedger(t *testing.T, store recordAdder, p *testkit.Pipeline, gate2, stranger *testkit.Party, now time.Time) []ruleCase {
	gate, waiver := p.Gate, p.Waiver
	hour := func(h float64) time.Time { return now.Add(time.Duration(h * float64(time.Hour))) }
	both := func(n int, tier string, at time.Time) {
		record(t, store, gate, vsa.KindDecision, "staging", digestOf(n), tier, at.Add(-time.Minute), nil)
		record(t, store, gate, vsa.KindDecision, "production", digestOf(n), tier, at, nil)
	}
	revoke := func(signer *testkit.Party, n int, at time.Time) {
		record(t, store, signer, vsa.KindRevocation, "production", digestOf(n), "", at, func(e *vsa.Entry) {
			e.Revocation = &vsa.RevocationEntry{Digest: "sha256:" + digestOf(n), Reason: "label leak"}
		})
	}
	both(1, "medium", hour(-10))
	both(2, "medium", hour(-9))
	revoke(waiver, 2, hour(-8.5))
	both(3, "medium", hour(-8))
	withdrawn(t, store, gate, 3, hour(-7.5))
	both(4, "medium", hour(-7))
	record(t, store, gate, vsa.KindRollback, "production", digestOf(1), "medium", hour(-6.5), func(e *vsa.Entry) {
		e.Rollback = &vsa.RollbackEntry{From: "sha256:" + digestOf(4), To: "sha256:" + digestOf(1), Reason: "drift", VSA: "x"}
	})
	both(5, "medium", hour(-200*24))
	record(t, store, gate, vsa.KindDecision, "staging", digestOf(5), "medium", hour(-6), nil)
	record(t, store, gate, vsa.KindDecision, "production", digestOf(6), "medium", hour(-6), nil) // never through staging
	both(7, "low", hour(-5))
	both(8, "medium", hour(-4))
	revoke(gate2, 8, hour(-3.5))
	both(9, "medium", hour(-3))
	revoke(stranger, 9, hour(-2.5))
	both(99, "medium", hour(-1)) // the champion
	return []ruleCase{
		{"admitted", 1, ""},
		{"revoked", 2, vsa.Revoked},
		{"withdrawn by a newer FAILED", 3, vsa.Withdrawn},
		{"rolled back from", 4, vsa.RolledBack},
		{"expired", 5, vsa.Expired},
		{"promotion order", 6, vsa.OutOfOrder},
		{"tier", 7, vsa.TierTooLow},
		{"revoked by a bundle gate signer serve was not given", 8, vsa.Revoked},
		{"revoked by a key the bundle does not trust", 9, ""},
		{"never decided", 10, vsa.NotPromoted},
	}
}

// withdrawn signs a FAILED decision of digest n in production.
func withdrawn(t *testing.T, store recordAdder, gate *testkit.Party, n int, at time.Time) {
	st, err := vsa.Statement("fraud-scorer", digestOf(n), "production", vsa.Failed, nil, decision.Policy{URI: "p", Digest: "sha256:" + strings.Repeat("0", 64), Revision: "r"}, nil, vsa.Entry{Kind: vsa.KindDecision, Tier: "medium"}, at.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Add(t.Context(), gate.SignStatement(st)); err != nil {
		t.Fatal(err)
	}
}

// doorsBundle is the test bundle with a second gate signer and an
// environment "edge" that requires production, so that verify for edge
// asks the rule about production (gate MG-PROMOTION).
func doorsBundle(t *testing.T, r *pipelineRun, gate2 *testkit.Party) {
	signers := append(r.p.Signers(), gate2.TrustEntry())
	trust, _ := json.Marshal(map[string]any{"signers": signers})
	os.WriteFile(filepath.Join(r.policy, "modelgate", "trust", "data.yaml"), trust, 0o644)
	os.WriteFile(filepath.Join(r.policy, "modelgate", "environments", "data.yaml"), []byte("staging: {}\nproduction: {requires: [staging]}\nedge: {requires: [production]}\n"), 0o644)
	th := filepath.Join(r.policy, "modelgate", "thresholds", "data.yaml")
	raw, _ := os.ReadFile(th)
	os.WriteFile(th, []byte(regexp.MustCompile(`staging: (\d)}`).ReplaceAllString(string(raw), "staging: $1, edge: 0}")), 0o644)
}

// The ledger's one rule, row by row, and the three doors that ask it —
// verify (MG-PROMOTION of an environment that requires production), serve
// (a real AdmissionReview over TLS) and rollback (--to the digest) — give
// the same answer on every row.
func TestThreeDoorsAgree(t *testing.T) {
	r := newRun(t, "medium")
	gate2 := testkit.NewParty("gate2", "ecdsa-p256", "gate")
	stranger := testkit.NewParty("stranger", "ecdsa-p256", "gate", "waiver")
	doorsBundle(t, r, gate2)
	storeDir := filepath.Join(r.dir, "store")
	store := ledgerOf(t, r.p, storeDir)
	now := time.Now().UTC()
	rows := doorsLedger(t, store, r.p, gate2, stranger, now)

	// The rule itself.
	b, err := bundles.Load(r.policy)
	if err != nil {
		t.Fatal(err)
	}
	view, err := b.View()
	if err != nil {
		t.Fatal(err)
	}
	signers, _ := b.Signers()
	trust, err := facts.NewTrust(signers)
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := tlog.ParseSpec("dir:" + filepath.Join(storeDir, "tlog"))
	l := &vsa.Ledger{Source: &vsa.LogSource{Spec: spec, Reader: &vsa.Reader{Trust: trust}}, Trust: trust, View: view}
	reasons := map[int]string{}
	for _, c := range rows {
		a, err := l.Admits(t.Context(), digest.Subject{Name: "fraud-scorer", SHA256: digestOf(c.n)}, "production", now)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if a.Refusal != c.refusal {
			t.Errorf("rule, %s: refusal %q, want %q (%s)", c.name, a.Refusal, c.refusal, a.Reason())
		}
		reasons[c.n] = a.Reason()
	}

	// serve, with the one gate key: records of gate2 that restrict still count.
	certFile, keyFile, pool := selfSigned(t, r.dir, "serving")
	gatePub := filepath.Join(r.dir, "gate.pub")
	os.WriteFile(gatePub, r.p.Gate.PubPEM, 0o644)
	w := startWebhook(t, pool, "--tls-cert", certFile, "--tls-key", keyFile, "--gate-key", gatePub, "--policy", r.policy, "--store", "dir:"+storeDir)
	for _, c := range rows {
		_, a := w.send(t, "production", review(c.name, "Pod", "CREATE", objectOf("Pod", "fraud-scorer@sha256:"+digestOf(c.n), "", ""), nil))
		if a.Response.Allowed != (c.refusal == "") {
			t.Errorf("serve, %s: allowed %v: %s", c.name, a.Response.Allowed, a.Response.Status.Message)
		}
		if c.refusal != "" && !strings.HasPrefix(a.Response.Status.Message, "modelgate: "+reasons[c.n]) {
			t.Errorf("serve, %s: %q does not start with the rule's reason %q", c.name, a.Response.Status.Message, reasons[c.n])
		}
	}

	// Each review is one JSON line in the audit log.
	var audited int
	log := w.logUntil(func(log string) bool { return strings.Count(log, `"msg":"review"`) >= len(rows) })
	for _, line := range strings.Split(log, "\n") {
		var entry struct {
			Msg, UID, Kind, Environment, Reason string
			Models                              []string
			Allowed                             bool
			LatencyMS                           float64 `json:"latency_ms"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil || entry.Msg != "review" {
			continue
		}
		for _, c := range rows {
			if entry.UID == c.name {
				audited++
				want := "admitted"
				if c.refusal != "" {
					want = string(c.refusal)
				}
				if entry.Kind != "Pod" || entry.Environment != "production" || entry.Allowed != (c.refusal == "") || entry.Reason != want ||
					len(entry.Models) != 1 || entry.Models[0] != "fraud-scorer@sha256:"+digestOf(c.n) || entry.LatencyMS <= 0 {
					t.Errorf("audit line for %s: %s", c.name, line)
				}
			}
		}
	}
	if audited != len(rows) {
		t.Errorf("%d audit lines for %d reviews:\n%s", audited, len(rows), log)
	}

	// verify for edge: MG-PROMOTION passes exactly when production admits.
	for _, c := range rows {
		p := *r.p
		p.Subject = digest.Subject{Name: "fraud-scorer", SHA256: digestOf(c.n)}
		args := []string{"verify", "--subject", p.Subject.String(), "--env", "edge", "--policy", r.policy, "--store", "dir:" + storeDir, "--format", "json"}
		for name, e := range p.Envelopes(nil) {
			path := filepath.Join(r.dir, digestOf(c.n)[56:]+"-"+name+".json")
			os.WriteFile(path, e, 0o644)
			args = append(args, "--evidence", path)
		}
		code, out, stderr := runCLI(args...)
		var d struct {
			Gates []struct{ ID, Status, Message string }
		}
		if err := json.Unmarshal([]byte(out), &d); err != nil || code == 2 {
			t.Fatalf("verify, %s: exit %d %s", c.name, code, stderr)
		}
		status := ""
		for _, g := range d.Gates {
			if g.ID == "promotion" {
				status = g.Status
			}
		}
		if want := map[bool]string{true: "pass", false: "fail"}[c.refusal == ""]; status != want {
			t.Errorf("verify, %s: MG-PROMOTION %s, want %s", c.name, status, want)
		}
	}

	// rollback --to the digest, each in a copy of the store: a digest the
	// rule admits apart from having been rolled back from is restored.
	for _, c := range rows {
		copyDir := filepath.Join(t.TempDir(), "store")
		if err := os.CopyFS(copyDir, os.DirFS(storeDir)); err != nil {
			t.Fatal(err)
		}
		code, out, stderr := runCLI("rollback", "--model", "fraud-scorer", "--env", "production", "--to", "sha256:"+digestOf(c.n),
			"--vsa-key", r.p.Gate.WriteKey(r.dir), "--reason", "test", "--policy", r.policy, "--store", "dir:"+copyDir)
		restorable := c.refusal == "" || c.refusal == vsa.RolledBack
		if restorable && (code != 0 || !strings.HasPrefix(out, "rolled back fraud-scorer in production from sha256:"+digestOf(99)+" to sha256:"+digestOf(c.n))) {
			t.Errorf("rollback, %s: exit %d %s%s", c.name, code, out, stderr)
		}
		if !restorable && (code != 2 || !strings.Contains(stderr, "cannot roll back to it: "+reasons[c.n])) {
			t.Errorf("rollback, %s: exit %d %q, want the rule's reason %q", c.name, code, stderr, reasons[c.n])
		}
	}
}

// A store written before the ledger was a log (its records in the store's
// own ledger index, as 'verify --vsa-key' stored them then) is imported
// into a log in its order, and every door then gives each row the answer
// the rule gave it before; importing again appends nothing.
func TestLedgerImportKeepsEveryAnswer(t *testing.T) {
	r := newRun(t, "medium")
	gate2 := testkit.NewParty("gate2", "ecdsa-p256", "gate")
	stranger := testkit.NewParty("stranger", "ecdsa-p256", "gate", "waiver")
	doorsBundle(t, r, gate2)
	oldDir := filepath.Join(r.dir, "old")
	old, err := evidence.OpenDir(oldDir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	rows := doorsLedger(t, old, r.p, gate2, stranger, now)
	if err := r.p.Ledger.Init(filepath.Join(oldDir, "tlog")); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI("ledger", "import", "--from", "dir:"+oldDir, "--policy", r.policy)
	if code != 0 || !strings.HasPrefix(out, "imported 24 records from dir:"+oldDir+" into dir:"+oldDir+"/tlog (0 were there already, 1 did not verify)") {
		t.Fatalf("import: exit %d %s %s", code, out, stderr)
	}
	if !strings.Contains(stderr, "not imported: ") || !strings.Contains(stderr, "no trusted key verifies the signature") {
		t.Fatalf("the stranger's record: %s", stderr)
	}
	code, out, _ = runCLI("ledger", "import", "--from", "dir:"+oldDir, "--policy", r.policy)
	if code != 0 || !strings.HasPrefix(out, "imported 0 records from dir:"+oldDir+" into dir:"+oldDir+"/tlog (24 were there already") {
		t.Fatalf("import again: exit %d %s", code, out)
	}
	b, _ := bundles.Load(r.policy)
	view, _ := b.View()
	signers, _ := b.Signers()
	trust, _ := facts.NewTrust(signers)
	spec, _ := tlog.ParseSpec("dir:" + filepath.Join(oldDir, "tlog"))
	l := &vsa.Ledger{Source: &vsa.LogSource{Spec: spec, Reader: &vsa.Reader{Trust: trust}}, Trust: trust, View: view}
	certFile, keyFile, pool := selfSigned(t, r.dir, "serving")
	gatePub := filepath.Join(r.dir, "gate.pub")
	os.WriteFile(gatePub, r.p.Gate.PubPEM, 0o644)
	w := startWebhook(t, pool, "--tls-cert", certFile, "--tls-key", keyFile, "--gate-key", gatePub, "--policy", r.policy, "--store", "dir:"+oldDir)
	for _, c := range rows {
		a, err := l.Admits(t.Context(), digest.Subject{Name: "fraud-scorer", SHA256: digestOf(c.n)}, "production", now)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if a.Refusal != c.refusal {
			t.Errorf("rule after the import, %s: refusal %q, want %q (%s)", c.name, a.Refusal, c.refusal, a.Reason())
		}
		_, ans := w.send(t, "production", review(c.name, "Pod", "CREATE", objectOf("Pod", "fraud-scorer@sha256:"+digestOf(c.n), "", ""), nil))
		if ans.Response.Allowed != (c.refusal == "") {
			t.Errorf("serve after the import, %s: allowed %v: %s", c.name, ans.Response.Allowed, ans.Response.Status.Message)
		}
	}
	if code, out, stderr := runCLI("ledger", "verify", "--policy", r.policy, "--store", "dir:"+oldDir); code != 0 || !strings.Contains(out, "24 records, each signed by a signer whose role may write it") {
		t.Fatalf("ledger verify: exit %d %s %s", code, out, stderr)
	}
}
