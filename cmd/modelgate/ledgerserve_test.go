package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/vsa"
)

// The ledger served over HTTPS: a CI job that does not hold the ledger key
// appends its decision through POST /add; the server refuses a record the
// bundle does not let its signer write; history, the webhook and an
// auditor's proof read the log through the tlog-tiles paths; the
// checkpoint is never cached and tiles are immutable.
func TestLedgerServer(t *testing.T) {
	l := newLedgerRun(t, "")
	certFile, keyFile, pool := selfSigned(t, l.dir, "ledger")
	logKey := os.Getenv("MODELGATE_LEDGER_KEY")
	addr := freeAddr(t)
	srv := process("ledger", "serve", "--ledger", "dir:"+filepath.Join(strings.TrimPrefix(l.store, "dir:"), "tlog"), "--ledger-key", logKey,
		"--policy", l.policy, "--listen", addr, "--tls-cert", certFile, "--tls-key", keyFile)
	srvLog := &lockedBuffer{}
	srv.Stderr = srvLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	base := "https://" + addr + "/"
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig(pool)}}
	waitFor(t, "the ledger server", 15*time.Second, func() bool {
		resp, err := client.Get(base + "checkpoint")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	// A CI job: no ledger key, the server's certificate trusted.
	ci := func(args ...string) (string, error) {
		cmd := process(append(args, "--ledger", base)...)
		cmd.Env = append(withoutLedgerKey(cmd.Env), "SSL_CERT_FILE="+certFile)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	v1 := l.version("1")
	for _, env := range []string{"staging", "production"} {
		if out, err := ci(l.verifyArgs(v1, env, nil)...); err != nil || !strings.Contains(out, "appended to the ledger "+base+" at index ") {
			t.Fatalf("verify %s through the server: %v\n%s", env, err, out)
		}
	}
	out, err := ci("history", "--model", "fraud-scorer", "--policy", l.policy, "--store", l.store, "--format", "json")
	if err != nil || strings.Count(out, `"kind": "decision"`) != 2 || !strings.Contains(out, `"index": 1`) {
		t.Fatalf("history through the server: %v\n%s", err, out)
	}
	out, err = ci("ledger", "proof", "1", "--policy", l.policy, "--store", l.store)
	if err != nil || !strings.Contains(out, "is entry 1 of ledger.test.example/fraud-scorer") || !strings.Contains(out, "verified against the checkpoint:") {
		t.Fatalf("proof through the server: %v\n%s", err, out)
	}
	// A record whose signer may not write it: refused, nothing appended.
	st, _ := vsa.Statement("fraud-scorer", v1.SHA256, "production", vsa.Failed, nil, decision.Policy{URI: "p", Digest: "sha256:" + strings.Repeat("0", 64)}, nil,
		vsa.Entry{Kind: vsa.KindRevocation, Revocation: &vsa.RevocationEntry{Digest: "sha256:" + v1.SHA256, Reason: "x"}}, time.Now())
	resp, err := client.Post(base+"add", "application/json", strings.NewReader(string(l.p.Alice.SignStatement(st))))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "signer alice may not sign a revocation record (needs role [gate waiver])") {
		t.Fatalf("an approver's revocation: %d %s", resp.StatusCode, body)
	}
	resp, _ = client.Get(base + "checkpoint")
	cp, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Cache-Control") != "no-cache" || strings.Split(string(cp), "\n")[1] != "2" {
		t.Fatalf("checkpoint: %q %s", resp.Header.Get("Cache-Control"), cp)
	}
	resp, _ = client.Get(base + "tile/entries/000.p/2")
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("entry bundle: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	// The webhook follows the served log.
	gatePub := filepath.Join(l.dir, "gate.pub")
	os.WriteFile(gatePub, l.p.Gate.PubPEM, 0o644)
	hookCert, hookKey, hookPool := selfSigned(t, l.dir, "serving")
	w := startWebhookEnv(t, hookPool, []string{"SSL_CERT_FILE=" + certFile}, "--tls-cert", hookCert, "--tls-key", hookKey, "--gate-key", gatePub,
		"--policy", l.policy, "--store", l.store, "--ledger", base)
	if _, a := w.send(t, "production", review("a", "Pod", "CREATE", objectOf("Pod", v1.String(), "", ""), nil)); !a.Response.Allowed {
		t.Fatalf("serve following the served log: %+v", a.Response)
	}
}

// withoutLedgerKey drops $MODELGATE_LEDGER_KEY from an environment.
func withoutLedgerKey(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "MODELGATE_LEDGER_KEY=") {
			out = append(out, e)
		}
	}
	return out
}
