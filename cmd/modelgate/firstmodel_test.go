package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/testkit"
)

// docs/first-model.md, run as a reader runs it: every shell block in
// order, in one bash, in a folder holding the repository's examples, with
// modelgate on the PATH and nothing else set. Staging and then production
// allow the reader's model, and the ledger shows both decisions.
func TestFirstModelAsWritten(t *testing.T) {
	var script strings.Builder
	script.WriteString("set -e -o pipefail\n")
	for _, h := range []string{"## 1. A folder, your data and your model", "## 2. Keys, one for each role", "## 3. A policy bundle that trusts them",
		"## 4. Choose the model's tier", "## 5. Evidence from your tools", "## 6. Staging", "## 7. A smoke test and an approval, then production"} {
		blocks := fencedBlocks(t, "docs/first-model.md", h)
		if len(blocks) == 0 {
			t.Fatalf("docs/first-model.md %q has no shell block", h)
		}
		for _, b := range blocks {
			script.WriteString(b)
		}
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "examples", "first-model"), os.DirFS(filepath.Join(testkit.RepoRoot(), "examples", "first-model"))); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "modelgate"), "./cmd/modelgate")
	build.Dir = testkit.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = dir
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "MODELGATE_") && !strings.HasPrefix(e, "PATH=") && !strings.HasPrefix(e, "HOME=") && !strings.HasPrefix(e, "XDG_") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, "PATH="+bin+":/usr/local/bin:/usr/bin:/bin", "HOME="+filepath.Join(dir, "home"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docs/first-model.md as written: %v\n%s", err, out)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^ALLOWED\s+my-churn-model@sha256:[0-9a-f]{64} → staging$`),
		regexp.MustCompile(`(?m)^ALLOWED\s+my-churn-model@sha256:[0-9a-f]{64} → production$`),
		regexp.MustCompile(`(?m)^tier low \(from inventory\)`),
		regexp.MustCompile(`(?m)\sproduction\s+PASSED\s`),
		regexp.MustCompile(`(?m)\sstaging\s+PASSED\s`),
	} {
		if !want.MatchString(string(out)) {
			t.Errorf("docs/first-model.md does not print %s:\n%s", want, out)
		}
	}
}
