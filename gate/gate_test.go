package gate_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/gate"
	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/vsa"
)

// The gate's paths, each to its exact end: a model with every piece of
// evidence is allowed; one without its evaluation is denied by the gates
// that need it; no evidence, evidence nobody trusts, and evidence under
// another name cannot be decided, each with its own error.
func TestDecidePaths(t *testing.T) {
	ctx := context.Background()
	p := testkit.NewPipeline("fraud-scorer")
	dir := filepath.Join(t.TempDir(), "policy")
	if err := p.WriteBundle(filepath.Join(testkit.RepoRoot(), "policies"), dir, "medium"); err != nil {
		t.Fatal(err)
	}
	b, err := bundles.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gate.New(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	empty := vsa.Fixed{B: vsa.BookOf(nil)}
	envelopes := func(edit func(map[string][]byte)) []evidence.Envelope {
		envs := p.Envelopes(nil)
		if edit != nil {
			edit(envs)
		}
		var out []evidence.Envelope
		for name, e := range envs {
			out = append(out, evidence.Envelope{ID: name, Source: name + ".json", Data: e})
		}
		return out
	}
	decide := func(s digest.Subject, extra []evidence.Envelope) (*gate.Outcome, error) {
		return g.Decide(ctx, gate.Request{Subject: s, Environment: "production", Ledger: empty, Extra: extra, Now: p.Now})
	}

	out, err := decide(p.Subject, envelopes(nil))
	if err != nil || !out.Decision.Allow || out.Decision.Tier != "medium" {
		t.Fatalf("every piece of evidence: %v %+v", err, out)
	}

	out, err = decide(p.Subject, envelopes(func(e map[string][]byte) { delete(e, "evaluation") }))
	if err != nil || out.Decision.Allow {
		t.Fatalf("without the evaluation: %v, allowed", err)
	}
	var failed []string
	for _, gt := range out.Decision.Gates {
		if gt.Status == "fail" {
			failed = append(failed, gt.Code)
		}
	}
	if !slices.Contains(failed, "MG-METRICS") || !slices.Contains(failed, "MG-SLICES") {
		t.Fatalf("without the evaluation, failed %v", failed)
	}

	var none *gate.NoEvidenceError
	if _, err := decide(p.Subject, nil); !errors.As(err, &none) {
		t.Fatalf("no evidence: %v", err)
	}

	stranger := testkit.NewParty("stranger", "ecdsa-p256", "evaluation")
	forged := []evidence.Envelope{{ID: "x", Source: "x.json", Data: stranger.Sign(p.Subject, "evaluation", p.Predicates()["evaluation"])}}
	var rejected *gate.AllRejectedError
	if _, err := decide(p.Subject, forged); !errors.As(err, &rejected) || !strings.Contains(err.Error(), "x.json") {
		t.Fatalf("evidence nobody trusts: %v", err)
	}

	other := p.Subject
	other.Name = "churn-model"
	var named *gate.NameError
	if _, err := decide(other, envelopes(nil)); !errors.As(err, &named) || named.Signed != "fraud-scorer" || named.Given != "churn-model" {
		t.Fatalf("another name: %v", err)
	}
}
