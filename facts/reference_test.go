package facts

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
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

// The reference implementation's certificate-method signatures (a private
// CA) count for a PKI signer whose roots are that CA and whose subject is
// the leaf's; under another CA they are refused, saying why.
func TestReferenceCertificateSignatures(t *testing.T) {
	root := filepath.Join("..", "testdata", "model-transparency")
	ca, err := os.ReadFile(filepath.Join(root, "ca-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	other := otherCA(t)
	for _, c := range []struct {
		roots []byte
		want  string
	}{{ca, ""}, {other, "certificate signed by unknown authority"}} {
		trust, err := NewTrust([]keys.Signer{{ID: "pki", Identity: "release pipeline", Roles: []string{"training"},
			X509: &keys.X509{Roots: string(c.roots), Subject: "intermediate-ca"}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"v1.0.0-certificate", "v1.0.1-certificate", "v1.1.0-certificate"} {
			res := collectReference(t, trust, filepath.Join(root, v))
			switch {
			case c.want == "" && (len(res.Facts) != 1 || res.Facts[0].Signer.ID != "pki" || res.Facts[0].Signer.Identity != "release pipeline"):
				t.Errorf("%s: %d facts, rejected %+v", v, len(res.Facts), res.Rejected)
			case c.want != "" && (len(res.Facts) != 0 || len(res.Rejected) != 1 || !strings.Contains(res.Rejected[0].Reason, c.want)):
				t.Errorf("%s under another CA: %d facts, rejected %+v", v, len(res.Facts), res.Rejected)
			}
		}
	}
}

// otherCA is a CA of its own, PEM.
func otherCA(t *testing.T) []byte {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "root-ca"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// The reference implementation's sigstore-method signatures (public-good
// Fulcio and Rekor, 1.0.0 to 1.1.0) verify offline against the public-good
// trusted root (testdata/sigstore-public-good) for the identity that
// signed them, and match no other identity.
func TestReferenceSigstoreSignatures(t *testing.T) {
	root := filepath.Join("..", "testdata", "model-transparency")
	tr, err := os.ReadFile(filepath.Join("..", "testdata", "sigstore-public-good", "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ subject, want string }{
		{"stefanb@us.ibm.com", ""},
		{"someone-else@us.ibm.com", "matches no keyless signer in the trust list"},
	} {
		trust, err := NewTrustWithRoot([]keys.Signer{{ID: "stefan", Identity: "model_signing's tests", Roles: []string{"training"},
			Keyless: &keys.Keyless{Issuer: "https://sigstore.verify.ibm.com/oauth2", Subject: c.subject}}},
			&attest.KeylessRoot{TrustedRoot: tr, SCTThreshold: 1, TimestampThreshold: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"v1.0.0-sigstore", "v1.0.1-sigstore", "v1.1.0-sigstore"} {
			res := collectReference(t, trust, filepath.Join(root, v))
			switch {
			case c.want == "" && (len(res.Facts) != 1 || res.Facts[0].Signer.ID != "stefan" || res.Facts[0].Type != attest.ModelSignatureType):
				t.Errorf("%s: %d facts, rejected %+v", v, len(res.Facts), res.Rejected)
			case c.want != "" && (len(res.Facts) != 0 || len(res.Rejected) != 1 || !strings.Contains(res.Rejected[0].Reason, c.want)):
				t.Errorf("%s as another identity: %d facts, rejected %+v", v, len(res.Facts), res.Rejected)
			}
		}
	}
}

// collectReference judges a reference signature folder's model.sig
// against its model, signme-1 and signme-2 without ignore-me, as signed.
func collectReference(t *testing.T, trust *Trust, dir string) Result {
	t.Helper()
	model := t.TempDir()
	for _, f := range []string{"model.sig", "signme-1", "signme-2"} {
		if raw, err := os.ReadFile(filepath.Join(dir, f)); err == nil {
			os.WriteFile(filepath.Join(model, f), raw, 0o644)
		}
	}
	sig, _ := os.ReadFile(filepath.Join(dir, "model.sig"))
	subject, err := digest.Resolve(model, digest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return CollectFor(context.Background(), trust, subject, []evidence.Envelope{{ID: attest.EnvelopeID(sig), Source: "model.sig", Data: sig}}, time.Now())
}
