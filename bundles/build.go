package bundles

import (
	"bytes"
	"fmt"

	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/sigstore/sigstore/pkg/signature"
)

// BuildOptions tune Build.
type BuildOptions struct {
	Revision string                   // the manifest's revision; kept from .manifest when empty
	Signer   signature.SignerVerifier // signs .signatures.json when set
}

// Build turns a bundle directory into a .tar.gz with OPA's own bundle API:
// a .manifest with its revision and roots, the Rego modules (tests left
// out: they travel with the source), the data, and, with a signer, a
// .signatures.json that 'opa build --verification-key' and OPA's bundle
// service accept.
func Build(dir string, opts BuildOptions) ([]byte, error) {
	files, err := readTree(dir)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", dir, err)
	}
	b, err := readFiles(withoutTests(files))
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", dir, err)
	}
	if opts.Revision != "" {
		b.Manifest.Revision = opts.Revision
	}
	if err := CheckRevision(b.Manifest.Revision); err != nil {
		return nil, fmt.Errorf("bundle %s: %w; set one in .manifest or with a revision option", dir, err)
	}
	if b.Manifest.Roots == nil || len(*b.Manifest.Roots) == 0 {
		roots := []string{"modelgate"}
		b.Manifest.Roots = &roots
	}
	if opts.Signer != nil {
		if err := Sign(&b, opts.Signer); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := bundle.NewWriter(&buf).Write(b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
