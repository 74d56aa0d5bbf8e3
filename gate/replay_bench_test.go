package gate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/gate"
	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/vsa"
)

// BenchmarkReplay1000 judges 1,000 recorded decisions again under two
// bundles (the second with fewer approvals), each bundle prepared once;
// the goal is under 10 s for the 1,000 on two cores.
func BenchmarkReplay1000(b *testing.B) {
	ctx := context.Background()
	p := testkit.NewPipeline("fraud-scorer")
	root := b.TempDir()
	var gates [2]*gate.Gate
	for i, name := range []string{"old", "new"} {
		dir := filepath.Join(root, name)
		if err := p.WriteBundle(filepath.Join(testkit.RepoRoot(), "policies"), dir, "medium"); err != nil {
			b.Fatal(err)
		}
		if name == "new" {
			th := filepath.Join(dir, "modelgate", "thresholds", "data.yaml")
			raw, _ := os.ReadFile(th)
			os.WriteFile(th, []byte(strings.Replace(string(raw), "approvals: {production: 1, staging: 0}", "approvals: {production: 0, staging: 0}", 1)), 0o644)
		}
		bundle, err := bundles.Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		if gates[i], err = gate.New(ctx, bundle); err != nil {
			b.Fatal(err)
		}
	}
	store, _ := evidence.OpenDir(filepath.Join(root, "store"))
	var inputs []string
	for name, e := range p.Envelopes(nil) {
		if strings.HasPrefix(name, "approval") {
			continue // never approved: denied under old, allowed under new
		}
		id, _, err := store.Add(ctx, e)
		if err != nil {
			b.Fatal(err)
		}
		inputs = append(inputs, id)
	}
	var records []*vsa.Record
	previous := ""
	start := p.Now
	for i := 0; i < 1000; i++ {
		d := &decision.Decision{Subject: decision.Subject{Name: "fraud-scorer", Digest: map[string]string{"sha256": p.Subject.SHA256}},
			Environment: "production", Tier: "medium", Policy: decision.Policy{URI: "p", Digest: "sha256:" + strings.Repeat("0", 64), Revision: "1.0.0"}}
		st, err := vsa.NewDecision(d, inputs, nil, previous, start.Add(time.Duration(i)*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		previous = attest.EnvelopeID(st)
		rs, err := vsa.ParseRaw(mustPredicate(b, st), []string{p.Subject.SHA256})
		if err != nil {
			b.Fatal(err)
		}
		rs.Inputs = inputs
		rs.ID = previous
		records = append(records, rs)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := gate.Replay(ctx, gates[0], gates[1], store, vsa.Fixed{B: vsa.BookOf(nil)}, records)
		if err != nil || res.Judged != 1000 || len(res.Flips) != 1000 {
			b.Fatalf("%v: judged %d, %d flips", err, res.Judged, len(res.Flips))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/1000-records")
}

func mustPredicate(b *testing.B, statement []byte) []byte {
	st, err := attest.ParseStatement(statement)
	if err != nil {
		b.Fatal(err)
	}
	return st.Predicate
}
