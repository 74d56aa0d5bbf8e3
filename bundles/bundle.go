// Package bundles is the home of a policy bundle: loading it (directory,
// .tar.gz, oci://), its digest, building and signing it with OPA's bundle
// API, verifying its signatures, pushing and pulling it, testing it, and
// the typed view of its data (trust, tiers, environments, thresholds) that
// inspect and diff read.
package bundles

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/internal/safeio"
	"github.com/modelgate/modelgate/keys"
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
	files    map[string][]byte // every file as given, tests included

	checked  sync.Once // CheckData, once: a bundle does not change
	checkErr error
}

// Options say what a bundle must be to be used.
type Options struct {
	// Keys, when given, require a .signatures.json that one of them
	// verifies, covering every file (several keys: a rotation).
	Keys []VerificationKey
	// MinRevision refuses a bundle whose manifest revision is older.
	MinRevision string
	// PlainHTTP talks to a non-loopback registry without TLS.
	PlainHTTP bool
}

// Load reads a bundle from a directory, a .tar.gz file, an OCI reference
// (oci://REGISTRY/REPO:TAG or @sha256:…), or the embedded default (""),
// with no key: a bundle that carries .signatures.json is still checked
// for integrity.
func Load(spec string) (*Bundle, error) { return Open(context.Background(), spec, Options{}) }

// Open reads and checks a bundle: its bounds, its signature (with
// opts.Keys) or its integrity (when it carries .signatures.json), and its
// revision.
func Open(ctx context.Context, spec string, opts Options) (*Bundle, error) {
	// Every use of a bundle checks its data: compile the data schemas while
	// the bundle is read and parsed.
	go compileDataSchemas()
	uri := spec
	var files map[string][]byte // the bundle's files as given
	switch {
	case spec == "" || spec == Embedded:
		uri = Embedded
		files = embeddedFiles()
	case strings.HasPrefix(spec, "oci://"):
		data, err := Pull(ctx, spec, opts.PlainHTTP)
		if err != nil {
			return nil, err
		}
		if files, err = readTar(data); err != nil {
			return nil, fmt.Errorf("policy bundle %s: %w", spec, err)
		}
	default:
		info, err := os.Lstat(spec)
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		if info.IsDir() {
			files, err = readTree(spec)
		} else {
			var data []byte
			if data, err = safeio.ReadFile(spec, MaxBundleSize); err == nil {
				files, err = readTar(data)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("policy bundle %s: %w", spec, err)
		}
	}
	if err := checkSignature(files, opts.Keys); err != nil {
		return nil, fmt.Errorf("policy bundle %s: %w", uri, err)
	}
	// What is parsed is what was checked. Policy tests travel with the
	// source, not with the bundle that decides: they are not even parsed.
	b, err := readFiles(withoutTests(files))
	if err != nil {
		return nil, fmt.Errorf("policy bundle %s: %w", uri, err)
	}
	if opts.MinRevision != "" {
		c, err := CompareRevisions(b.Manifest.Revision, opts.MinRevision)
		if err != nil {
			return nil, fmt.Errorf("policy bundle %s has revision %q, which does not compare with the minimum revision %q: %w", uri, b.Manifest.Revision, opts.MinRevision, err)
		}
		if c < 0 {
			return nil, fmt.Errorf("policy bundle %s has revision %q, older than the minimum revision %q: use a newer bundle", uri, b.Manifest.Revision, opts.MinRevision)
		}
	}
	return &Bundle{URI: uri, Digest: contentDigest(&b), Revision: b.Manifest.Revision, b: b, files: files}, nil
}

// withoutTests are a bundle's files less its Rego tests and its
// signatures (checked already).
func withoutTests(files map[string][]byte) map[string][]byte {
	kept := make(map[string][]byte, len(files))
	for name, data := range files {
		if !strings.HasSuffix(name, "_test.rego") && name != ".signatures.json" {
			kept[name] = data
		}
	}
	return kept
}

// embeddedFiles are the files of the bundle built into the binary.
func embeddedFiles() map[string][]byte {
	files := map[string][]byte{}
	fs.WalkDir(policies.FS, ".", func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			files[p], _ = fs.ReadFile(policies.FS, p)
		}
		return nil
	})
	return files
}

// memLoader loads a bundle from files already read and checked.
func memLoader(files map[string][]byte) func() bundle.DirectoryLoader {
	mem := fstest.MapFS{}
	for name, data := range files {
		mem[name] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	return func() bundle.DirectoryLoader {
		l, _ := bundle.NewFSLoader(mem)
		return l
	}
}

// readFiles reads a bundle from files already read and checked, unverified.
func readFiles(files map[string][]byte) (bundle.Bundle, error) {
	return bundle.NewCustomReader(memLoader(files)()).
		WithSizeLimitBytes(MaxBundleSize).
		WithProcessAnnotations(true).
		WithSkipBundleVerification(true).
		Read()
}

// revisionPattern is a revision: dotted numbers with an optional -suffix
// (2026.11.3, 1.4.0-rc1).
var revisionPattern = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,9})*(-[0-9A-Za-z][0-9A-Za-z.]*)?$`)

// CheckRevision refuses a revision that does not compare.
func CheckRevision(rev string) error {
	if !revisionPattern.MatchString(rev) || len(rev) > 64 {
		return fmt.Errorf("revision %q is not dotted numbers with an optional -suffix (e.g. 2026.11.3 or 1.4.0-rc1)", rev)
	}
	return nil
}

// CompareRevisions orders two revisions number by number (a missing
// number is 0); with equal numbers, a revision with a -suffix (a
// pre-release) comes before the one without, and two suffixes compare
// bytewise. Revisions of another form do not compare: an error.
func CompareRevisions(a, b string) (int, error) {
	for _, r := range []string{a, b} {
		if err := CheckRevision(r); err != nil {
			return 0, err
		}
	}
	an, as, _ := strings.Cut(a, "-")
	bn, bs, _ := strings.Cut(b, "-")
	ap, bp := strings.Split(an, "."), strings.Split(bn, ".")
	for i := 0; i < max(len(ap), len(bp)); i++ {
		x, y := 0, 0
		if i < len(ap) {
			x, _ = strconv.Atoi(ap[i])
		}
		if i < len(bp) {
			y, _ = strconv.Atoi(bp[i])
		}
		if c := cmpInt(x, y); c != 0 {
			return c, nil
		}
	}
	switch {
	case as == bs:
		return 0, nil
	case as == "":
		return 1, nil
	case bs == "":
		return -1, nil
	}
	return strings.Compare(as, bs), nil
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
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
	return digest.Prefixed(hex.EncodeToString(h.Sum(nil)))
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

// Roles are the roles a signer may hold in a trust list.
var Roles = []string{"data", "training", "evaluation", "approver", "risk", "deploy", "canary", "waiver", "gate", "ledger"}

// Signer is a trusted identity from the bundle's trust list.
type Signer = keys.Signer

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

// trustedRootData is where a built bundle carries the trusted root: in
// its data, which OPA's writer keeps and its signature covers (a JSON file
// that is not data would be left out of the tarball).
var trustedRootData = []string{"modelgate", "trust", "trusted_root"}

// TrustedRootFile is where a bundle carries the Sigstore trusted root its
// keyless signers are verified against.
const TrustedRootFile = "modelgate/trust/trusted_root.json"

// KeylessRoot is what the bundle verifies keyless signatures against: the
// Sigstore trusted root it carries and the thresholds of
// modelgate/trust/data.yaml's sigstore (signed certificate timestamps,
// default 1; observer timestamps, default 1). Nil when it carries no root.
func (b *Bundle) KeylessRoot() *attest.KeylessRoot {
	raw, ok := b.files[TrustedRootFile]
	if !ok {
		// A built bundle carries it in its data, under its signature.
		v, ok := b.Data(trustedRootData...)
		if !ok {
			return nil
		}
		if raw, _ = json.Marshal(v); raw == nil {
			return nil
		}
	}
	r := &attest.KeylessRoot{TrustedRoot: raw, SCTThreshold: 1, TimestampThreshold: 1}
	if n, ok := b.Data("modelgate", "trust", "sigstore", "sct_threshold"); ok {
		r.SCTThreshold = toInt(n)
	}
	if n, ok := b.Data("modelgate", "trust", "sigstore", "timestamp_threshold"); ok {
		r.TimestampThreshold = toInt(n)
	}
	return r
}

// toInt reads a whole number from bundle data (its schema said it is one).
func toInt(v any) int {
	switch n := v.(type) {
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	case float64:
		return int(n)
	case int:
		return n
	}
	return -1
}

// Raw exposes the OPA bundle, for inspection and testing.
func (b *Bundle) Raw() *bundle.Bundle { return &b.b }
