package main

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/testkit"
)

// A compliance officer's round: init a bundle with signers, build and sign
// it, push it to a registry, and verify decides from it by reference,
// refusing it without the right key and refusing a tampered copy.
func TestBundleBuildSignPushVerify(t *testing.T) {
	r := newRun(t, "high")
	dir := filepath.Join(r.dir, "officer")
	var signerFlags []string
	for _, p := range r.p.Parties() {
		pub := filepath.Join(r.dir, p.ID+".pub")
		os.WriteFile(pub, p.PubPEM, 0o644)
		signerFlags = append(signerFlags, "--signer", p.ID+"="+pub+":"+p.Identity+":"+strings.Join(p.Roles, ","))
	}
	logPub := filepath.Join(r.dir, "ledger.pub")
	os.WriteFile(logPub, []byte(r.p.Ledger.VKey+"\n"), 0o644)
	signerFlags = append(signerFlags, "--signer", "log="+logPub+":"+r.p.Ledger.Origin+":ledger")
	code, out, stderr := runCLI(append([]string{"bundle", "init", dir}, signerFlags...)...)
	if code != 0 || !strings.Contains(out, "with 11 signer(s)") {
		t.Fatalf("init: exit %d %s %s", code, out, stderr)
	}
	if code, out, _ := runCLI("bundle", "test", "--min-coverage", "100", dir); code != 0 {
		t.Fatalf("the initialised bundle's tests: exit %d\n%s", code, out)
	}
	// fraud-scorer is a high-tier model in the built-in inventory; this
	// test promotes straight to production (the ledger's tests go through staging).
	os.WriteFile(filepath.Join(dir, "modelgate", "environments", "data.yaml"), []byte("staging: {}\nproduction: {}\n"), 0o644)

	officer := testkit.NewParty("officer", "ecdsa-p256")
	keyPath := officer.WriteKey(r.dir)
	officerPub := filepath.Join(r.dir, "officer.pub")
	os.WriteFile(officerPub, officer.PubPEM, 0o644)
	tarball := filepath.Join(r.dir, "bundle.tar.gz")
	code, out, stderr = runCLI("bundle", "build", dir, "--out", tarball, "--signing-key", keyPath, "--revision", "2026.11.1")
	if code != 0 || !strings.Contains(out, "(signed): revision 2026.11.1, digest sha256:") {
		t.Fatalf("build: exit %d %s %s", code, out, stderr)
	}
	if code, out, _ := runCLI("bundle", "verify", tarball, "--verification-key", officerPub); code != 0 || !strings.HasPrefix(out, "verified "+tarball+": revision 2026.11.1") {
		t.Fatalf("verify: exit %d %s", code, out)
	}
	stranger := testkit.NewParty("stranger", "ed25519")
	strangerPub := filepath.Join(r.dir, "stranger.pub")
	os.WriteFile(strangerPub, stranger.PubPEM, 0o644)
	if code, _, stderr := runCLI("bundle", "verify", tarball, "--verification-key", strangerPub); code != 1 || !strings.Contains(stderr, "no key verifies it") {
		t.Fatalf("a stranger's key: exit %d %s", code, stderr)
	}

	addr := testkit.StartRegistry(t)
	ref := "oci://" + addr + "/policies/modelgate:2026.11.1"
	if code, out, stderr := runCLI("bundle", "push", tarball, ref); code != 0 || !strings.Contains(out, "pushed "+tarball+" to "+ref+" (sha256:") {
		t.Fatalf("push: exit %d %s %s", code, out, stderr)
	}
	envs := r.p.Envelopes(nil)
	r.policy = ref
	code, d, stderr := r.verify(envs, "--policy-key", strangerPub, "--policy-key", officerPub, "--min-revision", "2026.11")
	if code != 0 || !d.Allow || d.Policy.URI != ref || d.Policy.Revision != "2026.11.1" {
		t.Fatalf("verify from the registry: exit %d %+v %s", code, d, stderr)
	}
	code, _, stderr = r.verify(envs, "--policy-key", strangerPub)
	undecided(t, code, stderr, "policy bundle "+ref+": bundle not verified: no key verifies it")
	code, _, stderr = r.verify(envs, "--min-revision", "2026.12")
	undecided(t, code, stderr, `has revision "2026.11.1", older than the minimum revision "2026.12"`)
}

// diff exits 0 when equal and 1 when not, naming what changed and how.
func TestBundleDiffThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	old, new := filepath.Join(dir, "old"), filepath.Join(dir, "new")
	pub := filepath.Join(dir, "gate.pub")
	os.WriteFile(pub, testkit.FixedParty("gate", "gate").PubPEM, 0o644)
	for _, d := range []string{old, new} {
		if code, _, stderr := runCLI("bundle", "init", d, "--signer", "gate="+pub+":gate@example.com:gate"); code != 0 {
			t.Fatal(stderr)
		}
	}
	if code, out, _ := runCLI("bundle", "diff", old, new); code != 0 || !strings.HasSuffix(out, "demand the same\n") {
		t.Fatalf("equal: exit %d %q", code, out)
	}
	path := filepath.Join(new, "modelgate", "thresholds", "data.yaml")
	data, _ := os.ReadFile(path)
	data = []byte(strings.Replace(string(data), "log_loss: {upper_bound: 0.4,", "log_loss: {upper_bound: 0.3,", 1))
	data = []byte(strings.Replace(string(data), "approvals: {production: 2, staging: 1}", "approvals: {production: 1, staging: 1}", 1))
	os.WriteFile(path, data, 0o644)
	os.WriteFile(filepath.Join(new, "modelgate", "tiers", "data.yaml"), []byte("default: high\ninventory:\n  fraud-scorer: medium\n  churn-model: medium\n  demo-model: medium\n  search-ranker: low\n"), 0o644)
	os.Remove(filepath.Join(new, "modelgate", "gates", "canary.rego"))
	os.RemoveAll(filepath.Join(new, "modelgate", "tests"))
	code, out, stderr := runCLI("bundle", "diff", old, new)
	for _, want := range []string{
		"TIGHTENED  threshold    tiers.high.metrics.log_loss.upper_bound: 0.4 → 0.3",
		"LOOSENED   threshold    tiers.high.approvals.production: 2 → 1",
		"LOOSENED   inventory    fraud-scorer tier: high → medium",
		"LOOSENED   gate         canary removed (MG-CANARY: Canary analysis passed, on its numbers): low,medium,high in production → (none)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q", want)
		}
	}
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s %s", code, out, stderr)
	}
	if code, _, stderr := runCLI("bundle", "diff", old, filepath.Join(dir, "missing")); code != 2 {
		t.Fatalf("a missing bundle: exit %d %s", code, stderr)
	}
}

// inspect --format html in a real browser: the stages, every gate and the signers.
func TestBundleInspectInARealBrowser(t *testing.T) {
	page := filepath.Join(t.TempDir(), "bundle.html")
	code, out, stderr := runCLI("bundle", "inspect", filepath.Join(testkit.RepoRoot(), "policies"), "--format", "html")
	if code != 0 {
		t.Fatal(stderr)
	}
	os.WriteFile(page, []byte(out), 0o644)
	doc := headless(t, page, filepath.Join(artefacts(t), "bundle-inspect.png"))
	stages := find(doc, func(n *html.Node) bool { return n.Data == "h2" && attr(n, "data-stage") != "" })
	if len(stages) != 6 {
		t.Fatalf("%d stages, want 2 environments × 3 tiers", len(stages))
	}
	rows := find(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-gate") == "canary" })
	if len(rows) != 3 {
		t.Fatalf("canary applies in %d stages, want 3 (every tier in production)", len(rows))
	}
	// The online gates: shadow in production for every tier, the
	// explanation and offline latency everywhere, each with its bar in words.
	for gate, want := range map[string]int{"shadow": 3, "explanation": 6, "latency": 6} {
		rows := find(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-gate") == gate })
		if len(rows) != want {
			t.Fatalf("%s applies in %d stages, want %d", gate, len(rows), want)
		}
	}
	shown := text(doc)
	for _, want := range []string{"MG-SHADOW", "agreeing with the champion on at least 95% of requests", "MG-EXPLAIN",
		"with none of region, gender, age, postcode among its top 2 features", "MG-LATENCY", "offline p99 latency in the evaluation at most 100 ms"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the inspect page lacks %q", want)
		}
	}
	if m := byID(doc, "metric-names"); m == nil || !strings.Contains(text(m), "auc_roc") {
		t.Fatal("no metric names")
	}
}

// inspect shows every Rego module and file in the browser; diff --format
// html labels each change, a CODE change among them, in the browser too.
func TestBundleDiffAndInspectFilesInARealBrowser(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(testkit.RepoRoot(), "policies")
	code, out, stderr := runCLI("bundle", "inspect", src, "--format", "html")
	if code != 0 {
		t.Fatal(stderr)
	}
	page := filepath.Join(dir, "inspect.html")
	os.WriteFile(page, []byte(out), 0o644)
	doc := headless(t, page, filepath.Join(artefacts(t), "bundle-inspect-files.png"))
	if mods := find(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-module") == "modelgate/conftest.rego" }); len(mods) != 1 || !strings.Contains(text(mods[0]), "data.main.deny") {
		t.Fatal("the conftest module and its deny rule are not shown")
	}
	if files := find(doc, func(n *html.Node) bool {
		return n.Data == "tr" && attr(n, "data-file") == "modelgate/thresholds/data.yaml"
	}); len(files) != 1 || !strings.Contains(text(files[0]), "sha256:") {
		t.Fatal("the thresholds file and its digest are not shown")
	}

	edited := filepath.Join(dir, "edited")
	os.CopyFS(edited, os.DirFS(src))
	th := filepath.Join(edited, "modelgate", "thresholds", "data.yaml")
	raw, _ := os.ReadFile(th)
	os.WriteFile(th, []byte(strings.Replace(string(raw), "approvals: {production: 2, staging: 1}", "approvals: {production: 1, staging: 1}", 1)), 0o644)
	os.WriteFile(filepath.Join(edited, "modelgate", "ops_freeze.rego"), []byte("package modelgate\n\nwaivers[\"MG-APPROVALS\"] contains \"ops-freeze\" if true\n"), 0o644)
	code, out, _ = runCLI("bundle", "diff", src, edited, "--format", "html")
	if code != 1 {
		t.Fatalf("diff: exit %d", code)
	}
	page = filepath.Join(dir, "diff.html")
	os.WriteFile(page, []byte(out), 0o644)
	doc = headless(t, page, filepath.Join(artefacts(t), "bundle-diff.png"))
	var kinds []string
	for _, n := range find(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-kind") != "" }) {
		var cells []string
		for _, td := range find(n, func(c *html.Node) bool { return c.Data == "td" }) {
			cells = append(cells, text(td))
		}
		kinds = append(kinds, attr(n, "data-kind")+": "+strings.Join(cells, " | "))
	}
	want := []string{
		"loosened: LOOSENED | threshold | tiers.high.approvals.production | 2 | 1",
		`code: CODE | code | rule data.modelgate.waivers["MG-APPROVALS"] added in modelgate/ops_freeze.rego; review the code: its effect is not judged here |  | `,
	}
	if strings.Join(kinds, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(kinds, "\n"), strings.Join(want, "\n"))
	}
	if s := byID(doc, "summary"); s == nil || text(s) != "2 change(s), 2 loosened or code" {
		t.Fatal("no summary")
	}
}

// dirBytes is every file of a directory and its bytes.
func dirBytes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			raw, _ := os.ReadFile(p)
			out[p] = string(raw)
		}
		return nil
	})
	return out
}

// Editing the trust list with a syntax that cannot be misread: an issuer
// with a port and a path in <…>, a subject with colons; a bare issuer
// followed by what reads as a port is refused, not guessed; a data.json
// trust list is edited as data.json; a refused edit leaves every byte of
// the bundle as it was.
func TestSignerEditsCannotBeMisread(t *testing.T) {
	r := newRun(t, "medium")
	ss := testkit.NewSigstore(t)
	root := filepath.Join(r.dir, "trusted_root.json")
	os.WriteFile(root, ss.TrustedRoot, 0o644)
	trustDir := filepath.Join(r.policy, "modelgate", "trust")
	// The trust list kept as data.json.
	os.Rename(filepath.Join(trustDir, "data.yaml"), filepath.Join(trustDir, "data.json"))
	before := dirBytes(t, r.policy)
	refused := func(want string, args ...string) {
		t.Helper()
		code, _, stderr := runCLI(append([]string{"bundle", "signer"}, args...)...)
		undecided(t, code, stderr, want)
		if after := dirBytes(t, r.policy); !maps.Equal(after, before) {
			t.Fatalf("a refused edit (%v) changed the bundle", args)
		}
	}
	refused(`"8443" may be the issuer's port or the start of the subject: write the issuer as <https://sso.corp.example:8443…>`,
		"add", r.policy, "--signer", "sso=keyless:https://sso.corp.example:8443:alice@corp.example:approver", "--trusted-root", root)
	refused("nothing changed: policy bundle "+r.policy+": trust: keyless signers are verified against a Sigstore trusted root",
		"add", r.policy, "--signer", "sso=keyless:<https://sso.corp.example:8443/realms/acme>:repo:acme/churn:ref:refs/heads/main:approver")
	refused(`unknown role "aprover"`, "add", r.policy, "--signer", "sso=keyless:<https://sso.corp.example:8443>:alice:aprover")
	refused("--signer nobody: "+r.policy+" trusts no signer of that id", "remove", r.policy, "--signer", "nobody")

	code, out, stderr := runCLI("bundle", "signer", "add", r.policy, "--signer", "sso=keyless:<https://sso.corp.example:8443/realms/acme>:repo:acme/churn:ref:refs/heads/main:approver", "--trusted-root", root)
	if code != 0 || !strings.Contains(out, "now trusts") {
		t.Fatalf("add: exit %d %s %s", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(trustDir, "data.yaml")); err == nil {
		t.Fatal("the edit wrote a data.yaml beside the data.json trust list")
	}
	b, err := bundles.Load(r.policy)
	if err != nil {
		t.Fatal(err)
	}
	signers, _ := b.Signers()
	var sso *bundles.Signer
	for i := range signers {
		if signers[i].ID == "sso" {
			sso = &signers[i]
		}
	}
	if sso == nil || sso.Keyless.Issuer != "https://sso.corp.example:8443/realms/acme" || sso.Keyless.Subject != "repo:acme/churn:ref:refs/heads/main" {
		t.Fatalf("the signer as written: %+v", sso)
	}
	if code, out, _ := runCLI("bundle", "signer", "remove", r.policy, "--signer", "sso"); code != 0 || !strings.Contains(out, "now trusts") {
		t.Fatalf("remove: %s", out)
	}
	if _, err := os.Stat(filepath.Join(trustDir, "data.yaml")); err == nil {
		t.Fatal("the removal wrote a data.yaml")
	}
}

// The built-in bundle, which trusts nobody, still builds (it decides
// nothing); build refuses only a trust list that would not load.
func TestBuiltInBundleBuilds(t *testing.T) {
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	if code, o, stderr := runCLI("bundle", "build", filepath.Join(testkit.RepoRoot(), "policies"), "--out", out); code != 0 || !strings.HasPrefix(o, "built "+out+" (unsigned)") {
		t.Fatalf("exit %d %s %s", code, o, stderr)
	}
}
