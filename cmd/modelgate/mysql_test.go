package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/tlog"
)

// The ledger in a real MariaDB (Tessera's MySQL driver), as a platform with
// writers on several machines keeps it: created by 'ledger init', trusted
// by the bundle, appended to by verify, read by history, audited by
// 'ledger verify' (Tessera's fsck included) and followed by serve.
func TestLedgerOnMySQL(t *testing.T) {
	db := testkit.StartMariaDB(t)
	l := newLedgerRun(t, "")
	t.Setenv(tlog.PasswordEnv, db.Password)
	spec := db.Database(t)
	prefix := filepath.Join(l.dir, "sql")
	code, out, stderr := runCLI("ledger", "init", spec, "--origin", "ledger.sql.example/models", "--out", prefix)
	if code != 0 || !strings.Contains(out, "created the log ledger.sql.example/models at "+spec) {
		t.Fatalf("init: exit %d %s %s", code, out, stderr)
	}
	code, _, stderr = runCLI("ledger", "init", spec, "--origin", "ledger.sql.example/models", "--out", prefix+"2")
	undecided(t, code, stderr, "is a log already: a log is created once")
	if code, out, stderr := runCLI("bundle", "signer", "add", l.policy, "--signer", "sql="+prefix+".ledger.pub:ledger.sql.example/models:ledger"); code != 0 {
		t.Fatalf("signer add: %s %s", out, stderr)
	}
	t.Setenv("MODELGATE_LEDGER", spec)
	t.Setenv("MODELGATE_LEDGER_KEY", prefix+".ledger.key")
	v1 := l.promoted(t, "1", nil)
	rows := l.history(t)
	if len(rows) != 2 || rows[0].Index != 1 || rows[1].Index != 0 {
		t.Fatalf("history: %+v", rows)
	}
	if code, out, stderr := l.cli("ledger", "verify"); code != 0 || !strings.Contains(out, "ledger "+spec+" (ledger.sql.example/models): 2 entries") || !strings.Contains(out, "Tessera's fsck agrees") {
		t.Fatalf("ledger verify: exit %d %s %s", code, out, stderr)
	}
	certFile, keyFile, pool := selfSigned(t, l.dir, "serving")
	gatePub := filepath.Join(l.dir, "gate.pub")
	os.WriteFile(gatePub, l.p.Gate.PubPEM, 0o644)
	w := startWebhook(t, pool, "--tls-cert", certFile, "--tls-key", keyFile, "--gate-key", gatePub, "--policy", l.policy, "--store", l.store)
	if _, a := w.send(t, "production", review("a", "Pod", "CREATE", objectOf("Pod", v1.String(), "", ""), nil)); !a.Response.Allowed {
		t.Fatalf("serve following the MySQL log: %+v", a.Response)
	}
	// A password in the name is refused: it would show in process lists.
	code, _, stderr = runCLI("history", "--model", "fraud-scorer", "--policy", l.policy, "--store", l.store, "--ledger", strings.Replace(spec, "modelgate@", "modelgate:pw@", 1))
	undecided(t, code, stderr, "carries a password: give it in $MODELGATE_LEDGER_PASSWORD instead")
}
