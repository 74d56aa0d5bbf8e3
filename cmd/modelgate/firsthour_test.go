package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelgate/modelgate/testkit"
)

// The first hour: bundle init validates its signers and prints the export
// line; bundle signer add|remove edit the trust list with the same checks;
// MODELGATE_POLICY and MODELGATE_STORE stand for the flags.
func TestBundleInitAndSigners(t *testing.T) {
	dir := t.TempDir()
	gate := testkit.NewParty("gate", "ecdsa-p256", "gate")
	pub := filepath.Join(dir, "gate.pub")
	os.WriteFile(pub, gate.PubPEM, 0o644)
	policy := filepath.Join(dir, "policy")

	code, _, stderr := runCLI("bundle", "init", policy)
	undecided(t, code, stderr, "--signer is required: a bundle that trusts nobody decides nothing")
	code, _, stderr = runCLI("bundle", "init", policy, "--signer", "gate="+pub+":gate@example.com:gaet")
	undecided(t, code, stderr, `--signer gate: unknown role "gaet"; use one of data, training, evaluation, approver, risk, deploy, canary, waiver, gate, ledger`)
	if _, err := os.Stat(policy); err == nil {
		t.Fatal("a refused init left a directory behind")
	}
	code, out, stderr := runCLI("bundle", "init", policy, "--signer", "gate="+pub+":gate@example.com:gate")
	abs, _ := filepath.Abs(policy)
	if code != 0 || !strings.Contains(out, "\n  export MODELGATE_POLICY="+abs+"\n") {
		t.Fatalf("init: exit %d %s %s", code, out, stderr)
	}
	if code, _, stderr := runCLI("bundle", "test", policy); code != 0 {
		t.Fatalf("the initialised bundle's tests: %s", stderr)
	}

	alice := testkit.NewParty("alice", "ed25519", "approver")
	apub := filepath.Join(dir, "alice.pub")
	os.WriteFile(apub, alice.PubPEM, 0o644)
	code, out, stderr = runCLI("bundle", "signer", "add", policy, "--signer", "alice="+apub+":alice@example.com:approver")
	if code != 0 || !strings.HasPrefix(out, policy+" now trusts 2 signer(s)") {
		t.Fatalf("signer add: exit %d %s %s", code, out, stderr)
	}
	// The same identity under another spelling is refused, and nothing changes.
	code, _, stderr = runCLI("bundle", "signer", "add", policy, "--signer", "alice2="+pub+":Alice@Example.com:approver")
	undecided(t, code, stderr, "nothing changed: ")
	code, _, stderr = runCLI("bundle", "signer", "remove", policy, "--signer", "nobody")
	undecided(t, code, stderr, "--signer nobody: "+policy+" trusts no signer of that id")
	code, _, stderr = runCLI("bundle", "signer", "remove", policy, "--signer", "gate", "--signer", "alice")
	undecided(t, code, stderr, "the trust list would be empty")
	if code, out, _ := runCLI("bundle", "signer", "remove", policy, "--signer", "alice"); code != 0 || !strings.HasPrefix(out, policy+" now trusts 1 signer(s)") {
		t.Fatalf("signer remove: %s", out)
	}

	// The environment stands for --policy and --store; a flag wins.
	store := filepath.Join(dir, "store")
	evidenceStore(t, store)
	t.Setenv("MODELGATE_POLICY", policy)
	t.Setenv("MODELGATE_STORE", "dir:"+store)
	if code, out, stderr := runCLI("history", "--model", "fraud-scorer"); code != 0 || out != "no ledger records for fraud-scorer in dir:"+store+"/tlog\n" {
		t.Fatalf("history from the environment: exit %d %q %s", code, out, stderr)
	}
	code, _, stderr = runCLI("history", "--model", "fraud-scorer", "--store", "dir:"+filepath.Join(dir, "typo"))
	undecided(t, code, stderr, "store dir:"+filepath.Join(dir, "typo")+" does not exist")
}

// Every command that needs a signer and has none says how to give one.
func TestNoSignerSaysPolicy(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store")
	evidenceStore(t, store)
	t.Setenv("MODELGATE_POLICY", "")
	for _, args := range [][]string{
		{"history", "--model", "fraud-scorer", "--store", "dir:" + store},
		{"verify", "--subject", "m@sha256:" + digestOf(1), "--env", "production", "--store", "dir:" + store},
		{"revoke", "--subject", "m@sha256:" + digestOf(1), "--env", "production", "--key", "k", "--reason", "r", "--store", "dir:" + store},
	} {
		code, _, stderr := runCLI(args...)
		undecided(t, code, stderr, "policy bundle embedded:policies: trusts no signer; give --policy DIR (or set MODELGATE_POLICY) naming your bundle, or make one with 'modelgate bundle init DIR --signer ID=PUBKEY:IDENTITY:ROLE'")
	}
}

// Outputs never hang: a FIFO nobody reads, or /dev/full, fails at once
// with exit 2, for each output flag.
func TestOutputsNeverHang(t *testing.T) {
	r := newRun(t, "medium")
	fifo := filepath.Join(r.dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	envs := r.p.Envelopes(nil)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--input-out", fifo, "--timeout", "3s"}, "--input-out: " + fifo + " is a FIFO that nobody reads: start its reader first, or name a file"},
		{[]string{"--vsa-out", fifo, "--vsa-key", r.p.Gate.WriteKey(r.dir), "--timeout", "3s"}, "--vsa-out: " + fifo + " is a FIFO that nobody reads"},
		{[]string{"--input-out", "/dev/full"}, "--input-out: write /dev/full: no space left on device"},
	} {
		start := time.Now()
		code, _, stderr := r.verify(envs, c.args...)
		undecided(t, code, stderr, c.want)
		if d := time.Since(start); d > 20*time.Second {
			t.Fatalf("%v took %s", c.args, d)
		}
	}
	code, _, stderr := runCLI("report", filepath.Join(testkit.RepoRoot(), "testdata", "decisions", "allowed.json"), "--out", fifo)
	undecided(t, code, stderr, fifo+" is a FIFO that nobody reads")
}

// Mistakes are exit 2 with what was looked for, never a judged deny: a
// subject with no evidence in the store, --evidence files all rejected, a
// predicate dated in the future at attest.
func TestMistakesAreNotJudged(t *testing.T) {
	r := newRun(t, "medium")
	store := "dir:" + filepath.Join(r.dir, "store")
	code, _, stderr := runCLI("verify", "--subject", "fraud-scorer@sha256:"+digestOf(7), "--env", "production", "--policy", r.policy, "--store", store)
	undecided(t, code, stderr, "no evidence about sha256:"+digestOf(7)+" in "+store+"; did you attest a different file, or use another store?")

	empty := filepath.Join(r.dir, "empty.json")
	os.WriteFile(empty, nil, 0o644)
	code, _, stderr = runCLI("verify", "--subject", r.p.Subject.String(), "--env", "production", "--policy", r.policy, "--store", store, "--evidence", empty)
	undecided(t, code, stderr, "every evidence file given was rejected (1); the first, "+empty+": ")

	pred := filepath.Join(r.dir, "approval.json")
	os.WriteFile(pred, []byte(`{"decision":"approved","environment":"production","justification":"ok","approved_at":"`+time.Now().Add(2*time.Hour).UTC().Format(time.RFC3339)+`"}`), 0o644)
	code, _, stderr = runCLI("attest", "--type", "approval", "--subject", r.p.Subject.String(), "--predicate", pred, "--key", r.p.Alice.WriteKey(r.dir))
	undecided(t, code, stderr, "predicate: its time ", " is more than 5m0s in the future; verify would reject it as dated in the future")
}

// A canary at 0.1% of traffic for 10 s whose accuracy fell 30% against
// the control, marked passed by the rollout tool, no longer lets a
// high-tier model into production: MG-CANARY judges the numbers.
func TestCanaryJudgedOnItsNumbers(t *testing.T) {
	r := newRun(t, "high")
	envs := r.p.Envelopes(func(m map[string]map[string]any) {
		m["canary"]["traffic_percent"] = 0.1
		m["canary"]["duration_s"] = 10
		m["canary"]["canary"] = map[string]any{"metrics": map[string]any{"auc_roc": 0.91, "accuracy": 0.616}}
	})
	code, d, stderr := r.verify(envs)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var msg string
	for _, g := range d.Gates {
		if g.Code == "MG-CANARY" && g.Status == "fail" {
			msg = g.Message
		}
	}
	for _, want := range []string{
		"the canary ran 10s, under the tier's 1800s; the analysis said passed, its own numbers do not",
		"the canary saw 0.1% of traffic, under the tier's 1%",
		"canary metric accuracy is 30% worse than the control (0.88 → 0.616); the limit is 10%",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("MG-CANARY says %q, lacking %q", msg, want)
		}
	}
}

// A KMS key without credentials is one line naming what to set, at once,
// never the SDK's own words after waiting on a metadata endpoint.
func TestKMSWithoutCredentials(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_EC2_METADATA_DISABLED",
		"GOOGLE_APPLICATION_CREDENTIALS", "GCE_METADATA_HOST", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
		"AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "MSI_ENDPOINT", "VAULT_ADDR", "BAO_ADDR", "VAULT_TOKEN", "BAO_TOKEN"} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	pred := filepath.Join(dir, "p.json")
	os.WriteFile(pred, []byte(`{"decision":"approved","environment":"production","justification":"ok","approved_at":"2026-01-02T03:04:05Z"}`), 0o644)
	for _, c := range []struct{ key, want string }{
		{"awskms:///alias/modelgate-gate", "modelgate: --key: awskms: no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or AWS_WEB_IDENTITY_TOKEN_FILE; on EC2 with an instance role, AWS_EC2_METADATA_DISABLED=false)\n"},
		{"gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k", "modelgate: --key: gcpkms: no credentials found: set GOOGLE_APPLICATION_CREDENTIALS (or run 'gcloud auth application-default login'; on GCE or GKE, GCE_METADATA_HOST=metadata.google.internal)\n"},
		{"azurekms://vault.vault.azure.net/gate", "modelgate: --key: azurekms: no credentials found: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE, or run 'az login')\n"},
		{"hashivault://gate", "modelgate: --key: hashivault: no credentials found: set VAULT_ADDR and VAULT_TOKEN\n"},
	} {
		start := time.Now()
		code, _, stderr := runCLI("attest", "--type", "approval", "--subject", "m@sha256:"+digestOf(1), "--predicate", pred, "--key", c.key)
		if code != 2 || stderr != c.want {
			t.Errorf("%s: exit %d\n%s\nwant\n%s", c.key, code, stderr, c.want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %s: it waited on the network", c.key, d)
		}
	}
	// Vault with an address but no token still says so.
	t.Setenv("VAULT_ADDR", "https://vault.example:8200")
	code, _, stderr := runCLI("attest", "--type", "approval", "--subject", "m@sha256:"+digestOf(1), "--predicate", pred, "--key", "hashivault://gate")
	undecided(t, code, stderr, "hashivault: no credentials found: set VAULT_ADDR and VAULT_TOKEN")
}

// A registry repository that does not exist (a typo) is exit 2 naming it,
// for verify, history and serve at start-up, never an empty ledger or a
// judged deny.
func TestTypoedRegistryRepository(t *testing.T) {
	r := newRun(t, "medium")
	reg := testkit.StartRegistry(t)
	good, typo := "oci://"+reg+"/models/evidence", "oci://"+reg+"/models/evidnce"
	for _, e := range r.p.Envelopes(nil) {
		f := filepath.Join(r.dir, "e.json")
		os.WriteFile(f, e, 0o644)
		if code, _, stderr := runCLI("evidence", "add", "--store", good, f); code != 0 {
			t.Fatal(stderr)
		}
	}
	// A registry store keeps no ledger: it is named apart.
	t.Setenv("MODELGATE_LEDGER", "dir:"+filepath.Join(r.dir, "store", "tlog"))
	want := "modelgate: store " + typo + " does not exist: the registry has no such repository; check --store, or create it with 'modelgate attest --store' or 'modelgate evidence add'\n"
	for _, args := range [][]string{
		{"verify", "--subject", r.p.Subject.String(), "--env", "production"},
		{"history", "--model", "fraud-scorer"},
		{"evidence", "list", "--subject", r.p.Subject.String()},
	} {
		args = append(args, "--store", typo)
		if args[0] != "evidence" {
			args = append(args, "--policy", r.policy)
		}
		code, _, stderr := runCLI(args...)
		if code != 2 || stderr != want {
			t.Errorf("%s: exit %d %q, want %q", args[0], code, stderr, want)
		}
	}
	if code, out, stderr := runCLI("history", "--model", "fraud-scorer", "--store", good, "--policy", r.policy); code != 0 || out != "no ledger records for fraud-scorer in dir:"+filepath.Join(r.dir, "store", "tlog")+"\n" {
		t.Fatalf("history of the right repository: exit %d %q %s", code, out, stderr)
	}
}
