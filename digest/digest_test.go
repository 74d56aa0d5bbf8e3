package digest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/digest"
)

func write(t testing.TB, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func model(t *testing.T) string {
	dir := t.TempDir()
	write(t, dir, "config.json", `{"a":1}`)
	write(t, dir, "shards/b.bin", "bbbb")
	write(t, dir, "shards/a.bin", "aaaa")
	return dir
}

func sum(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func TestDirManifestIsCanonical(t *testing.T) {
	r, err := digest.Path(model(t), digest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"files":[{"path":"config.json","sha256":"` + sum(`{"a":1}`) + `","size":7},` +
		`{"path":"shards/a.bin","sha256":"` + sum("aaaa") + `","size":4},` +
		`{"path":"shards/b.bin","sha256":"` + sum("bbbb") + `","size":4}]}`
	if got := string(r.Manifest.Canonical()); got != want {
		t.Fatalf("manifest\n got %s\nwant %s", got, want)
	}
	if r.SHA256 != sum(want) {
		t.Fatalf("digest %s, want %s", r.SHA256, sum(want))
	}
}

func TestDirDigestStableAndSensitive(t *testing.T) {
	dir := model(t)
	first, _ := digest.Path(dir, digest.Options{})
	again, _ := digest.Path(dir, digest.Options{Workers: 1})
	if first.SHA256 != again.SHA256 {
		t.Fatal("digest differs between runs")
	}
	write(t, dir, "shards/a.bin", "aaab")
	changed, _ := digest.Path(dir, digest.Options{})
	if changed.SHA256 == first.SHA256 {
		t.Fatal("a changed byte did not change the digest")
	}
	write(t, dir, "shards/a.bin", "aaaa")
	if err := os.Rename(filepath.Join(dir, "shards/b.bin"), filepath.Join(dir, "shards/c.bin")); err != nil {
		t.Fatal(err)
	}
	renamed, _ := digest.Path(dir, digest.Options{})
	if renamed.SHA256 == first.SHA256 {
		t.Fatal("a renamed file did not change the digest")
	}
}

func TestFileDigestIsSHA256(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "m.bin", "weights")
	r, err := digest.Path(filepath.Join(dir, "m.bin"), digest.Options{})
	if err != nil || r.SHA256 != sum("weights") || r.Manifest != nil {
		t.Fatalf("got %+v, %v", r, err)
	}
}

func TestEscapingSymlinkIsAnError(t *testing.T) {
	dir := model(t)
	outside := filepath.Join(t.TempDir(), "secret")
	write(t, filepath.Dir(outside), "secret", "x")
	if err := os.Symlink(outside, filepath.Join(dir, "leak")); err != nil {
		t.Fatal(err)
	}
	_, err := digest.Path(dir, digest.Options{})
	if err == nil || !strings.Contains(err.Error(), "leak: symlink leaves the model directory") {
		t.Fatalf("got %v", err)
	}
}

func TestInnerSymlinkCountsAsFile(t *testing.T) {
	dir := model(t)
	if err := os.Symlink("config.json", filepath.Join(dir, "alias.json")); err != nil {
		t.Fatal(err)
	}
	r, err := digest.Path(dir, digest.Options{})
	if err != nil || len(r.Manifest.Files) != 4 || r.Manifest.Files[0].Path != "alias.json" {
		t.Fatalf("got %+v, %v", r, err)
	}
}

func TestResolve(t *testing.T) {
	s, err := digest.Resolve("m@sha256:"+strings.Repeat("0", 64), digest.Options{})
	if err != nil || s.Name != "m" {
		t.Fatalf("got %v %v", s, err)
	}
	for _, bad := range []string{"m@sha256:abc", "m@sha1:" + strings.Repeat("0", 40), "/no/such/model"} {
		if _, err := digest.Resolve(bad, digest.Options{}); err == nil {
			t.Errorf("Resolve(%q) accepted", bad)
		}
	}
}
