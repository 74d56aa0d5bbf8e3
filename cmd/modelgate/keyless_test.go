package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/internal/testkit"
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
	trustDir := filepath.Join(r.policy, "modelgate", "trust")
	os.WriteFile(filepath.Join(trustDir, "trusted_root.json"), ss.TrustedRoot, 0o644)
	// The virtual Fulcio embeds no SCTs: this root asks for none.
	var trust map[string]any
	raw, _ := os.ReadFile(filepath.Join(trustDir, "data.yaml"))
	yaml.Unmarshal(raw, &trust)
	trust["sigstore"] = map[string]any{"sct_threshold": 0}
	raw, _ = yaml.Marshal(trust)
	os.WriteFile(filepath.Join(trustDir, "data.yaml"), raw, 0o644)
	code, out, stderr := runCLI("bundle", "signer", "add", r.policy, "--signer", "ci=keyless:"+testkit.GitHubIssuer+":"+trainWorkflow+":evaluation")
	if code != 0 {
		t.Fatalf("signer add: %s", stderr)
	}
	data, _ := os.ReadFile(filepath.Join(trustDir, "data.yaml"))
	if !strings.Contains(string(data), "sct_threshold: 0") || !strings.Contains(string(data), "issuer: "+testkit.GitHubIssuer) {
		t.Fatalf("the trust list lost or lacks something:\n%s", data)
	}
	_ = out

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
	code, out, _ = runCLI("bundle", "inspect", r.policy)
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
