package bundles

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

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
	if root, ok := files[TrustedRootFile]; ok {
		// The trusted root travels in the data, under the bundle's signature:
		// what the directory trusts, its built and pushed forms trust.
		var v any
		dec := json.NewDecoder(bytes.NewReader(root))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("bundle %s: %s is not JSON: %v", dir, TrustedRootFile, err)
		}
		if err := setData(b.Data, trustedRootData, v); err != nil {
			return nil, fmt.Errorf("bundle %s: %w", dir, err)
		}
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

// setData puts v at path in a bundle's data tree, making the maps on the way.
func setData(data map[string]any, path []string, v any) error {
	cur := data
	for _, k := range path[:len(path)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			if cur[k] != nil {
				return fmt.Errorf("data %s is not an object", strings.Join(path, "."))
			}
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	cur[path[len(path)-1]] = v
	return nil
}
