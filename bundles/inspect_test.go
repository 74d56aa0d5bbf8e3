package bundles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeThresholds copies the repository's bundle with one edit to its thresholds.
func editedBundle(t *testing.T, from, to string) *View {
	dir := filepath.Join(t.TempDir(), "b")
	if err := os.CopyFS(dir, os.DirFS(repoPolicies(t))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "modelgate", "thresholds", "data.yaml")
	data, _ := os.ReadFile(path)
	edited := strings.Replace(string(data), from, to, 1)
	if edited == string(data) {
		t.Fatalf("%q not found", from)
	}
	os.WriteFile(path, []byte(edited), 0o644)
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := b.View()
	if err != nil {
		t.Fatal(err)
	}
	return v
}
