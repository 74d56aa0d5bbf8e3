package keys_test

import (
	"strings"
	"testing"

	"github.com/modelgate/modelgate/keys"
)

func TestEncryptedKey(t *testing.T) {
	priv, pub, err := keys.Generate("ed25519", []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(priv), "ENCRYPTED SIGSTORE PRIVATE KEY") || !strings.Contains(string(pub), "PUBLIC KEY") {
		t.Fatalf("unexpected PEM types:\n%s\n%s", priv, pub)
	}
	if _, err := keys.ParseSigner(priv, []byte("s3cret")); err != nil {
		t.Fatalf("right password: %v", err)
	}
	_, err = keys.ParseSigner(priv, []byte("wrong"))
	if err == nil || err.Error() != "key could not be decrypted: check MODELGATE_KEY_PASSWORD" {
		t.Fatalf("wrong password: %v", err)
	}
	_, err = keys.ParseSigner(priv, nil)
	if err == nil || err.Error() != "key is encrypted: set MODELGATE_KEY_PASSWORD to its password" {
		t.Fatalf("no password: %v", err)
	}
}

func TestUnknownAlgorithm(t *testing.T) {
	_, _, err := keys.Generate("rsa-512", nil)
	if err == nil || !strings.Contains(err.Error(), "use one of ecdsa-p256, ed25519") {
		t.Fatalf("got %v", err)
	}
}

func TestKMSRefs(t *testing.T) {
	for _, ref := range []string{"awskms:///alias/x", "gcpkms://projects/p", "azurekms://v.vault.azure.net/k", "hashivault://k"} {
		if !keys.IsKMS(ref) {
			t.Errorf("%s not recognised as KMS", ref)
		}
	}
	if keys.IsKMS("keys/stage.key") {
		t.Error("a path taken for KMS")
	}
}
