package bundles

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// writeBundle makes a bundle directory with one decision module.
// writeBundle makes the smallest bundle directory a test needs: a
// manifest and a modelgate package holding rego.
func writeBundle(t testing.TB, rego string) string {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".manifest"), []byte(`{"revision":"r1","roots":["modelgate"]}`), 0o644)
	os.MkdirAll(filepath.Join(dir, "modelgate"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "modelgate", "decision.rego"), []byte("package modelgate\n\n"+rego), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func repoPolicies(t *testing.T) string {
	dir, _ := os.Getwd()
	return filepath.Join(filepath.Dir(dir), "policies")
}

// A directory, its tarball and the embedded copy are one bundle, with one
// digest; the Rego tests that travel with the source are no part of it.
func TestLoadFormsShareOneDigest(t *testing.T) {
	src := repoPolicies(t)
	dir, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := bundle.NewCustomReader(bundle.NewDirectoryLoader(src)).Read()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bundle.Write(&buf, raw); err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(t.TempDir(), "bundle.tar.gz")
	os.WriteFile(tarball, buf.Bytes(), 0o644)
	packed, err := Load(tarball)
	if err != nil {
		t.Fatal(err)
	}
	if dir.Digest != embedded.Digest || dir.Digest != packed.Digest || !strings.HasPrefix(dir.Digest, "sha256:") {
		t.Fatalf("digests: dir %s, embedded %s, tarball %s", dir.Digest, embedded.Digest, packed.Digest)
	}
	if embedded.URI != Embedded || embedded.Revision != "1.0.0" {
		t.Fatalf("embedded %s revision %s", embedded.URI, embedded.Revision)
	}
	for _, m := range dir.b.Modules {
		if strings.HasSuffix(m.Path, "_test.rego") {
			t.Fatalf("test module %s in the bundle", m.Path)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	cases := map[string]string{
		filepath.Join(t.TempDir(), "missing"): "policy: lstat ",
		"oci://127.0.0.1:1/policies":          "oci://127.0.0.1:1/policies names no tag or digest: use oci://REGISTRY/REPO:TAG",
	}
	broken := filepath.Join(t.TempDir(), "broken.tar.gz")
	os.WriteFile(broken, []byte("not a tarball"), 0o644)
	cases[broken] = "policy bundle " + broken + ": "
	for spec, want := range cases {
		if _, err := Load(spec); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Load(%s) = %v, want %q...", spec, err, want)
		}
	}
}

func TestRunTestsReportsFailuresAndCoverage(t *testing.T) {
	dir := writeBundle(t, "decision := 1\n\nuncovered := 2 if input.x\n")
	os.WriteFile(filepath.Join(dir, "modelgate", "decision_test.rego"), []byte(`package modelgate_test

import data.modelgate

test_decision if modelgate.decision == 1

test_wrong if modelgate.decision == 2
`), 0o644)
	report, err := RunTests(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Results) != 2 || report.Failed() != 1 || report.Rules != 2 || report.RuleCoverage() != 50 ||
		len(report.Uncovered) != 1 || !strings.HasSuffix(report.Uncovered[0], "decision.rego:5 uncovered") {
		t.Fatalf("%+v", report)
	}
}

// FuzzLoadTarball: a bundle file from anywhere either loads or fails with
// an error; it never crashes the loader.
func FuzzLoadTarball(f *testing.F) {
	dir := f.TempDir()
	src, err := bundle.NewCustomReader(bundle.NewDirectoryLoader(writeBundle(f, "decision := 1\n"))).Read()
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bundle.Write(&buf, src); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("\x1f\x8b\x08\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "bundle.tar.gz")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := Load(path)
		if err == nil && !strings.HasPrefix(b.Digest, "sha256:") {
			t.Fatalf("loaded without a digest: %+v", b)
		}
	})
}
