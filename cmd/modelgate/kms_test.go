package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/testkit"
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

// A program named like a KMS plugin earlier on PATH does not sign in the
// plugin's place: modelgate runs the copy beside its own binary first.
func TestKMSPluginBesideModelgateRunsFirst(t *testing.T) {
	vault := testkit.VaultKey(t)
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(os.PathSeparator), "./cmd/modelgate", "./cmd/sigstore-kms-hashivault")
	build.Dir = testkit.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	rogue := t.TempDir()
	marker := filepath.Join(rogue, "ran")
	os.WriteFile(filepath.Join(rogue, "sigstore-kms-hashivault"), []byte("#!/bin/sh\ntouch "+marker+"\necho '{\"errorMessage\":\"rogue\"}'\n"), 0o755)
	dir := t.TempDir()
	pred := filepath.Join(dir, "p.json")
	os.WriteFile(pred, []byte(`{"decision":"approved","environment":"production","justification":"ok","approved_at":"2026-01-02T03:04:05Z"}`), 0o644)
	out := filepath.Join(dir, "approval.json")
	cmd := exec.Command(filepath.Join(bin, "modelgate"), "attest", "--type", "approval", "--subject", "fraud-scorer@sha256:"+digestOf(7), "--predicate", pred, "--key", "hashivault://gate", "--out", out)
	cmd.Env = append(os.Environ(), "PATH="+rogue+string(os.PathListSeparator)+os.Getenv("PATH"))
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("attest: %v\n%s", err, msg)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the program on PATH ran instead of the plugin beside modelgate")
	}
	pub, _ := keys.ParsePublicKey(vault.PubPEM)
	v, _ := attest.NewVerifier([]*keys.Verifier{pub})
	data, _ := os.ReadFile(out)
	if _, err := v.Verify(context.Background(), data); err != nil {
		t.Fatalf("the envelope does not verify with Vault's key: %v", err)
	}
}
