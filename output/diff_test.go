package output_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/output"
	"github.com/modelgate/modelgate/testkit"
)

// The default bundle against a copy with one change of each kind, in
// every text format, against goldens in testdata/diff (rewritten with
// MODELGATE_UPDATE_GOLDEN=1).
func TestDiffGolden(t *testing.T) {
	src := filepath.Join(testkit.RepoRoot(), "policies")
	dir := filepath.Join(t.TempDir(), "new")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	edit := func(file, from, to string) {
		path := filepath.Join(dir, file)
		raw, _ := os.ReadFile(path)
		if from == "" {
			raw = append(raw, to...)
		} else if edited := strings.Replace(string(raw), from, to, 1); edited != string(raw) {
			raw = []byte(edited)
		} else {
			t.Fatalf("%q not in %s", from, file)
		}
		os.MkdirAll(filepath.Dir(path), 0o755)
		os.WriteFile(path, raw, 0o644)
	}
	th := "modelgate/thresholds/data.yaml"
	edit(".manifest", `"revision": "1.0.0"`, `"revision": "1.1.0"`)
	edit(th, "auc_roc: {lower_bound: 0.83", "auc_roc: {lower_bound: 0.85")                              // tightened
	edit(th, "log_loss: {upper_bound: 0.4,", "log_loss: {upper_bound: 0.45,")                           // loosened
	edit(th, "upper_bound: 0.45, higher_is_better: false", "upper_bound: 0.45, higher_is_better: true") // a loss read as a score: loosened
	edit(th, "approvals: {production: 2, staging: 1}", "approvals: {production: 1, staging: 1}")
	edit(th, "models: {}", "models:\n  new-model: {approvals: {production: 0}}\n")
	edit("modelgate/tiers/data.yaml", "", "  new-model: low\n")
	edit("modelgate/environments/data.yaml", "requires: [staging]", "requires: []")
	edit("modelgate/gates/canary.rego", "#   code: MG-CANARY\n", "#   code: MG-CANARY\n#   effective_on: \"2099-01-01T00:00:00Z\"\n")
	edit("modelgate/trust/data.yaml", "signers: []", "signers: [{id: ops, identity: ops@example.com, roles: [approver], public_key: \"-----BEGIN PUBLIC KEY-----\\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\\n-----END PUBLIC KEY-----\\n\"}]")
	edit("modelgate/ops_freeze.rego", "", "package modelgate\n\nwaivers[\"MG-APPROVALS\"] contains \"ops-freeze\" if true\n")
	edit("modelgate/tests/extra_test.rego", "", "package modelgate.tests.extra\n\ntest_nothing if true\n")
	var views [2]*bundles.View
	for i, p := range []string{src, dir} {
		b, err := bundles.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if views[i], err = b.View(); err != nil {
			t.Fatal(err)
		}
	}
	views[0].URI, views[1].URI = "OLD", "NEW"
	d := bundles.Diff(views[0], views[1])
	for _, format := range []string{"text", "markdown", "json"} {
		var buf bytes.Buffer
		if err := output.WriteDiff(&buf, d, format, nil); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join(testkit.RepoRoot(), "testdata", "diff", "all-kinds."+format)
		if os.Getenv("MODELGATE_UPDATE_GOLDEN") != "" {
			os.WriteFile(golden, buf.Bytes(), 0o644)
		}
		want, _ := os.ReadFile(golden)
		if buf.String() != string(want) {
			t.Errorf("%s differs from %s:\n%s", format, golden, buf.String())
		}
	}
}
