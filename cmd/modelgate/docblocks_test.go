package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/testing/ca"

	"github.com/modelgate/modelgate/testkit"
)

// docRuns names, for each command line of a shell block in README.md and
// docs/ that runDocs (the demo folder, MODELGATE_POLICY and
// MODELGATE_STORE set) does not run itself, the test that runs it as
// written, in the setting the page states; by is "CI" for the set-up
// commands CI runs itself.
var docRuns = []struct{ file, prefix, by string }{
	{"README.md", "make demo", "CI"},
	{"README.md", "make test", "CI"},
	{"README.md", "go install ./cmd/modelgate", "TestInstallAsTheREADMESays"},
	{"README.md", "make dist ", "TestInstallAsTheREADMESays"},
	{"README.md", "cd dist", "TestInstallAsTheREADMESays"},
	{"README.md", "sha256sum -c", "TestInstallAsTheREADMESays"},
	{"README.md", "cosign verify-blob-attestation", "TestInstallAsTheREADMESays"},
	{"README.md", "tar xzf", "TestInstallAsTheREADMESays"},
	{"README.md", "modelgate_v0.1.0_linux_amd64/modelgate", "TestInstallAsTheREADMESays"},
	{"README.md", "modelgate --version", "TestInstallAsTheREADMESays"},
	{"README.md", "echo $?", "TestDemo"}, // the session's exit code, checked by runDocs
	{"docs/first-model.md", "", "TestFirstModelAsWritten"},
	// The reader's model's reference, built as the walkthrough builds it.
	{"docs/pipeline-author.md", `REF="fraud-scorer@$(modelgate digest ./model | cut -d' ' -f1)"`, "TestFirstModelAsWritten"},
	{"docs/platform-engineer.md", "openssl req ", "TestDocsCurlAdmissionReview"},
	{"docs/platform-engineer.md", "curl ", "TestDocsCurlAdmissionReview"},
	{"docs/platform-engineer.md", "cosign trusted-root create", "TestDocsTrustedRootCreate"},
	{"docs/compliance-officer.md", "slsa-verifier verify-vsa", "TestSLSAVerifierAcceptsOurVSA"},
	// OPA's bundle verification, through OPA's Go API: the code 'opa build
	// --verification-key' runs.
	{"docs/compliance-officer.md", "opa build --bundle bundle.tar.gz --verification-key", "TestSignedBundleVerifiesWithEitherAlgorithm"},
	{"docs/compliance-officer.md", "$EDITOR ", "TestDocsCommandsParse"}, // the reader's editor
}

// Every command line of every shell block in README.md and docs/ is run
// by a test: a modelgate line by runDocs (or, naming the reader's own
// values, parsed by TestDocsCommandsParse), any other by the test docRuns
// names, which exists.
func TestEveryDocBlockIsRun(t *testing.T) {
	root := testkit.RepoRoot()
	var tests strings.Builder
	for _, glob := range []string{"cmd/modelgate/*_test.go", "bundles/*_test.go"} {
		files, _ := filepath.Glob(filepath.Join(root, glob))
		for _, f := range files {
			raw, _ := os.ReadFile(f)
			tests.Write(raw)
		}
	}
	for _, r := range docRuns {
		if r.by != "CI" && !strings.Contains(tests.String(), "func "+r.by+"(t *testing.T)") {
			t.Errorf("docRuns names %s for %s %q: no such test", r.by, r.file, r.prefix)
		}
	}
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	prompt := regexp.MustCompile(`^\$ `)
	checked := 0
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		raw, _ := os.ReadFile(f)
		var blocks [][]string
		var cur []string
		in := false
		for _, l := range strings.Split(string(raw), "\n") {
			switch {
			case l == "```" && !in:
				in, cur = true, nil
			case strings.HasPrefix(l, "```") && !in:
				in, cur = true, []string{"#lang"}
			case strings.HasPrefix(l, "```"):
				in = false
				if len(cur) == 0 || cur[0] != "#lang" {
					blocks = append(blocks, cur)
				}
			case in:
				cur = append(cur, l)
			}
		}
		for _, b := range blocks {
			text := strings.ReplaceAll(strings.Join(b, "\n"), "\\\n", " ")
			lines := strings.Split(text, "\n")
			session := false
			for _, l := range lines {
				session = session || prompt.MatchString(l)
			}
			heredoc := ""
			for _, l := range lines {
				if heredoc != "" {
					if strings.TrimSpace(l) == heredoc {
						heredoc = ""
					}
					continue
				}
				if session && !prompt.MatchString(l) {
					continue // what the session prints
				}
				l = strings.TrimSpace(strings.TrimPrefix(l, "$ "))
				if l == "" || strings.HasPrefix(l, "#") {
					continue
				}
				if m := regexp.MustCompile(`<<'?([A-Z]+)'?`).FindStringSubmatch(l); m != nil {
					heredoc = m[1]
				}
				checked++
				if covered(rel, l) {
					continue
				}
				if strings.HasPrefix(l, "modelgate ") && rel != filepath.Join("docs", "first-model.md") {
					continue // runDocs runs it, or TestDocsCommandsParse parses it
				}
				t.Errorf("%s: %q: no test runs it; run it in one and name the test in docRuns", rel, l)
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d doc command lines seen", checked)
	}
}

func covered(file, line string) bool {
	for _, r := range docRuns {
		if filepath.FromSlash(r.file) == file && strings.HasPrefix(line, r.prefix) {
			return true
		}
	}
	return false
}

// docs/platform-engineer.md's 'cosign trusted-root create' line for a
// private Sigstore, run as written with the files it names (a Fulcio
// chain, Rekor's and the CT log's keys): the trusted root it writes is one
// 'bundle init --trusted-root' takes for a keyless signer.
func TestDocsTrustedRootCreate(t *testing.T) {
	cosign := testkit.Tool(t, "cosign")
	doc, _ := os.ReadFile(filepath.Join(testkit.RepoRoot(), "docs", "platform-engineer.md"))
	text := strings.ReplaceAll(string(doc), "\\\n", " ")
	line := ""
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "cosign trusted-root create") {
			line = l
		}
	}
	if line == "" {
		t.Fatal("docs/platform-engineer.md shows no 'cosign trusted-root create' line")
	}
	dir := t.TempDir()
	rootCert, rootKey, err := ca.GenerateRootCa()
	if err != nil {
		t.Fatal(err)
	}
	inter, _, err := ca.GenerateFulcioIntermediate(rootCert, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	var chain []byte
	for _, c := range []*x509.Certificate{inter, rootCert} {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	os.WriteFile(filepath.Join(dir, "fulcio.pem"), chain, 0o644)
	for _, name := range []string{"rekor.pub", "ctfe.pub"} {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
		os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)
	}
	cmd := exec.Command("bash", "-c", strings.Replace(line, "cosign ", cosign+" ", 1))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
	code, _, stderr := runCLI("bundle", "init", filepath.Join(dir, "policy"), "--trusted-root", filepath.Join(dir, "trusted_root.json"),
		"--signer", "ci=keyless:https://token.actions.githubusercontent.com:https://github.com/acme/churn/.github/workflows/train.yml@refs/heads/main:training")
	if code != 0 {
		t.Fatalf("bundle init with the trusted root cosign wrote: %s", stderr)
	}
}
