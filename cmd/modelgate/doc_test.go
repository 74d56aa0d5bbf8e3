package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/internal/testkit"
)

// Every test docs/threat-model.md names exists, so the table cannot
// promise a proof that is not there.
func TestThreatModelNamesRealTests(t *testing.T) {
	root := testkit.RepoRoot()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "threat-model.md"))
	if err != nil {
		t.Fatal(err)
	}
	var sources strings.Builder
	filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && (strings.HasSuffix(p, "_test.go") || strings.HasSuffix(p, "_test.rego")) {
			data, _ := os.ReadFile(p)
			sources.Write(data)
		}
		return nil
	})
	src := sources.String()
	names := regexp.MustCompile("`((?:Test|Fuzz|test_)[A-Za-z0-9_]+)`").FindAllStringSubmatch(string(doc), -1)
	if len(names) < 30 {
		t.Fatalf("only %d tests named", len(names))
	}
	for _, m := range names {
		name := m[1]
		if !strings.Contains(src, "func "+name+"(") && !strings.Contains(src, "\n"+name+" if") {
			t.Errorf("docs/threat-model.md names %s, which no test defines", name)
		}
	}
}
