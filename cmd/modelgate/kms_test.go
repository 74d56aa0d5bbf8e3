package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/internal/testkit"
	"github.com/modelgate/modelgate/keys"
)

// attest --key hashivault://gate signs through the KMS plugin program: the
// envelope verifies with the key Vault holds, about the model named. Without
// the plugin, the same command is exit 2 saying what to install.
func TestAttestWithAVaultKey(t *testing.T) {
	vault := testkit.VaultKey(t)
	dir := t.TempDir()
	pred := filepath.Join(dir, "p.json")
	os.WriteFile(pred, []byte(`{"decision":"approved","environment":"production","justification":"ok","approved_at":"2026-01-02T03:04:05Z"}`), 0o644)
	out := filepath.Join(dir, "approval.json")
	if code, _, stderr := runCLI("attest", "--type", "approval", "--subject", "fraud-scorer@sha256:"+digestOf(7), "--predicate", pred, "--key", "hashivault://gate", "--out", out); code != 0 {
		t.Fatalf("attest: exit %d: %s", code, stderr)
	}
	pub, err := keys.ParsePublicKey(vault.PubPEM)
	if err != nil {
		t.Fatal(err)
	}
	v, err := attest.NewVerifier([]*keys.Verifier{pub})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	got, err := v.Verify(context.Background(), data)
	if err != nil {
		t.Fatalf("the envelope does not verify with Vault's key: %v", err)
	}
	if s := got.Statement.Subject; len(s) != 1 || s[0].Name != "fraud-scorer" || s[0].Digest["sha256"] != digestOf(7) || got.KeyID != pub.KeyID {
		t.Fatalf("statement about %+v, key %s", s, got.KeyID)
	}

	t.Setenv("PATH", t.TempDir())
	code, _, stderr := runCLI("attest", "--type", "approval", "--subject", "fraud-scorer@sha256:"+digestOf(7), "--predicate", pred, "--key", "hashivault://gate", "--out", out)
	undecided(t, code, stderr, "hashivault:// keys sign through the program sigstore-kms-hashivault, which is neither beside modelgate nor on PATH")
}
