package bundles

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/modelgate/modelgate/keys"
)

type keyPair struct {
	sv  signature.SignerVerifier
	pub []byte
}

func newKey(t *testing.T, alg string) keyPair {
	priv, pub, err := keys.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := keys.ParseSigner(priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{sv, pub}
}

func (k keyPair) verification(t *testing.T) VerificationKey {
	v, err := ParseVerificationKey(k.pub, "test key")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// build makes a signed tarball of the repository's default bundle.
func build(t *testing.T, k keyPair, revision string) string {
	data, err := Build(repoPolicies(t), BuildOptions{Signer: k.sv, Revision: revision})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bundle.tar.gz")
	os.WriteFile(path, data, 0o644)
	return path
}

// rewrite edits a tarball's files: edit returns the new content, or nil to drop it.
func rewrite(t *testing.T, path string, edit func(name string, data []byte) []byte, add map[string]string) string {
	raw, _ := os.ReadFile(path)
	files, err := readTar(raw)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	write := func(name string, data []byte) {
		tw.WriteHeader(&tar.Header{Name: "/" + name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
	}
	for name, data := range files {
		if d := edit(name, data); d != nil {
			write(name, d)
		}
	}
	for name, data := range add {
		write(name, []byte(data))
	}
	tw.Close()
	zw.Close()
	out := filepath.Join(t.TempDir(), "edited.tar.gz")
	os.WriteFile(out, buf.Bytes(), 0o644)
	return out
}

func TestSignedBundleVerifiesWithEitherAlgorithm(t *testing.T) {
	for _, alg := range keys.Algorithms {
		k := newKey(t, alg)
		path := build(t, k, "7.0")
		b, err := Open(context.Background(), path, Options{Keys: []VerificationKey{k.verification(t)}})
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		dir, _ := Load(repoPolicies(t))
		if b.Revision != "7.0" || b.Digest == dir.Digest {
			t.Fatalf("%s: revision %s digest %s (the directory's is %s and its revision differs)", alg, b.Revision, b.Digest, dir.Digest)
		}
		// OPA's own Go API loads it with a verification config, as 'opa build
		// --verification-key' and a bundle service do (key id "default").
		raw, _ := os.ReadFile(path)
		vc := bundle.NewVerificationConfig(map[string]*bundle.KeyConfig{"default": {Key: string(k.pub), Algorithm: k.verification(t).Alg}}, "default", "", nil)
		if _, err := bundle.NewCustomReader(bundle.NewTarballLoaderWithBaseURL(bytes.NewReader(raw), "")).WithBundleVerificationConfig(vc).Read(); err != nil {
			t.Fatalf("%s: OPA refuses the signed bundle: %v", alg, err)
		}
	}
}

// Tampering with any file of a signed bundle is caught, with the file
// named, with the key and without it.
func TestTamperingIsCaughtAndNamed(t *testing.T) {
	k := newKey(t, "ecdsa-p256")
	path := build(t, k, "")
	cases := map[string]struct {
		path string
		want string
	}{
		"a rule changed": {rewrite(t, path, func(name string, d []byte) []byte {
			if name == "modelgate/gates/approvals.rego" {
				return bytes.Replace(d, []byte("count(approvers) < required"), []byte("count(approvers) < 0"), 1)
			}
			return d
		}, nil), "modelgate/gates/approvals.rego"},
		"data changed": {rewrite(t, path, func(name string, d []byte) []byte {
			if name == "data.json" {
				return bytes.Replace(d, []byte(`"production":2`), []byte(`"production":0`), 1)
			}
			return d
		}, nil), "data.json"},
		"a file added": {rewrite(t, path, func(_ string, d []byte) []byte { return d }, map[string]string{"modelgate/gates/x.rego": "package modelgate.gates.x\n"}), "modelgate/gates/x.rego was added after the bundle was signed"},
		"a file removed": {rewrite(t, path, func(name string, d []byte) []byte {
			if name == "modelgate/gates/canary.rego" {
				return nil
			}
			return d
		}, nil), "modelgate/gates/canary.rego"},
	}
	for name, c := range cases {
		for _, opts := range []Options{{}, {Keys: []VerificationKey{k.verification(t)}}} {
			_, err := Open(context.Background(), c.path, opts)
			if err == nil || !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s (keys %d): %v, want %q", name, len(opts.Keys), err, c.want)
			}
		}
	}
}

// With a key a signature is required; several keys verify a rotation;
// a key that did not sign refuses.
func TestKeysRequireASignatureAndRotate(t *testing.T) {
	old, current := newKey(t, "ecdsa-p256"), newKey(t, "ed25519")
	path := build(t, current, "")
	if _, err := Open(context.Background(), path, Options{Keys: []VerificationKey{old.verification(t), current.verification(t)}}); err != nil {
		t.Fatalf("rotation: %v", err)
	}
	if _, err := Open(context.Background(), path, Options{Keys: []VerificationKey{old.verification(t)}}); err == nil || !strings.Contains(err.Error(), "no key verifies it") {
		t.Fatalf("wrong key: %v", err)
	}
	unsigned, err := Build(repoPolicies(t), BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := filepath.Join(t.TempDir(), "unsigned.tar.gz")
	os.WriteFile(up, unsigned, 0o644)
	if _, err := Open(context.Background(), up, Options{Keys: []VerificationKey{current.verification(t)}}); err == nil || !strings.Contains(err.Error(), "it is not signed (no .signatures.json)") {
		t.Fatalf("unsigned with a key: %v", err)
	}
	if _, err := Open(context.Background(), up, Options{}); err != nil {
		t.Fatalf("unsigned without a key: %v", err)
	}
}

func TestMinRevisionRefusesAnOlderBundle(t *testing.T) {
	k := newKey(t, "ed25519")
	path := build(t, k, "2026.9")
	if _, err := Open(context.Background(), path, Options{MinRevision: "2026.10"}); err == nil || !strings.Contains(err.Error(), `has revision "2026.9", older than the minimum revision "2026.10"`) {
		t.Fatalf("%v", err)
	}
	if _, err := Open(context.Background(), path, Options{MinRevision: "2026.9"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), path, Options{MinRevision: "r10"}); err == nil || !strings.Contains(err.Error(), `has revision "2026.9", which does not compare with the minimum revision "r10": revision "r10" is not dotted numbers`) {
		t.Fatalf("an incomparable minimum: %v", err)
	}
	for _, c := range []struct {
		a, b string
		want int
	}{{"1.0.0", "1.0.0", 0}, {"2026.10.1", "2026.9", 1}, {"2026.9", "2026.10", -1}, {"1.4.0-rc1", "1.4.0", -1}, {"1.4.0-rc2", "1.4.0-rc1", 1},
		{"1.4", "1.4.0", 0}, {"01.2", "1.2", 0}, {"2026.11.1", "2026.11.1-hotfix", 1}} {
		if got, err := CompareRevisions(c.a, c.b); err != nil || got != c.want {
			t.Errorf("CompareRevisions(%q, %q) = %d, %v", c.a, c.b, got, err)
		}
	}
	for _, bad := range []string{"default-1", "r9", "v1.0", "", "1..2", "1.2-", "2026.11.1 "} {
		if _, err := CompareRevisions(bad, "1.0"); err == nil {
			t.Errorf("CompareRevisions(%q, ...) compares", bad)
		}
	}
	dir := t.TempDir()
	os.CopyFS(dir, os.DirFS(repoPolicies(t)))
	if _, err := Build(dir, BuildOptions{Revision: "default-1"}); err == nil || !strings.Contains(err.Error(), `revision "default-1" is not dotted numbers with an optional -suffix`) {
		t.Fatalf("build with a revision that does not compare: %v", err)
	}
}

func TestBuildDropsTestsAndKeepsTheDecision(t *testing.T) {
	data, err := Build(repoPolicies(t), BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := readTar(data)
	for name := range files {
		if strings.HasSuffix(name, "_test.rego") {
			t.Fatalf("%s in the built bundle", name)
		}
	}
	path := filepath.Join(t.TempDir(), "b.tar.gz")
	os.WriteFile(path, data, 0o644)
	built, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := Load(repoPolicies(t))
	if built.Digest != dir.Digest {
		t.Fatalf("built %s, directory %s: the same bundle should share a digest", built.Digest, dir.Digest)
	}
	_ = io.EOF
}
