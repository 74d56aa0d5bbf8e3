package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serve follows the ledger's log: a promotion and then a revocation written
// by another process are answered within 2 s; two replicas that have read
// the same checkpoint answer alike; with the log unreadable, serve answers
// from its last verified state until --max-staleness, then denies, and
// says how old its state is in /readyz, the metric and every audit line.
func TestServeFollowsTheLog(t *testing.T) {
	l := newLedgerRun(t, "")
	certFile, keyFile, pool := selfSigned(t, l.dir, "serving")
	gatePub := filepath.Join(l.dir, "gate.pub")
	os.WriteFile(gatePub, l.p.Gate.PubPEM, 0o644)
	args := []string{"--tls-cert", certFile, "--tls-key", keyFile, "--gate-key", gatePub, "--policy", l.policy, "--store", l.store,
		"--ledger-poll", "200ms", "--max-staleness", "3s"}
	a := startWebhook(t, pool, append(args, "--state-dir", filepath.Join(l.dir, "state-a"))...)
	b := startWebhook(t, pool, append(args, "--state-dir", filepath.Join(l.dir, "state-b"))...)
	v1 := l.version("1")
	ask := func(w *webhook, uid string) (bool, string) {
		_, r := w.send(t, "production", review(uid, "Pod", "CREATE", objectOf("Pod", v1.String(), "", ""), nil))
		return r.Response.Allowed, r.Response.Status.Message
	}
	if ok, msg := ask(a, "before"); ok || !strings.Contains(msg, "has no PASSED decision in staging") && !strings.Contains(msg, "has no PASSED decision in production") {
		t.Fatalf("before any promotion: %v %s", ok, msg)
	}
	// Another process promotes v1 through staging to production.
	for _, env := range []string{"staging", "production"} {
		cmd := process(l.verifyArgs(v1, env, nil)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("verify %s: %v\n%s", env, err, out)
		}
	}
	promoted := time.Now()
	waitFor(t, "both replicas to admit the promotion", 2*time.Second, func() bool {
		okA, _ := ask(a, "p-a")
		okB, _ := ask(b, "p-b")
		return okA && okB
	})
	t.Logf("admitted %s after the promotion was written", time.Since(promoted).Round(time.Millisecond))

	v2 := l.promoted(t, "2", &v1)
	code, out, stderr := l.cli("revoke", "--subject", v1.String(), "--env", "production", "--key", l.p.Waiver.WriteKey(l.dir), "--reason", "label leak")
	if code != 0 {
		t.Fatalf("revoke: %s %s", out, stderr)
	}
	revoked := time.Now()
	waitFor(t, "both replicas to deny the revoked model", 2*time.Second, func() bool {
		okA, msgA := ask(a, "r-a")
		okB, msgB := ask(b, "r-b")
		return !okA && !okB && msgA == msgB && strings.Contains(msgA, "was revoked in production")
	})
	t.Logf("denied %s after the revocation was written", time.Since(revoked).Round(time.Millisecond))

	// The log unreadable: answers from the last verified state, then denies.
	waitFor(t, "the replica to admit v2", 2*time.Second, func() bool {
		_, r := a.send(t, "production", review("v2", "Pod", "CREATE", objectOf("Pod", v2.String(), "", ""), nil))
		return r.Response.Allowed
	})
	cp := filepath.Join(strings.TrimPrefix(l.store, "dir:"), "tlog", "checkpoint")
	os.Rename(cp, cp+".away")
	gone := time.Now()
	time.Sleep(time.Second)
	if _, r := a.send(t, "production", review("stale-1", "Pod", "CREATE", objectOf("Pod", v2.String(), "", ""), nil)); !r.Response.Allowed {
		t.Fatalf("within --max-staleness: %+v", r.Response)
	}
	waitFor(t, "the replica to deny once its state is older than --max-staleness", 6*time.Second, func() bool {
		_, r := a.send(t, "production", review("stale-2", "Pod", "CREATE", objectOf("Pod", v2.String(), "", ""), nil))
		return !r.Response.Allowed && strings.Contains(r.Response.Status.Message, "over --max-staleness 3s")
	})
	// The state's age counts from its last verified read, at most one
	// --ledger-poll before the log went.
	if d := time.Since(gone); d < 3*time.Second-200*time.Millisecond {
		t.Fatalf("denied after %s, before --max-staleness", d)
	}
	resp, err := a.client.Get("https://" + a.addr + "/readyz")
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("/readyz with a stale ledger: %v %v", resp, err)
	}
	mresp, err := a.client.Get("https://" + a.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	if !strings.Contains(string(raw), "modelgate_ledger_age_seconds") || !strings.Contains(string(raw), "modelgate_ledger_read_errors_total") {
		t.Fatal("no ledger metrics")
	}
	log := a.logUntil(func(log string) bool { return strings.Contains(log, `"uid":"stale-2"`) })
	if !strings.Contains(log, `"ledger_age_s":`) {
		t.Fatal("the audit line does not say how old the ledger state is")
	}
	os.Rename(cp+".away", cp)
	waitFor(t, "the replica to recover", 3*time.Second, func() bool {
		_, r := a.send(t, "production", review("back", "Pod", "CREATE", objectOf("Pod", v2.String(), "", ""), nil))
		return r.Response.Allowed
	})
}
