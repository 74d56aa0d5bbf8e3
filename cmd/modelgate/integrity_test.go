package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/admission"
	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/output"
	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/tlog"
	"github.com/modelgate/modelgate/vsa"
	"golang.org/x/net/html"
)

// promoted runs v1 through staging and production, and returns its subject.
func (l *ledgerRun) promoted(t *testing.T, n string, champion *digest.Subject) digest.Subject {
	v := l.version(n)
	for _, env := range []string{"staging", "production"} {
		if code, out := l.promote(t, v, env, champion); code != 0 {
			t.Fatalf("v%s %s: exit %d\n%s", n, env, code, out)
		}
	}
	return v
}

func (l *ledgerRun) history(t *testing.T, extra ...string) []output.HistoryRow {
	code, out, stderr := l.cli(append([]string{"history", "--model", "fraud-scorer", "--format", "json"}, extra...)...)
	if code != 0 {
		t.Fatalf("history: exit %d %s", code, stderr)
	}
	var h struct{ Records []output.HistoryRow }
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatal(err)
	}
	return h.Records
}

// revoke under a name the ledger does not hold for the digest (another
// case, a typo) writes nothing and names the name it holds; verify of the
// real name is unchanged.
func TestRevokeChecksTheName(t *testing.T) {
	l := newLedgerRun(t, "")
	v1 := l.promoted(t, "1", nil)
	revoker := l.p.Waiver.WriteKey(l.dir)
	before := len(l.history(t))
	for _, name := range []string{"Fraud-Scorer", "fraud-socrer"} {
		code, _, stderr := l.cli("revoke", "--subject", name+"@sha256:"+v1.SHA256, "--env", "production", "--key", revoker, "--reason", "x")
		undecided(t, code, stderr, `--subject: the ledger holds sha256:`+v1.SHA256+` as "fraud-scorer", not "`+name+`"; nothing was written: revoke fraud-scorer@sha256:`+v1.SHA256)
	}
	code, _, stderr := l.cli("revoke", "--subject", "fraud-scorer@sha256:"+strings.Repeat("e", 64), "--env", "production", "--key", revoker, "--reason", "x")
	undecided(t, code, stderr, "--subject: the ledger "+l.store+"/tlog holds no record of sha256:"+strings.Repeat("e", 64))
	if after := len(l.history(t)); after != before {
		t.Fatalf("%d records after refused revocations, %d before", after, before)
	}
	// A second promotion of v1 still decides under its one name.
	if code, out := l.promote(t, v1, "production", nil); code != 0 {
		t.Fatalf("verify after refused revocations: exit %d\n%s", code, out)
	}
}

// A revoked digest is denied by verify's MG-REVOKED, which no waiver
// lifts, and no PASSED record is written for it.
func TestVerifyHonoursRevocations(t *testing.T) {
	l := newLedgerRun(t, "")
	v1 := l.promoted(t, "1", nil)
	if code, out, stderr := l.cli("revoke", "--subject", v1.String(), "--env", "production", "--key", l.p.Waiver.WriteKey(l.dir), "--reason", "label leak"); code != 0 {
		t.Fatalf("revoke: %s %s", out, stderr)
	}
	code, out := l.promote(t, v1, "production", nil)
	if code != 1 || !strings.Contains(out, `"code": "MG-REVOKED"`) || !strings.Contains(out, "revoked in production at ") ||
		!strings.Contains(out, "by waiver@example.com: label leak; a revocation is final for a digest") || !strings.Contains(out, "(FAILED) appended to the ledger dir:") {
		t.Fatalf("verify of a revoked digest: exit %d\n%s", code, out)
	}
	for _, r := range l.history(t, "--env", "production") {
		if r.Kind == vsa.KindDecision && r.Result == vsa.Passed && r.Time > l.history(t, "--env", "production")[0].Time {
			t.Fatalf("a PASSED record after the revocation: %+v", r)
		}
	}
	if rows := l.history(t, "--env", "production"); rows[0].Result != vsa.Failed || rows[1].Kind != vsa.KindRevocation {
		t.Fatalf("newest production records: %+v", rows[:2])
	}
}

// One record re-encoded (other whitespace, so other envelope bytes) and
// appended again is one record: one row in history, one champion.
func TestReencodedRecordIsOneRecord(t *testing.T) {
	l := newLedgerRun(t, "")
	l.promoted(t, "1", nil)
	rows := l.history(t)
	entries := logEntries(t, l.p, strings.TrimPrefix(l.store, "dir:"))
	var again bytes.Buffer
	json.Indent(&again, entries[len(entries)-1], "", "    ")
	if bytes.Equal(again.Bytes(), entries[len(entries)-1]) {
		t.Fatal("the re-encoded envelope has the same bytes")
	}
	appendRecords(t, l.p, strings.TrimPrefix(l.store, "dir:"), again.Bytes())
	after := l.history(t)
	if len(after) != len(rows) || after[0].Record != rows[0].Record || after[0].Index != rows[0].Index {
		t.Fatalf("%d rows after re-adding, %d before", len(after), len(rows))
	}
}

// A log rewritten after a reader saw it — its checkpoint rolled back to an
// older one (the newest record deleted), an entry's byte changed, a tile's
// byte changed — is refused by every reader that saw the newer state:
// history, rollback, verify, ledger verify and a running serve, each
// naming the log.
func TestRewrittenLogIsSeenByEveryReader(t *testing.T) {
	l := newLedgerRun(t, "")
	root := strings.TrimPrefix(l.store, "dir:")
	logDir := filepath.Join(root, "tlog")
	v1 := l.promoted(t, "1", nil)
	older, _ := os.ReadFile(filepath.Join(logDir, "checkpoint"))
	v2 := l.promoted(t, "2", &v1)
	l.history(t) // this reader sees the newer checkpoint
	newer, _ := os.ReadFile(filepath.Join(logDir, "checkpoint"))

	certFile, keyFile, pool := selfSigned(t, l.dir, "serving")
	gatePub := filepath.Join(l.dir, "gate.pub")
	os.WriteFile(gatePub, l.p.Gate.PubPEM, 0o644)
	pod := objectOf("Pod", v2.String(), "", "")
	// serve, started on the good log (so it has seen the newer state),
	// then the log is tampered with by change().
	each := 0
	serveSees := func(change func(), want string) {
		t.Helper()
		each++
		w := startWebhook(t, pool, "--tls-cert", certFile, "--tls-key", keyFile, "--gate-key", gatePub, "--policy", l.policy, "--store", l.store,
			"--ledger-poll", "100ms", "--ledger-audit", "200ms", "--state-dir", filepath.Join(l.dir, fmt.Sprint("serve-state-", each)))
		if _, a := w.send(t, "production", review("before", "Pod", "CREATE", pod, nil)); !a.Response.Allowed {
			t.Fatalf("before: %+v", a.Response)
		}
		change()
		var msg string
		waitFor(t, "serve to refuse the rewritten log: "+want, 3*time.Second, func() bool {
			_, a := w.send(t, "production", review("after", "Pod", "CREATE", pod, nil))
			msg = a.Response.Status.Message
			return !a.Response.Allowed && strings.Contains(msg, "modelgate: "+want) && strings.Contains(msg, "(ledger dir:"+logDir+")")
		})
		if !strings.Contains(w.logUntil(func(log string) bool { return strings.Contains(log, `"msg":"ledger"`) }), `"level":"WARN","msg":"ledger"`) {
			t.Error("serve wrote no audit line about the ledger")
		}
		w.cmd.Process.Kill()
	}
	readers := func(want string) {
		t.Helper()
		code, _, stderr := l.cli("history", "--model", "fraud-scorer")
		undecided(t, code, stderr, want, "(ledger dir:"+logDir+")")
		code, _, stderr = l.cli("rollback", "--model", "fraud-scorer", "--env", "production", "--vsa-key", l.gateKey, "--reason", "x")
		undecided(t, code, stderr, want)
		code, _, stderr = l.cli("ledger", "verify")
		undecided(t, code, stderr, want)
		code, out := l.promote(t, l.version("3"), "production", &v2)
		if code != 2 || !strings.Contains(out, want) {
			t.Fatalf("verify on a rewritten ledger: exit %d\n%s", code, out)
		}
	}

	// The newest record removed: the checkpoint rolled back to an older one.
	rollBack := "ledger rewritten: checkpoint " + tlogSize(older) + " of ledger.test.example/fraud-scorer is smaller than checkpoint " + tlogSize(newer) + " seen at"
	serveSees(func() { os.WriteFile(filepath.Join(logDir, "checkpoint"), older, 0o644) }, rollBack)
	readers(rollBack)
	os.WriteFile(filepath.Join(logDir, "checkpoint"), newer, 0o644)

	// One byte of the entry bundle changed.
	bundle := filepath.Join(logDir, "tile", "entries", "000.p", tlogSize(newer))
	orig, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	changed := append([]byte(nil), orig...)
	changed[100] ^= 1
	inconsistent := "ledger rewritten: checkpoint " + tlogSize(newer) + " of ledger.test.example/fraud-scorer is not consistent with checkpoint " + tlogSize(newer) + " seen at"
	serveSees(func() { os.WriteFile(bundle, changed, 0o644) }, inconsistent)
	readers(inconsistent)
	os.WriteFile(bundle, orig, 0o644)

	// One byte of a tile changed.
	tile := filepath.Join(logDir, "tile", "0", "000.p", tlogSize(newer))
	orig, err = os.ReadFile(tile)
	if err != nil {
		t.Fatal(err)
	}
	changed = append([]byte(nil), orig...)
	changed[3] ^= 1
	badTile := "ledger rewritten: tile 0/0 disagrees with the entries under checkpoint " + tlogSize(newer)
	serveSees(func() { os.WriteFile(tile, changed, 0o644) }, badTile)
	readers(badTile)
	os.WriteFile(tile, orig, 0o644)
	if code, out, stderr := l.cli("ledger", "verify"); code != 0 {
		t.Fatalf("the restored log: exit %d %s %s", code, out, stderr)
	}
}

// tlogSize is a checkpoint's size line.
func tlogSize(cp []byte) string { return strings.Split(string(cp), "\n")[1] }

// unsigned writes n unsigned envelopes of size bytes about a digest
// straight into a store's layout (objects/, index/), as 'evidence add'
// would, without a sync each.
func unsigned(t testing.TB, root, sha string, n, size int) {
	t.Helper()
	var index bytes.Buffer
	for i := 0; i < n; i++ {
		st := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"junk","digest":{"sha256":%q}}],"predicateType":"https://example.com/junk/v1","predicate":{"n":%d,"pad":%q}}`,
			sha, i, strings.Repeat("x", max(size-300, 0)))
		env := fmt.Sprintf(`{"payloadType":"application/vnd.in-toto+json","payload":%q,"signatures":[{"keyid":"k","sig":"AAAA"}]}`, base64.StdEncoding.EncodeToString([]byte(st)))
		hex := strings.TrimPrefix(attest.EnvelopeID([]byte(env)), "sha256:")
		os.MkdirAll(filepath.Join(root, "objects", hex[:2]), 0o755)
		if err := os.WriteFile(filepath.Join(root, "objects", hex[:2], hex), []byte(env), 0o644); err != nil {
			t.Fatal(err)
		}
		index.WriteString(hex + "\n")
	}
	f, err := os.OpenFile(filepath.Join(root, "index", sha), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(index.Bytes())
	f.Close()
}

// Junk about a promoted digest — 160 MB of unsigned envelopes, or 10,001
// tiny ones — never reaches the ledger: admission still admits it, while
// verify of the digest refuses the store that is over its evidence limit.
func TestJunkEvidenceCannotBlockAdmission(t *testing.T) {
	l := newLedgerRun(t, "")
	v1 := l.promoted(t, "1", nil)
	b, err := bundles.Load(l.policy)
	if err != nil {
		t.Fatal(err)
	}
	view, _ := b.View()
	signers, _ := b.Signers()
	trust, _ := facts.NewTrust(signers)
	root := strings.TrimPrefix(l.store, "dir:")
	spec, _ := tlog.ParseSpec("dir:" + filepath.Join(root, "tlog"))
	judge := func() admission.Verdict {
		f := &vsa.Follower{Spec: spec, Reader: &vsa.Reader{Trust: trust}, MaxStaleness: time.Minute}
		if err := f.Update(t.Context()); err != nil {
			t.Fatal(err)
		}
		v := &admission.Validator{Ledger: &vsa.Ledger{Source: f, Trust: trust, View: view}, View: view, Cache: admission.NewCache(10),
			TTL: time.Minute, StoreTimeout: 2 * time.Second, Metrics: admission.NewMetrics(), Now: time.Now}
		return v.Judge(t.Context(), "production", admission.Ref{Subject: v1})
	}
	if v := judge(); !v.Allowed {
		t.Fatalf("before the junk: %+v", v)
	}
	unsigned(t, root, v1.SHA256, 40, 4<<20-1024) // 160 MB
	if v := judge(); !v.Allowed {
		t.Fatalf("with 160 MB of junk: %+v", v)
	}
	unsigned(t, root, v1.SHA256, 10001-40, 400)
	if v := judge(); !v.Allowed {
		t.Fatalf("with 10,001 junk envelopes: %+v", v)
	}
	code, _, stderr := runCLI("verify", "--subject", v1.String(), "--env", "production", "--policy", l.policy, "--store", l.store)
	// 10,001 junk envelopes and the 17 its promotions stored (the ledger's
	// records are in the log, not the store).
	undecided(t, code, stderr, "over a store limit: 10018 envelopes name sha256:"+v1.SHA256+", the limit is 10000")
}

// What a policy change would have done to the promotions made: loosening
// approvals flips a recorded denial for want of approvals; an unchanged
// bundle flips nothing; a store that lost a recorded input says which.
func TestBundleDiffReplay(t *testing.T) {
	l := newLedgerRun(t, "")
	v1 := l.promoted(t, "1", nil)
	v2 := l.version("2")
	// v2 is never approved: staging (0 approvals at medium) passes,
	// production (1) is denied for that alone.
	p := *l.p
	p.Subject = v2
	envs := p.Envelopes(func(m map[string]map[string]any) {
		m["evaluation"]["baseline"] = map[string]any{"name": "fraud-scorer", "digest": map[string]any{"sha256": v1.SHA256}, "metrics": map[string]any{"auc_roc": 0.9, "log_loss": 0.3}}
	})
	delete(envs, "approval-alice")
	delete(envs, "approval-bob")
	for _, env := range []string{"staging", "production"} {
		args := []string{"verify", "--subject", v2.String(), "--env", env, "--policy", l.policy, "--store", l.store, "--vsa-key", l.gateKey, "--format", "json"}
		for name, e := range envs {
			path := filepath.Join(l.dir, "v2-"+name+".json")
			os.WriteFile(path, e, 0o644)
			args = append(args, "--evidence", path)
		}
		code, out, stderr := runCLI(args...)
		var d struct {
			Gates []struct{ Code, Status string }
		}
		json.Unmarshal([]byte(out), &d)
		var failed []string
		for _, g := range d.Gates {
			if g.Status == "fail" {
				failed = append(failed, g.Code)
			}
		}
		if want := map[string]string{"staging": "", "production": "MG-APPROVALS"}[env]; strings.Join(failed, ",") != want || code == 2 {
			t.Fatalf("v2 %s without approvals: exit %d, fails %v, want %q %s", env, code, failed, want, stderr)
		}
	}
	lax := filepath.Join(l.dir, "lax")
	os.CopyFS(lax, os.DirFS(l.policy))
	th := filepath.Join(lax, "modelgate", "thresholds", "data.yaml")
	raw, _ := os.ReadFile(th)
	os.WriteFile(th, []byte(strings.Replace(string(raw), "approvals: {production: 1, staging: 0}", "approvals: {production: 0, staging: 0}", 1)), 0o644)

	code, out, stderr := runCLI("bundle", "diff", l.policy, lax, "--replay", "--store", l.store)
	want := "fraud-scorer sha256:" + v2.SHA256[:12] + "… production "
	if code != 1 || !strings.Contains(out, "LOOSENED   threshold    tiers.medium.approvals.production: 1 → 0") ||
		!strings.Contains(out, "replay: 4 recorded decision(s) judged again under both bundles; 1 verdict(s) flip") ||
		!strings.Contains(out, want) || !strings.Contains(out, ": DENIED → ALLOWED (MG-APPROVALS)") {
		t.Fatalf("replay: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = runCLI("bundle", "diff", l.policy, l.policy, "--replay", "--store", l.store, "--model", "fraud-scorer")
	if code != 0 || !strings.Contains(out, "replay: 4 recorded decision(s) judged again under both bundles; 0 verdict(s) flip") {
		t.Fatalf("unchanged: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = runCLI("bundle", "diff", l.policy, lax, "--replay", "--store", l.store, "--since", time.Now().Add(time.Hour).Format(time.RFC3339))
	if code != 1 || !strings.Contains(out, "replay: 0 recorded decision(s)") {
		t.Fatalf("since later: exit %d\n%s", code, out)
	}

	// Lose one recorded input: the replay says which, exit 2.
	rows := l.history(t, "--env", "production")
	data := logEntries(t, l.p, strings.TrimPrefix(l.store, "dir:"))[rows[0].Index]
	st, _ := attest.PeekStatement(data)
	var pred struct{ InputAttestations []struct{ URI string } }
	json.Unmarshal(st.Predicate, &pred)
	lost := pred.InputAttestations[0].URI
	hex := strings.TrimPrefix(lost, "sha256:")
	os.Remove(filepath.Join(strings.TrimPrefix(l.store, "dir:"), "objects", hex[:2], hex))
	code, _, stderr = runCLI("bundle", "diff", l.policy, lax, "--replay", "--store", l.store)
	undecided(t, code, stderr, "the store lacks inputs of recorded decisions, which cannot be judged again: ", "record "+rows[0].Record+" names "+lost)
}

// history for a compliance officer: markdown, csv (no cell a spreadsheet
// reads as a formula) and html in a real browser, from the same rows.
func TestHistoryFormats(t *testing.T) {
	l := newLedgerRun(t, "")
	v1 := l.promoted(t, "1", nil)
	if code, _, stderr := l.cli("revoke", "--subject", v1.String(), "--env", "production", "--key", l.p.Waiver.WriteKey(l.dir), "--reason", "=HYPERLINK(\"x\") leak"); code != 0 {
		t.Fatal(stderr)
	}
	code, md, _ := l.cli("history", "--model", "fraud-scorer", "--format", "markdown")
	if code != 0 || !strings.HasPrefix(md, "### Promotion ledger of fraud-scorer\n\n| time | environment | record |") || !strings.Contains(md, "| production | REVOKED: =HYPERLINK(\"x\") leak |") {
		t.Fatalf("markdown: exit %d\n%s", code, md)
	}
	code, csv, _ := l.cli("history", "--model", "fraud-scorer", "--format", "csv")
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[0], "time,environment,kind,result,subject,") || !strings.Contains(lines[1], `,revocation,FAILED,`+v1.String()+`,`) || !strings.Contains(lines[1], `"'=HYPERLINK(""x"") leak"`) {
		t.Fatalf("csv: exit %d\n%s", code, csv)
	}
	code, page, _ := l.cli("history", "--model", "fraud-scorer", "--format", "html")
	if code != 0 {
		t.Fatal(page)
	}
	path := filepath.Join(l.dir, "history.html")
	os.WriteFile(path, []byte(page), 0o644)
	doc := headless(t, path, filepath.Join(artefacts(t), "history.png"))
	rows := find(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-kind") != "" })
	if len(rows) != 3 || attr(rows[0], "data-kind") != "revocation" || !strings.Contains(text(rows[0]), "REVOKED: =HYPERLINK(\"x\") leak") {
		t.Fatalf("%d rows in the browser", len(rows))
	}
	code, _, stderr := l.cli("history", "--model", "fraud-scorer", "--format", "csv", "--at", time.Now().Format(time.RFC3339))
	undecided(t, code, stderr, `--format "csv": --at answers in text or json`)
}

// report --subject builds the page from the ledger: the recorded decision
// judged again on its stored inputs, in a real browser; a bundle that does
// not reproduce the record is refused.
func TestReportFromTheLedger(t *testing.T) {
	l := newLedgerRun(t, "")
	v1 := l.promoted(t, "1", nil)
	page := filepath.Join(l.dir, "v1.html")
	code, out, stderr := l.cli("report", "--subject", v1.String(), "--env", "production", "--out", page)
	if code != 0 || out != "wrote "+page+" (PASSED "+v1.String()+" → production)\n" {
		t.Fatalf("report: exit %d %q %s", code, out, stderr)
	}
	doc := headless(t, page, filepath.Join(artefacts(t), "report-ledger.png"))
	if v := byID(doc, "verdict"); v == nil || text(v) != "ALLOWED" {
		t.Fatal("no ALLOWED verdict in the page built from the ledger")
	}
	if s := byID(doc, "subject"); s == nil || text(s) != v1.String() {
		t.Fatal("the page names another subject")
	}
	strict := filepath.Join(l.dir, "strict")
	os.CopyFS(strict, os.DirFS(l.policy))
	th := filepath.Join(strict, "modelgate", "thresholds", "data.yaml")
	raw, _ := os.ReadFile(th)
	os.WriteFile(th, []byte(strings.Replace(string(raw), "approvals: {production: 1, staging: 0}", "approvals: {production: 5, staging: 0}", 1)), 0o644)
	code, _, stderr = runCLI("report", "--subject", v1.String(), "--env", "production", "--out", page, "--policy", strict, "--store", l.store)
	undecided(t, code, stderr, "does not reproduce the recorded decision", "give --policy the bundle that decided")
	code, _, stderr = l.cli("report", "--subject", "fraud-scorer@sha256:"+digestOf(3), "--env", "production", "--out", page)
	undecided(t, code, stderr, "the ledger "+l.store+"/tlog holds no decision of fraud-scorer@sha256:"+digestOf(3)+" in production")
}

// A bundle whose trust list the recorded inputs no longer verify under (every
// evidence key rotated) lists each recorded decision as no longer
// verifiable, and the replay goes on to the end: exit 1, never 2.
func TestReplayAfterAKeyRotation(t *testing.T) {
	l := newLedgerRun(t, "")
	l.promoted(t, "1", nil)
	rotated := filepath.Join(l.dir, "rotated")
	q := testkit.NewPipeline("fraud-scorer")
	q.Gate, q.Ledger = l.p.Gate, l.p.Ledger // the ledger's signers stay; every stage's key is new
	if err := q.WriteBundle(filepath.Join(testkit.RepoRoot(), "policies"), rotated, "medium"); err != nil {
		t.Fatal(err)
	}
	testkit.RequireStaging(rotated)
	code, out, stderr := runCLI("bundle", "diff", l.policy, rotated, "--replay", "--store", l.store)
	if code != 1 || !strings.Contains(out, "replay: 2 recorded decision(s) judged again under both bundles; 2 verdict(s) flip") ||
		strings.Count(out, ": ALLOWED → NO LONGER VERIFIABLE (no longer verifiable under NEW: every evidence file given was rejected") != 2 {
		t.Fatalf("replay after a key rotation: exit %d\n%s%s", code, out, stderr)
	}
}
