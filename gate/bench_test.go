package gate_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/gate"
	"github.com/modelgate/modelgate/internal/testkit"
	"github.com/modelgate/modelgate/policy"
)

// BenchmarkDecide10 is one in-process decision over a typical evidence set
// (8 stage envelopes plus a risk attestation and a waiver), after preparation.
func BenchmarkDecide10(b *testing.B) {
	p := testkit.NewPipeline("fraud-scorer")
	dir := filepath.Join(b.TempDir(), "policy")
	if err := p.WriteBundle(filepath.Join(testkit.RepoRoot(), "policies"), dir, "high"); err != nil {
		b.Fatal(err)
	}
	bundle, err := policy.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	g, err := gate.New(context.Background(), bundle)
	if err != nil {
		b.Fatal(err)
	}
	var envs []evidence.Envelope
	for _, e := range p.Envelopes(nil) {
		envs = append(envs, evidence.Envelope{Data: e})
	}
	envs = append(envs,
		evidence.Envelope{Data: p.Risk.Sign(p.Subject, "risk", map[string]any{"model": "fraud-scorer", "tier": "high", "rationale": "r", "valid_until": p.T(1000)})},
		evidence.Envelope{Data: p.Waiver.Sign(p.Subject, "waiver", map[string]any{"rule": "MG-SLICES", "environment": "production", "reason": "r", "expires_at": p.T(1000)})})
	req := gate.Request{Subject: p.Subject, Environment: "production", Extra: envs, Now: p.Now}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := g.Decide(context.Background(), req)
		if err != nil || !out.Decision.Allow {
			b.Fatalf("%v %+v", err, out)
		}
	}
}
