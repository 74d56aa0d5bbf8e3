package vsa_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/internal/testkit"
	"github.com/modelgate/modelgate/vsa"
)

// ledger writes n decisions of one model in production into a store, one
// a minute, every fifth FAILED.
func ledger(b *testing.B, store evidence.Store, n int) *facts.Trust {
	gate := testkit.FixedParty("gate", "gate")
	trust, err := facts.NewTrust([]bundles.Signer{gate.TrustEntry()})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now().Add(-time.Duration(n+1) * time.Minute)
	previous := ""
	for i := 0; i < n; i++ {
		d := &decision.Decision{Subject: decision.Subject{Name: "fraud-scorer", Digest: map[string]string{"sha256": fmt.Sprintf("%064x", i)}},
			Environment: "production", Tier: "high", Allow: i%5 != 0, Policy: decision.Policy{URI: "p", Digest: "sha256:" + strings.Repeat("0", 64), Revision: "r1"}}
		st, err := vsa.NewDecision(d, nil, []string{"alice@example.com", "bob@example.com"}, previous, start.Add(time.Duration(i)*time.Minute))
		if err != nil {
			b.Fatal(err)
		}
		previous = attest.EnvelopeID(st) // a record's id is its statement's digest
		env := gate.SignStatement(st)
		if _, _, err := store.Add(context.Background(), env); err != nil {
			b.Fatal(err)
		}
	}
	return trust
}

// BenchmarkChampion finds the current champion of a model in production as
// its ledger grows: 10, 1,000 and 10,000 decisions.
func BenchmarkChampion(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("decisions=%d", n), func(b *testing.B) {
			store, _ := evidence.OpenDir(filepath.Join(b.TempDir(), "store"))
			trust := ledger(b, store, n)
			l := vsa.Ledger{Store: store, Trust: trust}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s, err := l.State(context.Background(), "fraud-scorer", "production", time.Now(), func(s *vsa.State) *vsa.Record { return s.Champion })
				if err != nil {
					b.Fatal(err)
				}
				if s.Champion == nil || s.Champion.Digest != fmt.Sprintf("%064x", n-1) {
					b.Fatal("the wrong champion")
				}
			}
		})
	}
}

// BenchmarkHistory reads the whole ledger of a model with 1,000 decisions,
// in a store of 50,000 envelopes, as 'modelgate history' does.
func BenchmarkHistory(b *testing.B) {
	root := filepath.Join(b.TempDir(), "store")
	store, _ := evidence.OpenDir(root)
	trust := ledger(b, store, 1000)
	// 49,000 envelopes about other models, written in the store's own
	// layout (objects/AB/HEX, index/SUBJECT) without a sync each, which
	// would take minutes and measure nothing.
	other := testkit.FixedParty("other", "evaluation")
	for i := 0; i < 49000; i++ {
		sub := digest.Subject{Name: "other", SHA256: fmt.Sprintf("%064x", 1<<40+i)}
		env := other.Sign(sub, "risk", map[string]any{"model": "other", "tier": "low", "rationale": "r", "valid_until": "2030-01-01T00:00:00Z"})
		hex := strings.TrimPrefix(attest.EnvelopeID(env), "sha256:")
		os.MkdirAll(filepath.Join(root, "objects", hex[:2]), 0o755)
		os.WriteFile(filepath.Join(root, "objects", hex[:2], hex), env, 0o644)
		os.WriteFile(filepath.Join(root, "index", sub.SHA256), []byte(hex+"\n"), 0o644)
	}
	l := vsa.Ledger{Store: store, Trust: trust}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rs, _, err := l.Records(context.Background(), "fraud-scorer", "", time.Now())
		if err != nil || len(rs) != 1000 {
			b.Fatalf("%d records: %v", len(rs), err)
		}
	}
}
