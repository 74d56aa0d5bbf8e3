// Package bundles is the home of a policy bundle: loading it (directory,
// .tar.gz, oci://), its digest, building and signing it with OPA's bundle
// API, verifying its signatures, pushing and pulling it, testing it, and
// the typed view of its data (trust, tiers, environments, thresholds) that
// inspect and diff read.
package bundles

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/modelgate/modelgate/policies"
)

// Embedded names the bundle built into the binary.
const Embedded = "embedded:policies"

// MaxBundleSize bounds a bundle read from a file.
const MaxBundleSize = 64 << 20

// Bundle is a loaded policy bundle.
type Bundle struct {
	URI      string // where it came from
	Digest   string // sha256:HEX over its modules, data and manifest, whatever its form
	Revision string
	b        bundle.Bundle
}

// Load reads a bundle from a directory, a .tar.gz file, or the embedded default ("").
func Load(spec string) (*Bundle, error) {
	var loader bundle.DirectoryLoader
	uri := spec
	switch {
	case spec == "" || spec == Embedded:
		sub, err := fs.Sub(policies.FS, ".")
		if err != nil {
			return nil, err
		}
		if loader, err = bundle.NewFSLoader(sub); err != nil {
			return nil, err
		}
		uri = Embedded
	case strings.HasPrefix(spec, "oci://"):
		return nil, fmt.Errorf("policy %s: OCI policy bundles are not supported yet; pass a directory or .tar.gz", spec)
	default:
		info, err := os.Lstat(spec)
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		if info.IsDir() {
			if err := checkTree(spec); err != nil {
				return nil, fmt.Errorf("policy bundle %s: %w", spec, err)
			}
			loader = bundle.NewDirectoryLoader(spec)
		} else {
			data, err := ReadTarball(spec)
			if err != nil {
				return nil, fmt.Errorf("policy bundle %s: %w", spec, err)
			}
			loader = bundle.NewTarballLoaderWithBaseURL(bytes.NewReader(data), "")
		}
	}
	b, err := bundle.NewCustomReader(loader).
		WithSizeLimitBytes(MaxBundleSize).
		WithProcessAnnotations(true).
		WithSkipBundleVerification(true).
		Read()
	if err != nil {
		return nil, fmt.Errorf("policy bundle %s: %w", uri, err)
	}
	// Policy tests travel with the source, not with the bundle that decides.
	mods := b.Modules[:0]
	for _, m := range b.Modules {
		if !strings.HasSuffix(m.Path, "_test.rego") {
			mods = append(mods, m)
		}
	}
	b.Modules = mods
	return &Bundle{URI: uri, Digest: contentDigest(&b), Revision: b.Manifest.Revision, b: b}, nil
}

// contentDigest hashes what decides: each module's path and source, the
// data, and the manifest, so a directory and its tarball share a digest.
func contentDigest(b *bundle.Bundle) string {
	h := sha256.New()
	mods := append([]bundle.ModuleFile(nil), b.Modules...)
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	for _, m := range mods {
		path := strings.TrimPrefix(m.Path, "/")
		fmt.Fprintf(h, "module %d %s %d\n", len(path), path, len(m.Raw))
		h.Write(m.Raw)
	}
	data, _ := json.Marshal(b.Data) // map keys are sorted by encoding/json
	fmt.Fprintf(h, "data %d\n", len(data))
	h.Write(data)
	man, _ := json.Marshal(b.Manifest)
	fmt.Fprintf(h, "manifest %d\n", len(man))
	h.Write(man)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Data returns the bundle's data document at a path of keys.
func (b *Bundle) Data(path ...string) (any, bool) {
	var cur any = b.b.Data
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Signer is a trusted identity from the bundle's trust list.
type Signer struct {
	ID        string   `json:"id"`
	PublicKey string   `json:"public_key"`
	Identity  string   `json:"identity"`
	Roles     []string `json:"roles"`
}

// Signers reads data.modelgate.trust.signers.
func (b *Bundle) Signers() ([]Signer, error) {
	raw, ok := b.Data("modelgate", "trust", "signers")
	if !ok {
		return nil, fmt.Errorf("policy bundle %s has no modelgate/trust/data.yaml signers", b.URI)
	}
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var signers []Signer
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&signers); err != nil {
		return nil, fmt.Errorf("policy bundle %s: trust signers: %w", b.URI, err)
	}
	return signers, nil
}

// Raw exposes the OPA bundle, for inspection and testing.
func (b *Bundle) Raw() *bundle.Bundle { return &b.b }
