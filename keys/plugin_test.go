package keys_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/testkit"
)

// A hashivault:// key signs through the plugin program, which runs
// sigstore's own provider against Vault: the signature verifies with the
// key Vault holds, and a wrong token is Vault's refusal, said.
func TestVaultKeySignsThroughThePlugin(t *testing.T) {
	vault := testkit.VaultKey(t)

	sv, err := keys.LoadSigner(context.Background(), "hashivault://gate")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sv.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if !vault.Key.PublicKey.Equal(pub) {
		t.Fatalf("public key %v is not Vault's", pub)
	}
	msg := []byte("a DSSE pre-authentication encoding")
	sig, err := sv.SignMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(&vault.Key.PublicKey, sum[:], sig) || vault.Signs.Load() != 1 {
		t.Fatalf("signature does not verify with Vault's key (%d signs)", vault.Signs.Load())
	}

	t.Setenv("VAULT_TOKEN", "s.wrong")
	sv, err = keys.LoadSigner(context.Background(), "hashivault://gate")
	if err == nil {
		_, err = sv.SignMessage(bytes.NewReader(msg))
	}
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("wrong token: %v", err)
	}
}

// Without its plugin program a KMS key is one line saying what to install.
func TestKMSWithoutPlugin(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("VAULT_ADDR", "http://127.0.0.1:1")
	t.Setenv("VAULT_TOKEN", "s.x")
	_, err := keys.LoadSigner(context.Background(), "hashivault://gate")
	var missing *keys.MissingPluginError
	if !errors.As(err, &missing) || err.Error() != "hashivault:// keys sign through the program sigstore-kms-hashivault, which is neither beside modelgate nor on PATH: "+
		"install it beside modelgate with 'go install github.com/modelgate/modelgate/cmd/sigstore-kms-hashivault@latest' (the container image carries it)" {
		t.Fatalf("got %v", err)
	}
}
