package facts_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/testkit"
)

const workflow = "https://github.com/acme/churn/.github/workflows/train.yml@refs/heads/main"

// virtual is the virtual Sigstore's root: its Fulcio embeds no SCTs.
func virtual(ss *testkit.Sigstore) *attest.KeylessRoot {
	return &attest.KeylessRoot{TrustedRoot: ss.TrustedRoot, TimestampThreshold: 1}
}

func keylessTrust(t *testing.T, root *attest.KeylessRoot, k keys.Keyless) *facts.Trust {
	t.Helper()
	tr, err := facts.NewTrustWithRoot([]keys.Signer{{ID: "ci", Identity: "ci@acme", Roles: []string{"risk"}, Keyless: &k}}, root)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Keyless evidence, verified against the bundle's trusted root with
// sigstore-go: the chain, the log entry or timestamp, the signing time
// inside the certificate's validity, and the identity.
func TestKeylessSigners(t *testing.T) {
	ss := testkit.NewSigstore(t)
	exact := keylessTrust(t, virtual(ss), keys.Keyless{Issuer: testkit.GitHubIssuer, Subject: workflow})
	sign := func(identity, issuer string, o testkit.Options) []byte {
		return ss.Attest(t, identity, issuer, subject, "risk", risk, o)
	}
	now := time.Now()
	f, err := exact.Verify(context.Background(), subject.SHA256, env(sign(workflow, testkit.GitHubIssuer, testkit.Options{})), now)
	if err != nil {
		t.Fatal(err)
	}
	if f.Signer.ID != "ci" || f.Signer.Identity != "ci@acme" || f.Signer.Roles[0] != "risk" || f.Type != "https://modelgate.dev/attestation/risk/v1" {
		t.Fatalf("%+v", f)
	}
	// The log entry alone, or the timestamp alone, is an observer timestamp.
	for _, o := range []testkit.Options{{NoTimestamp: true}, {NoTlog: true}} {
		if _, err := exact.Verify(context.Background(), subject.SHA256, env(sign(workflow, testkit.GitHubIssuer, o)), now); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}

	other := testkit.NewSigstore(t)
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"wrong issuer":  {sign(workflow, testkit.GitLabIssuer, testkit.Options{}), `matches no keyless signer in the trust list`},
		"wrong subject": {sign("https://github.com/acme/churn/.github/workflows/evil.yml@refs/heads/main", testkit.GitHubIssuer, testkit.Options{}), `the certificate's identity (subject "https://github.com/acme/churn/.github/workflows/evil.yml@refs/heads/main", issuer`},
		"signed outside the certificate's validity": {sign(workflow, testkit.GitHubIssuer, testkit.Options{At: now.Add(2 * time.Hour), NoTimestamp: true}), "the keyless signature does not verify against the bundle's Sigstore trusted root"},
		"no log entry and no timestamp":             {sign(workflow, testkit.GitHubIssuer, testkit.Options{NoTlog: true, NoTimestamp: true}), "the keyless signature does not verify against the bundle's Sigstore trusted root"},
		"a log entry without its promise":           {sign(workflow, testkit.GitHubIssuer, testkit.Options{NoPromise: true, NoTimestamp: true}), "the keyless signature does not verify against the bundle's Sigstore trusted root"},
		"a tampered log entry":                      {sign(workflow, testkit.GitHubIssuer, testkit.Options{TamperTlog: true}), "the keyless signature does not verify against the bundle's Sigstore trusted root"},
		"another Sigstore's certificate":            {other.Attest(t, workflow, testkit.GitHubIssuer, subject, "risk", risk, testkit.Options{}), "the keyless signature does not verify against the bundle's Sigstore trusted root"},
	} {
		_, err := exact.Verify(context.Background(), subject.SHA256, env(c.data), now)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}

	// A root that asks for a signed certificate timestamp refuses a
	// certificate without one.
	sct := keylessTrust(t, &attest.KeylessRoot{TrustedRoot: ss.TrustedRoot, SCTThreshold: 1, TimestampThreshold: 1}, keys.Keyless{Issuer: testkit.GitHubIssuer, Subject: workflow})
	if _, err := sct.Verify(context.Background(), subject.SHA256, env(sign(workflow, testkit.GitHubIssuer, testkit.Options{})), now); err == nil || !strings.Contains(err.Error(), "unable to meet threshold of 1") {
		t.Fatalf("no SCT: %v", err)
	}

	// A regexp matches only as a whole: one that would match only
	// unanchored does not. Each subject it matches is its own identity.
	re := keylessTrust(t, virtual(ss), keys.Keyless{Issuer: testkit.GitHubIssuer, SubjectRegexp: `https://github\.com/acme/churn/\.github/workflows/[a-z]+\.yml@refs/heads/main`})
	f, err = re.Verify(context.Background(), subject.SHA256, env(sign(workflow, testkit.GitHubIssuer, testkit.Options{})), now)
	if err != nil || f.Signer.Identity != workflow {
		t.Fatalf("regexp: %v %+v", err, f)
	}
	if _, err := re.Verify(context.Background(), subject.SHA256, env(sign("https://evil.example/x?"+strings.TrimPrefix(workflow, "https://")+"#", testkit.GitHubIssuer, testkit.Options{})), now); err == nil || !strings.Contains(err.Error(), "matches no keyless signer") {
		t.Fatalf("an unanchored match was accepted: %v", err)
	}

	// Key-signed evidence keeps verifying beside keyless signers.
	mixed, err := facts.NewTrustWithRoot([]keys.Signer{signer.TrustEntry(), {ID: "ci", Identity: "ci@acme", Roles: []string{"risk"}, Keyless: &keys.Keyless{Issuer: testkit.GitHubIssuer, Subject: workflow}}}, virtual(ss))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mixed.Verify(context.Background(), subject.SHA256, env(signer.Sign(subject, "risk", risk)), now); err != nil {
		t.Fatal(err)
	}
}

// A trust list's keyless entries are checked when it is loaded.
func TestKeylessEntriesRefusedAtLoad(t *testing.T) {
	ss := testkit.NewSigstore(t)
	for name, c := range map[string]struct {
		s    keys.Signer
		root *attest.KeylessRoot
		want string
	}{
		"no issuer":       {keys.Signer{ID: "a", Identity: "a", Roles: []string{"risk"}, Keyless: &keys.Keyless{Subject: workflow}}, virtual(ss), "trust: signer a: a keyless signer needs its OIDC issuer"},
		"both subjects":   {keys.Signer{ID: "a", Identity: "a", Roles: []string{"risk"}, Keyless: &keys.Keyless{Issuer: testkit.GitHubIssuer, Subject: workflow, SubjectRegexp: ".+"}}, virtual(ss), "needs exactly one of subject and subject_regexp"},
		"empty match":     {keys.Signer{ID: "a", Identity: "a", Roles: []string{"risk"}, Keyless: &keys.Keyless{Issuer: testkit.GitHubIssuer, SubjectRegexp: ".*"}}, virtual(ss), `subject_regexp ".*" matches an empty subject: it would trust anyone`},
		"bad extension":   {keys.Signer{ID: "a", Identity: "a", Roles: []string{"risk"}, Keyless: &keys.Keyless{Issuer: testkit.GitHubIssuer, Subject: workflow, Extensions: map[string]string{"github_workflow_repo": "x"}}}, virtual(ss), `unknown certificate extension "github_workflow_repo"`},
		"no trusted root": {keys.Signer{ID: "a", Identity: "a", Roles: []string{"risk"}, Keyless: &keys.Keyless{Issuer: testkit.GitHubIssuer, Subject: workflow}}, nil, "trust: keyless signers are verified against a Sigstore trusted root, and the bundle carries none (no Sigstore trusted root to verify keyless signatures against)"},
		"keyless gate":    {keys.Signer{ID: "a", Identity: "a", Roles: []string{"gate"}, Keyless: &keys.Keyless{Issuer: testkit.GitHubIssuer, Subject: workflow}}, virtual(ss), "trust: signer a is keyless, and the gate role signs ledger records with a key"},
	} {
		if _, err := facts.NewTrustWithRoot([]keys.Signer{c.s}, c.root); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

// A real public-good Sigstore bundle (npm's provenance for sigstore@1.3.0,
// testdata/sigstore/README.md) verifies offline against the public-good
// trusted root of its time, and is refused as model evidence for lacking a
// sha256 subject, saying so.
func TestPublicGoodBundle(t *testing.T) {
	dir := filepath.Join("..", "testdata", "sigstore")
	rootJSON, err := os.ReadFile(filepath.Join(dir, "trusted-root-public-good.json"))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "npm-sigstore-1.3.0.provenance.sigstore.json"))
	kv, err := attest.NewKeylessVerifier(attest.KeylessRoot{TrustedRoot: rootJSON, SCTThreshold: 1, TimestampThreshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, cert, err := kv.Verify(data)
	if cert == nil {
		t.Fatalf("the public-good bundle does not verify: %v", err)
	}
	if cert.Issuer != testkit.GitHubIssuer || !strings.HasPrefix(cert.SubjectAlternativeName, "https://github.com/sigstore/sigstore-js/") {
		t.Fatalf("certificate %+v", cert)
	}
	want := `bad statement: subject "pkg:npm/sigstore@1.3.0" has no sha256 digest`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	// Through a trust list that names its workflow, the same reason.
	tr, err := facts.NewTrustWithRoot([]keys.Signer{{ID: "npm", Identity: "sigstore-js", Roles: []string{"training"},
		Keyless: &keys.Keyless{Issuer: testkit.GitHubIssuer, Subject: cert.SubjectAlternativeName}}}, &attest.KeylessRoot{TrustedRoot: rootJSON, SCTThreshold: 1, TimestampThreshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Verify(context.Background(), subject.SHA256, env(data), time.Now()); err == nil || err.Error() != want {
		t.Fatalf("through the trust list: %v", err)
	}
}

// A model signature is about the model's files: with the subject given by
// digest alone there is nothing to check it against, and it is refused.
func TestModelSignatureNeedsTheFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "w.bin"), []byte("w"), 0o644)
	p := testkit.NewParty("release", "ecdsa-p256", "training")
	tr, _ := facts.NewTrust([]keys.Signer{p.TrustEntry()})
	_, err := tr.Verify(context.Background(), subject.SHA256, env(p.KeySignedBundle(testkit.ModelSignatureStatement(t, dir))), time.Now())
	if err == nil || err.Error() != "a model signature is checked against the model's files: give the model's directory (or file) as the subject, not NAME@sha256" {
		t.Fatalf("%v", err)
	}
}

// A model signature that lists one file twice is refused, whatever its
// digests: the file list must say one thing per file.
func TestModelSignatureListingAFileTwice(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "w.bin"), []byte("w"), 0o644)
	m, _ := digest.Dir(dir, digest.Options{})
	d := m.Files[0].SHA256
	raw, _ := hex.DecodeString(d)
	root := sha256.Sum256(append(append([]byte{}, raw...), raw...))
	st := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"m","digest":{"sha256":"` + hex.EncodeToString(root[:]) + `"}}],"predicateType":"https://model_signing/signature/v1.0","predicate":{"serialization":{"method":"files","hash_type":"sha256"},"resources":[{"name":"w.bin","algorithm":"sha256","digest":"` + d + `"},{"name":"w.bin","algorithm":"sha256","digest":"` + d + `"}]}}`
	p := testkit.NewParty("release", "ecdsa-p256", "training")
	tr, _ := facts.NewTrust([]keys.Signer{p.TrustEntry()})
	sub, _ := digest.Resolve(dir, digest.Options{})
	res := facts.CollectFor(context.Background(), tr, sub, []evidence.Envelope{env(p.KeySignedBundle([]byte(st)))}, time.Now())
	if len(res.Rejected) != 1 || res.Rejected[0].Reason != `model signature: it lists file "w.bin" twice` {
		t.Fatalf("%+v", res)
	}
}
