package facts

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/keys"
)

// The model signatures model_signing (the reference implementation) wrote
// with its key method, versions 0.3.1 to 1.1.0, verify as they are, the
// signature file in the model's folder where it sits
// (testdata/model-transparency, README there).
func TestReferenceImplementationSignatures(t *testing.T) {
	root := filepath.Join("..", "testdata", "model-transparency")
	pub, err := os.ReadFile(filepath.Join(root, "signing-key-pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	trust, err := NewTrust([]keys.Signer{{ID: "reference", PublicKey: string(pub), Identity: "model_signing reference key", Roles: []string{"training"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dir, model string }{
		{"v0.3.1-elliptic-key", "signme-1"},
		{"v1.0.0-elliptic-key", "signme-1"},
		{"v1.0.1-elliptic-key", ""},
		{"v1.1.0-elliptic-key", ""},
	} {
		dir := filepath.Join(root, c.dir)
		model := filepath.Join(dir, c.model)
		if c.dir == "v1.0.1-elliptic-key" {
			// 1.0.1 records no ignore_paths: its verifier is told to leave
			// ignore-me out; the folder is checked as it was signed.
			model = t.TempDir()
			for _, f := range []string{"model.sig", "signme-1", "signme-2"} {
				raw, _ := os.ReadFile(filepath.Join(dir, f))
				os.WriteFile(filepath.Join(model, f), raw, 0o644)
			}
		}
		sig, err := os.ReadFile(filepath.Join(dir, "model.sig"))
		if err != nil {
			t.Fatal(err)
		}
		subject, err := digest.Resolve(model, digest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res := CollectFor(context.Background(), trust, subject, []evidence.Envelope{{ID: attest.EnvelopeID(sig), Source: "model.sig", Data: sig}}, time.Now())
		if len(res.Facts) != 1 || res.Facts[0].Type != attest.ModelSignatureType || len(res.Rejected) != 0 {
			t.Errorf("%s: %d facts, rejected %+v", c.dir, len(res.Facts), res.Rejected)
		}
	}
}
