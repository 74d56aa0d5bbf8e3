package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/testkit"
)

const module = "github.com/modelgate/modelgate/"

// The import rules of docs/architecture.md hold: every package is in its
// table, and imports only packages of a lower layer; internal/ helpers
// import no other modelgate package; no library imports testkit.
func TestImportRules(t *testing.T) {
	root := testkit.RepoRoot()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	layer := map[string]int{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z/-]+)` \\| (\\d) \\|").FindAllStringSubmatch(string(doc), -1) {
		n, _ := strconv.Atoi(m[2])
		layer[m[1]] = n
	}
	if len(layer) < 20 {
		t.Fatalf("docs/architecture.md's table names %d packages", len(layer))
	}
	imports := packageImports(t, root)
	for pkg, deps := range imports {
		l, known := layer[pkg]
		if !known {
			t.Errorf("package %s is not in docs/architecture.md's table: give it a layer", pkg)
			continue
		}
		for _, d := range deps {
			switch {
			case d == "testkit" && !strings.HasPrefix(pkg, "examples/"):
				t.Errorf("%s imports testkit, which is for tests alone", pkg)
			case strings.HasPrefix(pkg, "internal/"):
				t.Errorf("%s, a helper under internal/, imports %s", pkg, d)
			case layer[d] >= l:
				t.Errorf("%s (layer %d) imports %s (layer %d): a package imports only lower layers (docs/architecture.md)", pkg, l, d, layer[d])
			}
		}
	}
	for pkg := range layer {
		if _, ok := imports[pkg]; !ok {
			t.Errorf("docs/architecture.md names %s, which is no package", pkg)
		}
	}
}

// packageImports lists each package's modelgate imports, from its non-test
// Go files.
func packageImports(t *testing.T, root string) map[string][]string {
	out := map[string][]string{}
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin" || name == "dist") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if dep, ok := strings.CutPrefix(p, module); ok {
				out[pkg] = append(out[pkg], dep)
			}
		}
		return nil
	})
	return out
}
