// Package minibundle writes the smallest policy bundle a test of the
// engine or the loader needs: a manifest and one decision module.
package minibundle

import (
	"os"
	"path/filepath"
	"testing"
)

// Write makes a bundle directory whose modelgate package holds rego.
func Write(t testing.TB, rego string) string {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".manifest"), []byte(`{"revision":"r1","roots":["modelgate"]}`), 0o644)
	os.MkdirAll(filepath.Join(dir, "modelgate"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "modelgate", "decision.rego"), []byte("package modelgate\n\n"+rego), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
