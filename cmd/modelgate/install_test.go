package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/testkit"
)

// fencedBlocks gives the shell blocks (``` fences without a language) of
// a document's section, from the heading from to the next heading of its
// level, each as one script.
func fencedBlocks(t *testing.T, file, from string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testkit.RepoRoot(), file))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	at := strings.Index(text, from+"\n")
	if at < 0 {
		t.Fatalf("%s has no section %q", file, from)
	}
	text = text[at+len(from):]
	level := strings.Fields(from)[0] + " "
	if end := strings.Index(text, "\n"+level); end >= 0 {
		text = text[:end]
	}
	var blocks []string
	var cur *strings.Builder
	for _, l := range strings.Split(text, "\n") {
		switch {
		case l == "```" && cur == nil:
			cur = &strings.Builder{}
		case l == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case strings.HasPrefix(l, "```") && cur == nil:
			cur = &strings.Builder{} // a block in another language: read, not run
			cur.WriteString("#lang\n")
		case cur != nil:
			cur.WriteString(l + "\n")
		}
	}
	var shell []string
	for _, b := range blocks {
		if !strings.HasPrefix(b, "#lang\n") {
			shell = append(shell, b)
		}
	}
	return shell
}

// The README's Install section, run as written: go install from the clone
// puts a modelgate on the PATH that says its version; make dist writes a
// reproducible archive whose checksum, SBOM and signed provenance check
// with sha256sum and cosign, and whose binary runs. A changed archive
// fails cosign's check.
func TestInstallAsTheREADMESays(t *testing.T) {
	cosign := testkit.Tool(t, "cosign")
	testkit.Tool(t, "cyclonedx-gomod")
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the README's archive is linux/amd64")
	}
	blocks := fencedBlocks(t, "README.md", "## Install")
	if len(blocks) != 2 {
		t.Fatalf("the Install section has %d shell blocks, want 2", len(blocks))
	}
	root := testkit.RepoRoot()
	bin := filepath.Join(t.TempDir(), "bin")
	run := func(script string, env ...string) string {
		t.Helper()
		cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", script)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), append([]string{"GOBIN=" + bin, "PATH=" + bin + ":" + filepath.Dir(cosign) + ":" + os.Getenv("PATH")}, env...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s\n%v\n%s", script, err, out)
		}
		return string(out)
	}
	if out := run(blocks[0]); !strings.HasPrefix(out, "modelgate ") {
		t.Fatalf("go install, then --version: %q", out)
	}

	t.Cleanup(func() { os.RemoveAll(filepath.Join(root, "dist")) })
	out := run(blocks[1])
	for _, want := range []string{"modelgate_v0.1.0_linux_amd64.tar.gz: OK", "modelgate_v0.1.0_linux_amd64.cdx.json: OK", "Verified OK", "modelgate v0.1.0\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("the release block does not print %q:\n%s", want, out)
		}
	}
	dist := filepath.Join(root, "dist")
	sbom, _ := os.ReadFile(filepath.Join(dist, "modelgate_v0.1.0_linux_amd64.cdx.json"))
	for _, want := range []string{`"bomFormat": "CycloneDX"`, `"pkg:golang/github.com/open-policy-agent/opa@v`, `"pkg:golang/github.com/transparency-dev/tessera@v1.0.4`} {
		if !bytes.Contains(sbom, []byte(want)) {
			t.Errorf("the SBOM lacks %s", want)
		}
	}
	first, _ := os.ReadFile(filepath.Join(dist, "modelgate_v0.1.0_linux_amd64.tar.gz"))
	// A changed archive does not pass.
	bad := filepath.Join(t.TempDir(), "modelgate_v0.1.0_linux_amd64.tar.gz")
	os.WriteFile(bad, append(bytes.Clone(first), 0), 0o644)
	cmd := exec.Command(cosign, "verify-blob-attestation", "--key", filepath.Join(dist, "dist.pub"), "--insecure-ignore-tlog", "--private-infrastructure",
		"--type", "slsaprovenance1", "--signature", filepath.Join(dist, "modelgate_v0.1.0_linux_amd64.tar.gz.intoto.json"), bad)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "no matching subject digest found") {
		t.Fatalf("cosign on a changed archive: %v %s", err, out)
	}
	// Reproducible: the same commit gives the same archive.
	again := t.TempDir()
	run("bash scripts/dist.sh", "DIST="+again, "VERSION=v0.1.0", "PLATFORMS=linux/amd64", "DIST_KEY="+filepath.Join(dist, "dist.key"))
	if second, _ := os.ReadFile(filepath.Join(again, "modelgate_v0.1.0_linux_amd64.tar.gz")); !bytes.Equal(first, second) {
		t.Fatalf("two builds of one commit give two archives (%d and %d bytes)", len(first), len(second))
	}
}
