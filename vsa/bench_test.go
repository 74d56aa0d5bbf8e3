package vsa_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/tlog"
	"github.com/modelgate/modelgate/vsa"
)

// benchLog is the benchmarks' log key.
var benchLog = testkit.NewLogKey("ledger.bench.example/models")

// ledger appends n decisions of one model in production to a new log, one
// a minute, every fifth FAILED, 64 writers at a time.
func ledger(b *testing.B, n int) (tlog.Spec, *facts.Trust) {
	ctx := context.Background()
	gate := testkit.FixedParty("gate", "gate")
	lk := benchLog
	dir := filepath.Join(b.TempDir(), "tlog")
	if err := lk.Init(dir); err != nil {
		b.Fatal(err)
	}
	trust, err := facts.NewTrust([]bundles.Signer{gate.TrustEntry(), lk.TrustEntry()})
	if err != nil {
		b.Fatal(err)
	}
	spec, _ := tlog.ParseSpec("dir:" + dir)
	app, err := tlog.OpenAppender(ctx, spec, lk.Signer, tlog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close(ctx)
	start := time.Now().Add(-time.Duration(n+1) * time.Minute)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				d := &decision.Decision{Subject: decision.Subject{Name: "fraud-scorer", Digest: map[string]string{"sha256": fmt.Sprintf("%064x", i)}},
					Environment: "production", Tier: "high", Allow: i%5 != 0, Policy: decision.Policy{URI: "p", Digest: "sha256:" + strings.Repeat("0", 64), Revision: "r1"}}
				st, err := vsa.NewDecision(d, nil, []string{"alice@example.com", "bob@example.com"}, "", start.Add(time.Duration(i)*time.Minute))
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := app.Append(ctx, gate.SignStatement(st)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return spec, trust
}

// BenchmarkReadLedger reads and verifies a whole log as a command does
// (every entry against the tree, every record's signature), and finds the
// champion, as the ledger grows: 10 and 1,000 decisions.
func BenchmarkReadLedger(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("decisions=%d", n), func(b *testing.B) {
			spec, trust := ledger(b, n)
			view := &bundles.View{}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				l := vsa.Ledger{Source: &vsa.LogSource{Spec: spec, Reader: &vsa.Reader{Trust: trust}}, Trust: trust, View: view}
				a, _, err := l.Champion(context.Background(), "fraud-scorer", "production", "", time.Now())
				if err != nil {
					b.Fatal(err)
				}
				if a == nil {
					b.Fatal("no champion")
				}
			}
		})
	}
}

// BenchmarkFollowedReview answers one admission question from a followed
// ledger of 1,000 decisions: a lookup with no I/O.
func BenchmarkFollowedReview(b *testing.B) {
	spec, trust := ledger(b, 1000)
	f := &vsa.Follower{Spec: spec, Reader: &vsa.Reader{Trust: trust}, MaxStaleness: time.Minute}
	if err := f.Update(context.Background()); err != nil {
		b.Fatal(err)
	}
	l := vsa.Ledger{Source: f, Trust: trust, View: &bundles.View{}}
	s := digest.Subject{Name: "fraud-scorer", SHA256: fmt.Sprintf("%064x", 999)}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a, err := l.Admits(context.Background(), s, "production", time.Now())
			if err != nil || !a.Admitted() {
				b.Fatalf("%v %v", a, err)
			}
		}
	})
}

// BenchmarkFollowerLag is what a follower spends bringing its state up to
// a new checkpoint with one new record, on a log of 1,000: read and verify
// the checkpoint, the entry, the tiles over it, the record's signature, and
// a new book. A replica's lag behind a write is this plus at most one
// --ledger-poll.
func BenchmarkFollowerLag(b *testing.B) {
	ctx := context.Background()
	spec, trust := ledger(b, 1000)
	f := &vsa.Follower{Spec: spec, Reader: &vsa.Reader{Trust: trust}, MaxStaleness: time.Minute}
	if err := f.Update(ctx); err != nil {
		b.Fatal(err)
	}
	gate := testkit.FixedParty("gate", "gate")
	app, err := tlog.OpenAppender(ctx, spec, benchLog.Signer, tlog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close(ctx)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d := &decision.Decision{Subject: decision.Subject{Name: "fraud-scorer", Digest: map[string]string{"sha256": fmt.Sprintf("%064x", 5000+i)}},
			Environment: "production", Tier: "high", Allow: true, Policy: decision.Policy{URI: "p", Digest: "sha256:" + strings.Repeat("0", 64), Revision: "r1"}}
		st, _ := vsa.NewDecision(d, nil, nil, "", time.Now().Add(-time.Second))
		if _, err := app.Append(ctx, gate.SignStatement(st)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := f.Update(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	book, _ := f.Book(ctx)
	if book.Size != uint64(1000+b.N) {
		b.Fatalf("the follower is at %d", book.Size)
	}
}
