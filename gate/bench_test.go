package gate_test

import (
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/gate"
	"github.com/modelgate/modelgate/testkit"
)

// typical prepares a gate and a request over a typical evidence set: the
// stage envelopes of a passing pipeline (10 of them) plus a risk
// attestation and a waiver.
func typical(b *testing.B) (*gate.Gate, gate.Request) {
	p := testkit.NewPipeline("fraud-scorer")
	dir := filepath.Join(b.TempDir(), "policy")
	if err := p.WriteBundle(filepath.Join(testkit.RepoRoot(), "policies"), dir, "high"); err != nil {
		b.Fatal(err)
	}
	bundle, err := bundles.Load(dir)
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
	return g, gate.Request{Subject: p.Subject, Environment: "production", Extra: envs, Now: p.Now}
}

// BenchmarkDecide10 is one whole in-process decision over the typical set,
// signature checks included, after preparation.
func BenchmarkDecide10(b *testing.B) {
	g, req := typical(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := g.Decide(context.Background(), req)
		if err != nil || !out.Decision.Allow {
			b.Fatalf("%v %+v", err, out)
		}
	}
}

// BenchmarkEvaluate10 is the policy evaluation alone over the typical set's
// verified facts, with the prepared query and the input document built; it
// reports the p50 and p99.
func BenchmarkEvaluate10(b *testing.B) {
	g, req := typical(b)
	out, err := g.Decide(context.Background(), req)
	if err != nil || !out.Decision.Allow || len(out.Facts.Facts) != len(req.Extra) {
		b.Fatalf("%v %+v", err, out)
	}
	input, err := out.Input.Value()
	if err != nil {
		b.Fatal(err)
	}
	engine, err := g.Engine()
	if err != nil {
		b.Fatal(err)
	}
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := engine.Eval(context.Background(), input, req.Now); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(ms(took[len(took)/2]), "p50-ms")
	b.ReportMetric(ms(took[len(took)*99/100]), "p99-ms")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
