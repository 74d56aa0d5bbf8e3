package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/testkit"
)

// The demo, run as 'make demo' runs it, tells its story: each decision it
// makes is asserted here.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("-short (make test-quick): the demo builds and runs the whole story")
	}
	root := testkit.RepoRoot()
	dir := t.TempDir()
	bin := filepath.Join(dir, "modelgate")
	build := exec.Command("go", "build", "-o", bin, "./cmd/modelgate")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "demo.sh"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "MODELGATE="+bin, "DEMO_DIR="+filepath.Join(dir, "demo"))
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, text)
	}
	for _, want := range []string{
		"ALLOWED  fraud-scorer@sha256:",
		"ALLOWED: 18 gates passed",
		"explanation signed keylessly as https://github.com/acme/churn/.github/workflows/explain.yml@refs/heads/main (issuer https://token.actions.githubusercontent.com), logged and timestamped",
		"policy now trusts 11 signer(s)",
		"policy now trusts 12 signer(s)",
		"created the log ledger.demo.example/models at dir:evidence/tlog",
		"appended to the ledger dir:evidence/tlog at index 0",
		"every entry and tile verified, consistent with every checkpoint seen; Tessera's fsck agrees",
		"of ledger.demo.example/models\nleaf hash ",
		"verified against the checkpoint:\nledger.demo.example/models\n",
		"FAIL     explanation      MG-EXPLAIN     prohibited feature region is #1 of the model's top 2 attributions (permutation, mean |attribution| ",
		"PASS    shadow           MG-SHADOW      shadowed champion sha256:4876646220fed532e64f05f6ba3c9b714028bbd457a3a86fbd0e18fd61628100 for 7199s on 12000 requests, agreeing on 100%",
		"FAIL     slices           MG-SLICES      slice new_customers: metric auc_roc",
		"(self-approval by carol@example.com, who signed training or evaluation)",
		"modelgate: every evidence file given was rejected (1); the first, tampered.json: no trusted key verifies the signature",
		"claims to pass, but its p99 latency ",
		"ms is over the high tier's limit 250ms",
		"ALLOWED with the smoke test waived",
		"ROLLBACK from sha256:",
		"v4 latency waiver withdrawn",
		"wrote v1-production.html (PASSED",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the demo does not say %q", want)
		}
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("the demo writes colour when not on a terminal")
	}
	// The keyless stage: v1's explanation counted as the CI workflow's.
	prod, _ := os.ReadFile(filepath.Join(dir, "demo", "v1-production.json"))
	if !strings.Contains(string(prod), `"type": "https://modelgate.dev/attestation/explanation/v1",
      "signer": "https://github.com/acme/churn/.github/workflows/explain.yml@refs/heads/main",
      "signer_id": "ci",`) {
		t.Error("v1's keyless explanation is not in its production decision as the CI workflow's")
	}
	runDocs(t, bin, filepath.Join(dir, "demo"))
	for _, page := range []string{"v1-production.html", "v4-production.html", "policy.html"} {
		if info, err := os.Stat(filepath.Join(dir, "demo", page)); err != nil || info.Size() < 5000 {
			t.Errorf("%s: %v", page, err)
		}
	}
	// Every piece of evidence in the report names who signed it and when,
	// or that it is the ledger's record (the promotion gate's staging decision).
	page, _ := os.ReadFile(filepath.Join(dir, "demo", "v1-production.html"))
	if bytes.Contains(page, []byte("signed by  ")) || bytes.Contains(page, []byte("signed by <")) || !bytes.Contains(page, []byte("a promotion ledger record")) {
		t.Error("v1-production.html shows a 'signed by' with no one after it, or not the promotion's ledger record")
	}
}
