package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/testkit"
)

// tarball gzips tar entries as given, lying headers included.
func tarball(t *testing.T, entries func(*tar.Writer)) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	entries(tw)
	tw.Flush()
	zw.Close()
	return buf.Bytes()
}

// Every bundle command refuses a tarball with two entries of one name (the
// tampered one first), one with a non-regular entry, and a 150-byte one
// whose header claims 2^50 bytes: exit 2, never a panic, with or without
// a key.
func TestHostileTarballsForEveryBundleCommand(t *testing.T) {
	dir := t.TempDir()
	files, err := os.ReadDir(filepath.Join(testkit.RepoRoot(), "policies"))
	if err != nil || len(files) == 0 {
		t.Fatal(err)
	}
	good, err := bundles.Build(filepath.Join(testkit.RepoRoot(), "policies"), bundles.BuildOptions{Revision: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	// The good bundle's entries, behind a tampered copy of one of them.
	duplicate := tarball(t, func(tw *tar.Writer) {
		evil := []byte("package modelgate.gates.approvals\n\ndeny := set()\n")
		tw.WriteHeader(&tar.Header{Name: "/modelgate/gates/approvals.rego", Mode: 0o644, Size: int64(len(evil)), Typeflag: tar.TypeReg})
		tw.Write(evil)
		zr, _ := gzip.NewReader(bytes.NewReader(good))
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			var content bytes.Buffer
			content.ReadFrom(tr)
			tw.WriteHeader(h)
			tw.Write(content.Bytes())
		}
	})
	symlink := tarball(t, func(tw *tar.Writer) {
		tw.WriteHeader(&tar.Header{Name: "modelgate/lib", Linkname: "/etc", Typeflag: tar.TypeSymlink})
	})
	huge := tarball(t, func(tw *tar.Writer) {
		tw.WriteHeader(&tar.Header{Name: "modelgate/big.rego", Mode: 0o644, Size: 1 << 50, Typeflag: tar.TypeReg})
	})
	if len(huge) > 200 {
		t.Fatalf("the lying tarball is %d bytes", len(huge))
	}
	store := filepath.Join(dir, "store")
	evidenceStore(t, store)
	k := testkit.NewParty("bundle", "ecdsa-p256")
	pub := filepath.Join(dir, "bundle.pub")
	os.WriteFile(pub, k.PubPEM, 0o644)
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"duplicate": {duplicate, `tarball holds two entries named "modelgate/gates/approvals.rego"; a reader could take either: rebuild the bundle`},
		"symlink":   {symlink, `tarball entry "modelgate/lib" is not a regular file; a bundle holds regular files alone`},
		"huge":      {huge, `tarball unpacks to more than 67108864 bytes (entry "modelgate/big.rego" claims 1125899906842624)`},
	} {
		path := filepath.Join(dir, name+".tar.gz")
		os.WriteFile(path, c.data, 0o644)
		for _, args := range [][]string{
			{"bundle", "verify", path, "--verification-key", pub},
			{"bundle", "test", path},
			{"bundle", "inspect", path},
			{"bundle", "diff", path, ""},
			{"bundle", "diff", "", path},
			{"verify", "--subject", "m@sha256:" + digestOf(1), "--env", "production", "--policy", path, "--store", "dir:" + store},
		} {
			code, _, stderr := runCLI(args...)
			if code != 2 || !bytes.Contains([]byte(stderr), []byte(c.want)) {
				t.Errorf("%s: %v: exit %d %q", name, args, code, stderr)
			}
		}
	}
}

func evidenceStore(t *testing.T, path string) {
	if _, err := evidence.OpenDir(path); err != nil {
		t.Fatal(err)
	}
}
