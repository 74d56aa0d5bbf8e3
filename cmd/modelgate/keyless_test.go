package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	godigest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"
	"sigs.k8s.io/yaml"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/testkit"
)

const trainWorkflow = "https://github.com/acme/churn/.github/workflows/train.yml@refs/heads/main"

// A CI job signs its evaluation keylessly (a Fulcio certificate for its
// OIDC identity, logged in Rekor, in a Sigstore bundle): the bundle trusts
// that identity through 'bundle signer add ID=keyless:…', carries the
// Sigstore trusted root, and verify allows the model on it, from --evidence
// and from the store alike.
func TestKeylessEvidenceEndToEnd(t *testing.T) {
	r := newRun(t, "medium")
	ss := testkit.NewSigstore(t)
	trustKeyless(t, r, ss, "ci", "evaluation")
	data, _ := os.ReadFile(filepath.Join(r.policy, "modelgate", "trust", "data.yaml"))
	if !strings.Contains(string(data), "sct_threshold: 0") || !strings.Contains(string(data), "issuer: "+testkit.GitHubIssuer) {
		t.Fatalf("the trust list lost or lacks something:\n%s", data)
	}
	envs := r.p.Envelopes(nil)
	delete(envs, "evaluation")
	envs["evaluation-keyless"] = ss.Attest(t, trainWorkflow, testkit.GitHubIssuer, r.p.Subject, "evaluation", r.p.Predicates()["evaluation"], testkit.Options{})
	code, d, stderr := r.verify(envs)
	if code != 0 || !d.Allow {
		t.Fatalf("keyless evaluation: exit %d %s %v", code, stderr, failing(d))
	}
	found := false
	for _, e := range d.Evidence {
		if e.Type == "https://modelgate.dev/attestation/evaluation/v1" && e.SignerID == "ci" && e.Signer == trainWorkflow {
			found = true
		}
	}
	if !found {
		t.Fatalf("the keyless evaluation is not in the decision as ci's: %+v", d.Evidence)
	}

	// The same bundle from the store.
	path := filepath.Join(r.dir, "keyless.json")
	os.WriteFile(path, envs["evaluation-keyless"], 0o644)
	store := "dir:" + filepath.Join(r.dir, "store")
	if code, _, stderr := runCLI("evidence", "add", "--store", store, path); code != 0 {
		t.Fatalf("evidence add: %s", stderr)
	}
	delete(envs, "evaluation-keyless")
	if code, d, stderr := r.verify(envs); code != 0 || !d.Allow {
		t.Fatalf("keyless evaluation from the store: exit %d %s %v", code, stderr, failing(d))
	}

	// Another workflow of the same repository is nobody the bundle trusts.
	envs["evaluation-keyless"] = ss.Attest(t, strings.Replace(trainWorkflow, "train.yml", "other.yml", 1), testkit.GitHubIssuer, r.p.Subject, "evaluation", r.p.Predicates()["evaluation"], testkit.Options{})
	os.RemoveAll(filepath.Join(r.dir, "store"))
	r.p.Ledger.Init(filepath.Join(r.dir, "store", "tlog")) // the ledger went with the store
	runCLI("evidence", "add", "--store", store, filepath.Join(r.dir, "training.json"))
	code, d, _ = r.verify(envs)
	if code != 1 || d.Allow || !strings.Contains(rejectedReasons(d), "matches no keyless signer in the trust list") {
		t.Fatalf("another workflow: exit %d %v", code, rejectedReasons(d))
	}

	// A Sigstore bundle about a subject without a sha256 is refused, saying so.
	sha1 := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"fraud-scorer","digest":{"sha1":"` + strings.Repeat("a", 40) + `"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`
	envs["evaluation-keyless"] = ss.AttestStatement(t, trainWorkflow, testkit.GitHubIssuer, []byte(sha1), testkit.Options{})
	_, d, _ = r.verify(envs)
	if !strings.Contains(rejectedReasons(d), "subject has only weak digests (md5/sha1); a sha256 digest is required") {
		t.Fatalf("sha1 subject: %v", rejectedReasons(d))
	}

	// inspect names the keyless signer by what it trusts.
	code, out, _ := runCLI("bundle", "inspect", r.policy)
	if code != 0 || !strings.Contains(out, "keyless: issuer "+testkit.GitHubIssuer+", subject "+trainWorkflow) {
		t.Fatalf("inspect:\n%s", out)
	}
}

// rejectedReasons joins the reasons of a decision's rejected envelopes.
func rejectedReasons(d *decision.Decision) string {
	if d == nil {
		return ""
	}
	var out []string
	for _, r := range d.Rejected {
		out = append(out, r.Reason)
	}
	return strings.Join(out, "; ")
}

// SLSA provenance about the model's digest, signed by a training signer,
// is shown in the decision: builder, source, run. It is not required.
func TestProvenanceShownInTheDecision(t *testing.T) {
	r := newRun(t, "medium")
	envs := r.p.Envelopes(nil)
	envs["provenance"] = r.p.Training.Sign(r.p.Subject, "https://slsa.dev/provenance/v1", map[string]any{
		"buildDefinition": map[string]any{"buildType": "https://actions.github.io/buildtypes/workflow/v1",
			"externalParameters":   map[string]any{"workflow": map[string]any{"repository": "https://github.com/acme/churn", "ref": "refs/heads/main", "path": ".github/workflows/train.yml"}},
			"resolvedDependencies": []any{map[string]any{"uri": "git+https://github.com/acme/churn@refs/heads/main", "digest": map[string]any{"gitCommit": "9b2f0c8e"}}}},
		"runDetails": map[string]any{"builder": map[string]any{"id": "https://github.com/actions/runner/github-hosted"},
			"metadata": map[string]any{"invocationId": "https://github.com/acme/churn/actions/runs/42/attempts/1"}},
	})
	code, d, stderr := r.verify(envs)
	if code != 0 || len(d.Provenance) != 1 || d.Provenance[0].Builder != "https://github.com/actions/runner/github-hosted" ||
		d.Provenance[0].Source != "git+https://github.com/acme/churn@refs/heads/main@gitCommit:9b2f0c8e" || d.Provenance[0].Run != "https://github.com/acme/churn/actions/runs/42/attempts/1" {
		t.Fatalf("exit %d %s %+v", code, stderr, d)
	}
	code, d, _ = r.verify(r.p.Envelopes(nil))
	if code != 0 || len(d.Provenance) != 0 {
		t.Fatalf("without provenance: exit %d %+v", code, d.Provenance)
	}
}

// An OpenSSF model signature over a generated model directory, key-signed
// and keyless: verify --subject DIR accepts it where the tier requires one,
// and rejects it, naming the file, when one byte changed, a file was added
// or one removed.
func TestModelSignatures(t *testing.T) {
	r := newRun(t, "medium")
	ss := testkit.NewSigstore(t)
	trustKeyless(t, r, ss, "release", "training")
	// The medium tier requires the signature.
	th := filepath.Join(r.policy, "modelgate", "thresholds", "data.yaml")
	raw, _ := os.ReadFile(th)
	os.WriteFile(th, []byte(strings.Replace(string(raw), "  medium:\n", "  medium:\n    signature: {required: true}\n", 1)), 0o644)

	model := filepath.Join(r.dir, "fraud-scorer")
	os.MkdirAll(filepath.Join(model, "tokenizer"), 0o755)
	os.WriteFile(filepath.Join(model, "weights.bin"), []byte("the weights"), 0o644)
	os.WriteFile(filepath.Join(model, "config.json"), []byte(`{"threshold": 0.5}`), 0o644)
	os.WriteFile(filepath.Join(model, "tokenizer", "vocab.txt"), []byte("a\nb\n"), 0o644)
	statement := testkit.ModelSignatureStatement(t, model)

	// The pipeline's evidence is about the directory's digest as it is now.
	verifyDir := func(sig []byte) (int, *decision.Decision, string) {
		code, out, stderr := runCLI("digest", model, "--format", "json")
		if code != 0 {
			t.Fatal(stderr)
		}
		p := *r.p
		p.Subject.SHA256 = out[strings.Index(out, `"sha256": "`)+11:][:64]
		envs := p.Envelopes(nil)
		args := []string{"verify", "--subject", model, "--env", "production", "--policy", r.policy, "--store", "dir:" + filepath.Join(r.dir, "store"), "--format", "json"}
		for name, e := range envs {
			path := filepath.Join(r.dir, name+".json")
			os.WriteFile(path, e, 0o644)
			args = append(args, "--evidence", path)
		}
		if sig != nil {
			path := filepath.Join(r.dir, "model.sig")
			os.WriteFile(path, sig, 0o644)
			args = append(args, "--evidence", path)
		}
		var o, e bytes.Buffer
		code = execute(args, &o, &e)
		d, _ := decision.Parse(o.Bytes())
		return code, d, e.String()
	}
	if code, d, stderr := verifyDir(nil); code != 1 || len(failing(d)) != 1 || !strings.HasPrefix(failing(d)[0], "signed: no model signature over the model's files") {
		t.Fatalf("without a signature: exit %d %v %s", code, failing(d), stderr)
	}
	for name, sig := range map[string][]byte{
		"key-signed": r.p.Training.KeySignedBundle(statement),
		"keyless":    ss.AttestStatement(t, trainWorkflow, testkit.GitHubIssuer, statement, testkit.Options{}),
	} {
		code, d, stderr := verifyDir(sig)
		if code != 0 || !d.Allow {
			t.Fatalf("%s: exit %d %s %v %s", name, code, stderr, failing(d), rejectedReasons(d))
		}
	}

	// One byte changed, one file added, one removed: each named.
	sig := r.p.Training.KeySignedBundle(statement)
	for _, c := range []struct {
		edit func()
		undo func()
		want string
	}{
		{func() { os.WriteFile(filepath.Join(model, "weights.bin"), []byte("the weighTs"), 0o644) },
			func() { os.WriteFile(filepath.Join(model, "weights.bin"), []byte("the weights"), 0o644) },
			"model signature does not match the model's files: changed: weights.bin"},
		{func() { os.WriteFile(filepath.Join(model, "extra.py"), []byte("import os"), 0o644) },
			func() { os.Remove(filepath.Join(model, "extra.py")) },
			"model signature does not match the model's files: not signed (added): extra.py"},
		{func() { os.Remove(filepath.Join(model, "tokenizer", "vocab.txt")) },
			func() { os.WriteFile(filepath.Join(model, "tokenizer", "vocab.txt"), []byte("a\nb\n"), 0o644) },
			"model signature does not match the model's files: missing (removed): tokenizer/vocab.txt"},
	} {
		c.edit()
		_, d, stderr := verifyDir(sig)
		if d == nil || d.Allow || !strings.Contains(rejectedReasons(d), c.want) {
			t.Errorf("want %q; got %s %s", c.want, rejectedReasons(d), stderr)
		}
		c.undo()
	}
}

// In a registry, a Sigstore bundle is stored as cosign stores one (a
// referrer whose artifact type is the bundle's media type), and one that
// cosign pushed is read back as evidence.
func TestSigstoreBundlesInARegistry(t *testing.T) {
	r := newRun(t, "medium")
	ss := testkit.NewSigstore(t)
	trustKeyless(t, r, ss, "ci", "evaluation")
	reg := testkit.StartRegistry(t)
	store := "oci://" + reg + "/models/evidence"
	t.Setenv("MODELGATE_LEDGER", "dir:"+filepath.Join(r.dir, "store", "tlog")) // a registry store keeps no ledger
	envs := r.p.Envelopes(nil)
	delete(envs, "evaluation")
	for name, e := range envs {
		path := filepath.Join(r.dir, name+".json")
		os.WriteFile(path, e, 0o644)
		if code, _, stderr := runCLI("evidence", "add", "--store", store, path); code != 0 {
			t.Fatal(stderr)
		}
	}
	bundle := ss.Attest(t, trainWorkflow, testkit.GitHubIssuer, r.p.Subject, "evaluation", r.p.Predicates()["evaluation"], testkit.Options{})
	verify := func() (int, string) {
		code, out, stderr := runCLI("verify", "--subject", r.p.Subject.String(), "--env", "production", "--policy", r.policy, "--store", store)
		return code, out + stderr
	}
	// Without the keyless evaluation: denied.
	if code, out := verify(); code != 1 {
		t.Fatalf("without the evaluation: exit %d %s", code, out)
	}

	// As cosign pushes it: a referrer of the bundle's media type, no tag of ours.
	repo, err := remote.NewRepository(reg + "/models/evidence")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	const bundleType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	blob := content.NewDescriptorFromBytes(bundleType, bundle)
	if err := repo.Blobs().Push(t.Context(), blob, bytes.NewReader(bundle)); err != nil {
		t.Fatal(err)
	}
	subject := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: godigest.NewDigestFromEncoded(godigest.SHA256, r.p.Subject.SHA256)}
	if _, err := oras.PackManifest(t.Context(), repo, oras.PackManifestVersion1_1, bundleType, oras.PackManifestOptions{Subject: &subject, Layers: []ocispec.Descriptor{blob}}); err != nil {
		t.Fatal(err)
	}
	if code, out := verify(); code != 0 {
		t.Fatalf("with cosign's referrer: exit %d %s", code, out)
	}

	// evidence add stores one the same way.
	other := ss.Attest(t, trainWorkflow, testkit.GitHubIssuer, r.p.Subject, "explanation", r.p.Predicates()["explanation"], testkit.Options{})
	path := filepath.Join(r.dir, "explanation.sigstore.json")
	os.WriteFile(path, other, 0o644)
	if code, _, stderr := runCLI("evidence", "add", "--store", store, path); code != 0 {
		t.Fatal(stderr)
	}
	var types []string
	repo.Referrers(t.Context(), subject, bundleType, func(refs []ocispec.Descriptor) error {
		for _, r := range refs {
			types = append(types, r.ArtifactType)
		}
		return nil
	})
	if len(types) != 2 {
		t.Fatalf("referrers of the bundle type: %v", types)
	}
}

// trustSigstore gives a bundle directory the virtual Sigstore's trusted
// root, whose Fulcio embeds no SCTs (so the bundle asks for none), and lets
// edit change the rest of its trust list.
func trustSigstore(policy string, ss *testkit.Sigstore, edit func(trust map[string]any)) {
	trustDir := filepath.Join(policy, "modelgate", "trust")
	os.WriteFile(filepath.Join(trustDir, "trusted_root.json"), ss.TrustedRoot, 0o644)
	var trust map[string]any
	raw, _ := os.ReadFile(filepath.Join(trustDir, "data.yaml"))
	yaml.Unmarshal(raw, &trust)
	trust["sigstore"] = map[string]any{"sct_threshold": 0}
	if edit != nil {
		edit(trust)
	}
	raw, _ = yaml.Marshal(trust)
	os.WriteFile(filepath.Join(trustDir, "data.yaml"), raw, 0o644)
}

// trustKeyless makes the run's bundle trust trainWorkflow's keyless
// identity in role, with the virtual Sigstore's trusted root, whose Fulcio
// embeds no SCTs (so the bundle asks for none).
func trustKeyless(t *testing.T, r *pipelineRun, ss *testkit.Sigstore, id, role string) {
	t.Helper()
	trustSigstore(r.policy, ss, nil)
	if code, _, stderr := runCLI("bundle", "signer", "add", r.policy, "--signer", id+"=keyless:"+testkit.GitHubIssuer+":"+trainWorkflow+":"+role); code != 0 {
		t.Fatalf("signer add: %s", stderr)
	}
}

// People approve with their SSO identity: one trust-list entry with a
// subject pattern admits each person as their own approver; one person
// under two spellings counts once; and the identity that signed training
// may not approve it.
func TestKeylessApprovals(t *testing.T) {
	r := newRun(t, "high")
	ss := testkit.NewSigstore(t)
	const sso = "https://accounts.google.com"
	trustSigstore(r.policy, ss, func(trust map[string]any) {
		trust["signers"] = append(trust["signers"].([]any), map[string]any{"id": "people", "identity": "acme people", "roles": []string{"approver", "training"},
			"keyless": map[string]any{"issuer": sso, "subject_regexp": `(?i)[a-z]+@acme\.com`}})
	})

	preds := r.p.Predicates()
	approve := func(who string) []byte {
		return ss.Attest(t, who, sso, r.p.Subject, "approval", preds["approval-alice"], testkit.Options{})
	}
	run := func(edit func(map[string][]byte)) (int, *decision.Decision, string) {
		envs := r.p.Envelopes(nil)
		delete(envs, "approval-alice")
		delete(envs, "approval-bob")
		edit(envs)
		return r.verify(envs)
	}
	code, d, stderr := run(func(e map[string][]byte) { e["a1"], e["a2"] = approve("alice@acme.com"), approve("bob@acme.com") })
	if code != 0 || !d.Allow {
		t.Fatalf("two people: exit %d %s %v %s", code, stderr, failing(d), rejectedReasons(d))
	}
	code, d, _ = run(func(e map[string][]byte) { e["a1"], e["a2"] = approve("alice@acme.com"), approve("ALICE@acme.com") })
	if code != 1 || !strings.Contains(strings.Join(failing(d), " "), "2 approval(s) for production from distinct approvers needed, 1 counted") {
		t.Fatalf("one person twice: exit %d %v", code, failing(d))
	}
	code, d, _ = run(func(e map[string][]byte) {
		e["training"] = ss.Attest(t, "alice@acme.com", sso, r.p.Subject, "training", preds["training"], testkit.Options{})
		e["a1"], e["a2"] = approve("alice@acme.com"), approve("bob@acme.com")
	})
	if code != 1 || !strings.Contains(strings.Join(failing(d), " "), "(self-approval by alice@acme.com, who signed training or evaluation)") {
		t.Fatalf("self-approval: exit %d %v", code, failing(d))
	}
}

// A bundle that trusts a keyless signer, with the trusted root given to
// 'bundle signer add --trusted-root', built and signed, pushed to a
// registry and read back with --policy-key, still trusts it: the trusted
// root travels under the bundle's signature, and the keyless evaluation
// counts. A bundle without a root says what is missing and how to add it.
func TestSignedBundleCarriesItsTrustedRoot(t *testing.T) {
	r := newRun(t, "high")
	ss := testkit.NewSigstore(t)
	trustDir := filepath.Join(r.policy, "modelgate", "trust")
	var trust map[string]any
	raw, _ := os.ReadFile(filepath.Join(trustDir, "data.yaml"))
	yaml.Unmarshal(raw, &trust)
	trust["sigstore"] = map[string]any{"sct_threshold": 0} // the virtual Fulcio embeds no SCTs
	data, _ := yaml.Marshal(trust)
	os.WriteFile(filepath.Join(trustDir, "data.yaml"), data, 0o644)
	signer := "ci=keyless:" + testkit.GitHubIssuer + ":" + trainWorkflow + ":evaluation"
	code, _, stderr := runCLI("bundle", "signer", "add", r.policy, "--signer", signer)
	undecided(t, code, stderr, "nothing changed: policy bundle "+r.policy+": trust: keyless signers are verified against a Sigstore trusted root, and the bundle carries none", "'modelgate bundle signer add DIR --trusted-root FILE'")
	if _, err := os.Stat(filepath.Join(trustDir, "trusted_root.json")); err == nil {
		t.Fatal("a refused edit left a trusted root behind")
	}
	if after, _ := os.ReadFile(filepath.Join(trustDir, "data.yaml")); !bytes.Equal(after, data) {
		t.Fatal("a refused edit changed the trust list")
	}
	root := filepath.Join(r.dir, "trusted_root.json")
	os.WriteFile(root, ss.TrustedRoot, 0o644)
	if code, out, stderr := runCLI("bundle", "signer", "add", r.policy, "--signer", signer, "--trusted-root", root); code != 0 || !strings.Contains(out, "now trusts") {
		t.Fatalf("signer add --trusted-root: exit %d %s %s", code, out, stderr)
	}
	officer := testkit.NewParty("officer", "ecdsa-p256")
	officerPub := filepath.Join(r.dir, "officer.pub")
	os.WriteFile(officerPub, officer.PubPEM, 0o644)
	tarball := filepath.Join(r.dir, "bundle.tar.gz")
	if code, out, stderr := runCLI("bundle", "build", r.policy, "--out", tarball, "--signing-key", officer.WriteKey(r.dir), "--revision", "2026.12.1"); code != 0 {
		t.Fatalf("build: %s %s", out, stderr)
	}
	addr := testkit.StartRegistry(t)
	ref := "oci://" + addr + "/policies/modelgate:2026.12.1"
	if code, out, stderr := runCLI("bundle", "push", tarball, ref); code != 0 {
		t.Fatalf("push: %s %s", out, stderr)
	}
	envs := r.p.Envelopes(nil)
	delete(envs, "evaluation")
	envs["evaluation-keyless"] = ss.Attest(t, trainWorkflow, testkit.GitHubIssuer, r.p.Subject, "evaluation", r.p.Predicates()["evaluation"], testkit.Options{})
	for _, policy := range []string{tarball, ref} {
		r.policy = policy
		code, d, stderr := r.verify(envs, "--policy-key", officerPub)
		if code != 0 || !d.Allow {
			t.Fatalf("%s: exit %d %s %v", policy, code, stderr, failing(d))
		}
		counted := false
		for _, e := range d.Evidence {
			counted = counted || e.Signer == trainWorkflow && strings.HasSuffix(e.Type, "/evaluation/v1")
		}
		if !counted {
			t.Fatalf("%s: the keyless evaluation does not count: %+v", policy, d.Evidence)
		}
	}
}

// A subject pattern that does not compile as it is matched is refused when
// the trust list is edited and when the bundle is built or loaded, with its
// error: never a crash.
func TestSubjectPatternThatDoesNotCompile(t *testing.T) {
	r := newRun(t, "high")
	ss := testkit.NewSigstore(t)
	trustSigstore(r.policy, ss, func(trust map[string]any) {
		trust["signers"] = append(trust["signers"].([]any), map[string]any{"id": "people", "identity": "acme people", "roles": []string{"approver"},
			"keyless": map[string]any{"issuer": "https://accounts.google.com", "subject_regexp": `\Qalice@corp.example`}})
	})
	want := `subject_regexp "\\Qalice@corp.example" does not compile anchored as ^(?:…)$`
	code, _, stderr := runCLI("bundle", "build", r.policy, "--out", filepath.Join(r.dir, "b.tar.gz"))
	undecided(t, code, stderr, want)
	code, _, stderr = r.verify(r.p.Envelopes(nil))
	undecided(t, code, stderr, want)
}

// Exclusions as OMS v1.0 says (§6.2): the signature file, where
// model_signing writes it (in the model's folder), is left out; default
// exclusions are top-level only; an ignore path is an exact relative path,
// so a file of that name added under 1/ is not ignored and is refused.
func TestModelSignatureExclusions(t *testing.T) {
	r := newRun(t, "medium")
	th := filepath.Join(r.policy, "modelgate", "thresholds", "data.yaml")
	raw, _ := os.ReadFile(th)
	os.WriteFile(th, []byte(strings.Replace(string(raw), "  medium:\n", "  medium:\n    signature: {required: true}\n", 1)), 0o644)
	model := filepath.Join(r.dir, "fraud-scorer")
	for name, body := range map[string]string{"weights.bin": "w", "config.json": "{}", "1/weights.bin": "w1", "cache/tmp": "scratch", ".git/HEAD": "ref"} {
		os.MkdirAll(filepath.Dir(filepath.Join(model, name)), 0o755)
		os.WriteFile(filepath.Join(model, name), []byte(body), 0o644)
	}
	sig := r.p.Training.KeySignedBundle(testkit.ModelSignatureStatementIgnoring(t, model, []string{"cache"}))
	// model_signing writes the signature into the model's folder.
	os.WriteFile(filepath.Join(model, "model.sig"), sig, 0o644)
	verifyDir := func() (int, *decision.Decision, string) {
		code, out, stderr := runCLI("digest", model, "--format", "json")
		if code != 0 {
			t.Fatal(stderr)
		}
		p := *r.p
		p.Subject.SHA256 = out[strings.Index(out, `"sha256": "`)+11:][:64]
		args := []string{"verify", "--subject", model, "--env", "production", "--policy", r.policy, "--store", "dir:" + filepath.Join(r.dir, "store"), "--format", "json",
			"--evidence", filepath.Join(model, "model.sig")}
		for name, e := range p.Envelopes(nil) {
			path := filepath.Join(r.dir, name+".json")
			os.WriteFile(path, e, 0o644)
			args = append(args, "--evidence", path)
		}
		var o, e bytes.Buffer
		code = execute(args, &o, &e)
		d, _ := decision.Parse(o.Bytes())
		return code, d, e.String()
	}
	if code, d, stderr := verifyDir(); code != 0 || !d.Allow {
		t.Fatalf("the signature in the model's folder, cache/ ignored, .git left out: exit %d %s %v %s", code, stderr, failing(d), rejectedReasons(d))
	}
	for _, c := range []struct{ add, want string }{
		{"1/cache", "model signature does not match the model's files: not signed (added): 1/cache"},
		{"1/.git/HEAD", "model signature does not match the model's files: not signed (added): 1/.git/HEAD"},
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(model, c.add)), 0o755)
		os.WriteFile(filepath.Join(model, c.add), []byte("unsigned"), 0o644)
		_, d, stderr := verifyDir()
		if d == nil || d.Allow || !strings.Contains(rejectedReasons(d), c.want) {
			t.Errorf("%s: want %q; got %s %s", c.add, c.want, rejectedReasons(d), stderr)
		}
		os.RemoveAll(filepath.Join(model, c.add))
		os.Remove(filepath.Join(model, "1", ".git"))
	}
}

// 'modelgate sign' writes an OMS v1.0 model signature that the
// specification's schemas accept and verify counts; 'digest --format oms'
// prints the root it signs.
func TestSignAModel(t *testing.T) {
	r := newRun(t, "medium")
	th := filepath.Join(r.policy, "modelgate", "thresholds", "data.yaml")
	raw, _ := os.ReadFile(th)
	os.WriteFile(th, []byte(strings.Replace(string(raw), "  medium:\n", "  medium:\n    signature: {required: true}\n", 1)), 0o644)
	model := filepath.Join(r.dir, "fraud-scorer")
	for name, body := range map[string]string{"weights.bin": "w", "config.json": "{}", "1/weights.bin": "w1", ".git/HEAD": "ref"} {
		os.MkdirAll(filepath.Dir(filepath.Join(model, name)), 0o755)
		os.WriteFile(filepath.Join(model, name), []byte(body), 0o644)
	}
	code, root, stderr := runCLI("digest", model, "--format", "oms")
	if code != 0 || !strings.HasSuffix(root, " (OMS v1.0 root over 3 file(s))\n") {
		t.Fatalf("digest --format oms: exit %d %s %s", code, root, stderr)
	}
	sig := filepath.Join(model, "model.sig")
	code, out, stderr := runCLI("sign", model, "--key", r.p.Training.WriteKey(r.dir), "--out", sig)
	if code != 0 || !strings.HasPrefix(out, "signed 3 file(s) of "+model+" (root "+strings.Fields(root)[0]+") into "+sig) {
		t.Fatalf("sign: exit %d %s %s", code, out, stderr)
	}
	data, _ := os.ReadFile(sig)
	if err := attest.CheckOMSBundle(data); err != nil {
		t.Fatalf("the signature against the OMS v1.0 schemas: %v", err)
	}
	args := r.modelArgs(model, "--format", "json", "--evidence", sig)
	var o, e bytes.Buffer
	code = execute(args, &o, &e)
	d, _ := decision.Parse(o.Bytes())
	if code != 0 || d == nil || !d.Allow {
		t.Fatalf("verify with the signature: exit %d %s %v %s", code, e.String(), failing(d), rejectedReasons(d))
	}
	code, _, stderr = runCLI("sign", model, "--key", r.p.Training.WriteKey(r.dir), "--ignore-paths", "../etc")
	undecided(t, code, stderr, `--ignore-paths "../etc": give a path relative to the model root`)

	// Given to 'evidence add' with the model's folder, the signature is
	// found again by the model's digest: verify needs no --evidence for it.
	other := filepath.Join(r.dir, "other-model")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "weights.bin"), []byte("other"), 0o644)
	code, _, stderr = runCLI("evidence", "add", "--store", "dir:"+filepath.Join(r.dir, "store"), "--model", other, sig)
	undecided(t, code, stderr, sig+": not stored: model signature does not match the model's files")
	if code, out, stderr := runCLI("evidence", "add", "--store", "dir:"+filepath.Join(r.dir, "store"), "--model", model, sig); code != 0 || !strings.Contains(out, "added") {
		t.Fatalf("evidence add --model: exit %d %s %s", code, out, stderr)
	}
	i := slices.Index(args, sig)
	without := slices.Delete(slices.Clone(args), i-1, i+1) // "--evidence", sig
	o.Reset()
	e.Reset()
	code = execute(without, &o, &e)
	d, _ = decision.Parse(o.Bytes())
	if code != 0 || d == nil || !d.Allow {
		t.Fatalf("verify with the signature from the store: exit %d %s", code, e.String())
	}
}

// Signatures written by model_signing before v1.1.0 verify as they are
// (OMS v1.0 §11): the key given as publicKey.rawBytes, the signature's
// keyid null, no ignore_paths.
func TestModelSignatureEarlierProducers(t *testing.T) {
	r := newRun(t, "medium")
	th := filepath.Join(r.policy, "modelgate", "thresholds", "data.yaml")
	raw, _ := os.ReadFile(th)
	os.WriteFile(th, []byte(strings.Replace(string(raw), "  medium:\n", "  medium:\n    signature: {required: true}\n", 1)), 0o644)
	model := filepath.Join(r.dir, "fraud-scorer")
	os.MkdirAll(filepath.Join(model, "1"), 0o755)
	os.WriteFile(filepath.Join(model, "weights.bin"), []byte("w"), 0o644)
	os.WriteFile(filepath.Join(model, "1", "weights.bin"), []byte("w1"), 0o644)
	var st map[string]any
	json.Unmarshal(testkit.ModelSignatureStatementIgnoring(t, model, nil), &st)
	delete(st["predicate"].(map[string]any)["serialization"].(map[string]any), "ignore_paths")
	st["subject"].([]any)[0].(map[string]any)["name"] = "model" // as some versions hardcoded it
	statement, _ := json.Marshal(st)
	var env map[string]any
	json.Unmarshal(r.p.Training.SignStatement(statement), &env)
	env["signatures"].([]any)[0].(map[string]any)["keyid"] = nil
	bundle, _ := json.Marshal(map[string]any{
		"mediaType":            "application/vnd.dev.sigstore.bundle.v0.3+json",
		"verificationMaterial": map[string]any{"publicKey": map[string]any{"rawBytes": base64.StdEncoding.EncodeToString(r.p.Training.PubPEM), "keyDetails": "PKIX_ECDSA_P256_SHA_256"}},
		"dsseEnvelope":         env,
	})
	sig := filepath.Join(r.dir, "model.sig")
	os.WriteFile(sig, bundle, 0o644)
	code, d, stderr := r.verifyModel(model, sig)
	if d == nil {
		t.Fatalf("an earlier producer's signature: exit %d %s", code, stderr)
	}
	if code != 0 || !d.Allow {
		t.Fatalf("an earlier producer's signature: exit %d %s %v %s", code, stderr, failing(d), rejectedReasons(d))
	}
}

// A signature in shards (OMS v1.0 §6.3.2): each file's byte ranges hashed
// again and held against the ranges signed; one byte changed in the last
// range is named.
func TestModelSignatureInShards(t *testing.T) {
	r := newRun(t, "medium")
	th := filepath.Join(r.policy, "modelgate", "thresholds", "data.yaml")
	raw, _ := os.ReadFile(th)
	os.WriteFile(th, []byte(strings.Replace(string(raw), "  medium:\n", "  medium:\n    signature: {required: true}\n", 1)), 0o644)
	model := filepath.Join(r.dir, "fraud-scorer")
	os.MkdirAll(model, 0o755)
	files := map[string]string{"weights.bin": "0123456789", "config.json": "{}", "empty": ""}
	for name, body := range files {
		os.WriteFile(filepath.Join(model, name), []byte(body), 0o644)
	}
	type res struct{ Name, Algorithm, Digest string }
	var resources []res
	for _, name := range []string{"config.json", "weights.bin"} {
		body := files[name]
		for start := 0; start < len(body); start += 4 {
			end := min(start+4, len(body))
			sum := sha256.Sum256([]byte(body[start:end]))
			resources = append(resources, res{fmt.Sprintf("%s:%d:%d", name, start, end), "sha256", hex.EncodeToString(sum[:])})
		}
	}
	sort.Slice(resources, func(i, j int) bool { return resources[i].Name < resources[j].Name })
	h := sha256.New()
	var list []any
	for _, x := range resources {
		d, _ := hex.DecodeString(x.Digest)
		h.Write(d)
		list = append(list, map[string]string{"name": x.Name, "algorithm": x.Algorithm, "digest": x.Digest})
	}
	statement, _ := json.Marshal(map[string]any{
		"_type": "https://in-toto.io/Statement/v1", "predicateType": attest.ModelSignatureType,
		"subject":   []any{map[string]any{"name": "fraud-scorer", "digest": map[string]string{"sha256": hex.EncodeToString(h.Sum(nil))}}},
		"predicate": map[string]any{"resources": list, "serialization": map[string]any{"method": "shards", "hash_type": "sha256", "shard_size": 4, "allow_symlinks": false}},
	})
	sig := filepath.Join(r.dir, "model.sig")
	os.WriteFile(sig, r.p.Training.KeySignedBundle(statement), 0o644)
	if err := attest.CheckOMSBundle(r.p.Training.KeySignedBundle(statement)); err != nil {
		t.Fatalf("the shards signature against the OMS v1.0 schemas: %v", err)
	}
	verifyDir := func() (int, *decision.Decision, string) { return r.verifyModel(model, sig) }
	if code, d, stderr := verifyDir(); d == nil || code != 0 || !d.Allow {
		t.Fatalf("shards: exit %d %s", code, stderr)
	}
	os.WriteFile(filepath.Join(model, "weights.bin"), []byte("012345678X"), 0o644)
	if _, d, stderr := verifyDir(); d == nil || d.Allow || !strings.Contains(rejectedReasons(d), "model signature does not match the model's files: changed: weights.bin") {
		t.Fatalf("one byte changed in the last shard: %v %s", d, stderr)
	}
}

// bundle diff --replay judges a decision that rested on a model signature
// from what it recorded: under the very bundle that passed it nothing
// flips; a raised floor flips it; dropping signature.required flips
// nothing (it passed with the signature, and passes without the need).
func TestReplayOfASignedModel(t *testing.T) {
	r := newRun(t, "medium")
	th := filepath.Join(r.policy, "modelgate", "thresholds", "data.yaml")
	raw, _ := os.ReadFile(th)
	thresholds := string(raw)
	os.WriteFile(th, []byte(strings.Replace(thresholds, "  medium:\n", "  medium:\n    signature: {required: true}\n", 1)), 0o644)
	model := filepath.Join(r.dir, "fraud-scorer")
	os.MkdirAll(model, 0o755)
	os.WriteFile(filepath.Join(model, "weights.bin"), []byte("w"), 0o644)
	sig := filepath.Join(r.dir, "model.sig")
	if code, out, stderr := runCLI("sign", model, "--key", r.p.Training.WriteKey(r.dir), "--out", sig); code != 0 {
		t.Fatalf("sign: %s %s", out, stderr)
	}
	store := "dir:" + filepath.Join(r.dir, "store")
	if code, out, stderr := runCLI(r.modelArgs(model, "--vsa-key", r.p.Gate.WriteKey(r.dir), "--evidence", sig)...); code != 0 {
		t.Fatalf("verify: exit %d %s %s", code, out, stderr)
	}
	replay := func(newPolicy string) (int, string) {
		code, out, stderr := runCLI("bundle", "diff", r.policy, newPolicy, "--replay", "--store", store)
		return code, out + stderr
	}
	if code, out := replay(r.policy); code != 0 || !strings.Contains(out, "replay: 1 recorded decision(s) judged again under both bundles; 0 verdict(s) flip") {
		t.Fatalf("the same bundle: exit %d\n%s", code, out)
	}
	raised := filepath.Join(r.dir, "raised")
	os.CopyFS(raised, os.DirFS(r.policy))
	rth := filepath.Join(raised, "modelgate", "thresholds", "data.yaml")
	rraw, _ := os.ReadFile(rth)
	os.WriteFile(rth, []byte(strings.Replace(string(rraw), "auc_roc: {lower_bound: 0.80, max_regression", "auc_roc: {lower_bound: 0.95, max_regression", 1)), 0o644)
	if code, out := replay(raised); code != 1 || !strings.Contains(out, "1 verdict(s) flip") || !strings.Contains(out, ": ALLOWED → DENIED (MG-METRICS)") {
		t.Fatalf("a raised floor: exit %d\n%s", code, out)
	}
	unsigned := filepath.Join(r.dir, "unsigned")
	os.CopyFS(unsigned, os.DirFS(r.policy))
	os.WriteFile(filepath.Join(unsigned, "modelgate", "thresholds", "data.yaml"), []byte(thresholds), 0o644)
	if code, out := replay(unsigned); !strings.Contains(out, "0 verdict(s) flip") {
		t.Fatalf("signature.required dropped: exit %d\n%s", code, out)
	}
}

// 'modelgate sign --keyless' signs with the sigstore method against a
// private Sigstore on loopback: a certificate from its Fulcio for the
// identity token, a timestamp from its authority. The signature passes the
// OMS v1.0 schemas and verify counts it as the keyless signer's; the same
// folder signed by an identity the bundle does not trust is refused.
func TestSignAModelKeyless(t *testing.T) {
	r := newRun(t, "medium")
	th := filepath.Join(r.policy, "modelgate", "thresholds", "data.yaml")
	raw, _ := os.ReadFile(th)
	os.WriteFile(th, []byte(strings.Replace(string(raw), "  medium:\n", "  medium:\n    signature: {required: true}\n", 1)), 0o644)
	ps := testkit.StartPrivateSigstore(t)
	const issuer, who = "https://sso.corp.example:8443/realms/ml", "trainer@corp.example"
	trustSigstore(r.policy, &testkit.Sigstore{TrustedRoot: ps.TrustedRoot}, nil)
	if code, _, stderr := runCLI("bundle", "signer", "add", r.policy, "--signer", "trainer=keyless:<"+issuer+">:"+who+":training"); code != 0 {
		t.Fatalf("signer add: %s", stderr)
	}
	model := filepath.Join(r.dir, "fraud-scorer")
	os.MkdirAll(filepath.Join(model, "1"), 0o755)
	os.WriteFile(filepath.Join(model, "weights.bin"), []byte("w"), 0o644)
	os.WriteFile(filepath.Join(model, "1", "weights.bin"), []byte("w1"), 0o644)
	sc := filepath.Join(r.dir, "signing_config.json")
	os.WriteFile(sc, ps.SigningConfig, 0o644)
	trPath := filepath.Join(r.dir, "trusted_root.json")
	os.WriteFile(trPath, ps.TrustedRoot, 0o644)
	sig := filepath.Join(model, "model.sig")

	t.Setenv("SIGSTORE_ID_TOKEN", "")
	code, _, stderr := runCLI("sign", model, "--keyless", "--signing-config", sc)
	undecided(t, code, stderr, "keyless signing needs an OIDC identity token: set $SIGSTORE_ID_TOKEN or give --identity-token-file")
	code, _, stderr = runCLI("sign", model, "--keyless")
	undecided(t, code, stderr, "--signing-config")

	t.Setenv("SIGSTORE_ID_TOKEN", testkit.IDToken(issuer, who))
	code, out, stderr := runCLI("sign", model, "--keyless", "--signing-config", sc, "--trusted-root", trPath, "--out", sig)
	if code != 0 || !strings.HasPrefix(out, "signed 2 file(s) of "+model) || ps.Issued.Load() != 1 {
		t.Fatalf("sign --keyless: exit %d %s %s (%d certificates)", code, out, stderr, ps.Issued.Load())
	}
	data, _ := os.ReadFile(sig)
	if err := attest.CheckOMSBundle(data); err != nil {
		t.Fatalf("the keyless signature against the OMS v1.0 schemas: %v", err)
	}
	if !attest.IsKeyless(data) || !strings.Contains(string(data), `"rfc3161Timestamps"`) {
		t.Fatalf("not a keyless bundle with a timestamp:\n%s", data)
	}
	verifyWith := func() (int, *decision.Decision, string) { return r.verifyModel(model, sig) }
	code, d, stderr := verifyWith()
	if code != 0 || d == nil || !d.Allow {
		t.Fatalf("verify with the keyless signature: exit %d %s %v %s", code, stderr, failing(d), rejectedReasons(d))
	}
	found := false
	for _, e := range d.Evidence {
		found = found || e.Type == attest.ModelSignatureType && e.SignerID == "trainer" && e.Signer == who
	}
	if !found {
		t.Fatalf("the keyless model signature is not in the decision as trainer's: %+v", d.Evidence)
	}

	// Someone else from the same SSO signs the same folder: nobody trusted.
	t.Setenv("SIGSTORE_ID_TOKEN", testkit.IDToken(issuer, "mallory@corp.example"))
	if code, _, stderr := runCLI("sign", model, "--keyless", "--signing-config", sc, "--out", sig); code != 0 {
		t.Fatalf("sign as mallory: %s", stderr)
	}
	code, d, _ = verifyWith()
	if code != 1 || d.Allow || !strings.Contains(rejectedReasons(d), "matches no keyless signer in the trust list") {
		t.Fatalf("mallory's signature: exit %d %v", code, rejectedReasons(d))
	}

	// A signing config naming no Rekor log is refused before any request.
	var cfg map[string]any
	json.Unmarshal(ps.SigningConfig, &cfg)
	delete(cfg, "rekorTlogUrls")
	raw, _ = json.Marshal(cfg)
	os.WriteFile(sc, raw, 0o644)
	code, _, stderr = runCLI("sign", model, "--keyless", "--signing-config", sc, "--out", sig)
	undecided(t, code, stderr, "sigstore signing config: it names no Rekor log valid now, and the sigstore method needs the signature's transparency-log entry (OMS v1.0 §4.1)")
	if ps.Issued.Load() != 2 {
		t.Fatalf("%d certificates issued, want 2: the refused signing asked Fulcio", ps.Issued.Load())
	}
}

// modelArgs is a verify command line for a model directory in production:
// the run's policy and store, the pipeline's evidence signed again for the
// directory's digest, then extra.
func (r *pipelineRun) modelArgs(model string, extra ...string) []string {
	r.t.Helper()
	s, err := digest.Resolve(model, digest.Options{})
	if err != nil {
		r.t.Fatal(err)
	}
	p := *r.p
	p.Subject.SHA256 = s.SHA256
	args := append([]string{"verify", "--subject", model, "--env", "production", "--policy", r.policy, "--store", "dir:" + filepath.Join(r.dir, "store")}, extra...)
	for name, e := range p.Envelopes(nil) {
		path := filepath.Join(r.dir, name+".json")
		os.WriteFile(path, e, 0o644)
		args = append(args, "--evidence", path)
	}
	return args
}

// verifyModel verifies a model directory with its signature, in JSON.
func (r *pipelineRun) verifyModel(model, sig string) (int, *decision.Decision, string) {
	var o, e bytes.Buffer
	code := execute(r.modelArgs(model, "--format", "json", "--evidence", sig), &o, &e)
	d, _ := decision.Parse(o.Bytes())
	return code, d, e.String()
}
