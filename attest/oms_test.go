package attest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The specification's published test vectors: every valid bundle passes,
// every invalid one is refused with its reason.
func TestOMSTestVectors(t *testing.T) {
	dir := filepath.Join("..", "testdata", "oms-v1.0")
	for _, c := range []struct{ file, want string }{
		{"valid/key.bundle.json", ""},
		{"valid/certificate.bundle.json", ""},
		{"valid/sigstore.bundle.json", ""},
		{"invalid/empty.bundle.json", "model signature: the file is empty"},
		{"invalid/missing-envelope.bundle.json", "model signature: the bundle has no dsseEnvelope"},
		{"invalid/missing-verification-material.bundle.json", "model signature: the bundle has no verificationMaterial"},
		{"invalid/missing-tlog-entries.bundle.json", "model signature: a Sigstore certificate with no tlogEntries: the sigstore method needs its transparency log entries (§4.1)"},
		{"invalid-payload/wrong-predicate.bundle.json", "model signature: the signed statement is not an OMS v1.0 statement: "},
	} {
		data, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		err = CheckOMSBundle(data)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.file, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.file, err, c.want)
		default:
			t.Logf("%s: %v", c.file, err)
		}
	}
}
