package vsa

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/internal/testkit"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func rec(kind, result, d string, minutes int, tie string) *Record {
	r := &Record{Tie: tie, Time: t0.Add(time.Duration(minutes) * time.Minute), Result: result, Digest: d,
		Entry: Entry{Kind: kind, Environment: "production", Model: "m", Tier: "high"}}
	r.ID = "sha256:" + d + tie
	return r
}

func rollback(from, to string, minutes int) *Record {
	r := rec(KindRollback, Passed, to, minutes, "r")
	r.Rollback = &RollbackEntry{From: "sha256:" + from, To: "sha256:" + to, Reason: "x"}
	return r
}

func revoke(d string, minutes int) *Record {
	r := rec(KindRevocation, Failed, d, minutes, "v")
	r.Revocation = &RevocationEntry{Digest: "sha256:" + d, Reason: "x"}
	return r
}

func champion(s *State) string {
	if s.Champion == nil {
		return ""
	}
	return s.Champion.Digest
}

func TestReplay(t *testing.T) {
	for _, c := range []struct {
		name     string
		records  []*Record
		champion string
		previous string
	}{
		{"a PASSED decision makes the champion", []*Record{rec(KindDecision, Passed, "a", 1, "1")}, "a", ""},
		{"a FAILED decision changes nothing", []*Record{rec(KindDecision, Passed, "a", 1, "1"), rec(KindDecision, Failed, "b", 2, "1")}, "a", ""},
		{"the newest PASSED wins", []*Record{rec(KindDecision, Passed, "a", 1, "1"), rec(KindDecision, Passed, "b", 2, "1")}, "b", "a"},
		{"a rollback restores the previous champion", []*Record{rec(KindDecision, Passed, "a", 1, "1"), rec(KindDecision, Passed, "b", 2, "1"), rollback("b", "a", 3)}, "a", ""},
		{"a rollback to what never passed restores nothing", []*Record{rec(KindDecision, Passed, "a", 1, "1"), rollback("a", "z", 3)}, "a", ""},
		{"revoking the champion falls back", []*Record{rec(KindDecision, Passed, "a", 1, "1"), rec(KindDecision, Passed, "b", 2, "1"), revoke("b", 3)}, "a", ""},
		{"a revoked digest never becomes champion again", []*Record{rec(KindDecision, Passed, "a", 1, "1"), revoke("a", 2), rec(KindDecision, Passed, "a", 3, "2")}, "", ""},
		{"a rollback to a revoked digest restores nothing", []*Record{rec(KindDecision, Passed, "a", 1, "1"), rec(KindDecision, Passed, "b", 2, "1"), revoke("a", 3), rollback("b", "a", 4)}, "b", ""},
		// Two decisions with one signed time: the digest of the signed
		// predicate orders them, whatever order the store returns them in.
		{"ties are ordered by the signed predicate", []*Record{rec(KindDecision, Passed, "b", 1, "9"), rec(KindDecision, Passed, "a", 1, "1")}, "b", "a"},
	} {
		rs := append([]*Record(nil), c.records...)
		Order(rs)
		s := Replay(rs, "production", time.Time{})
		prev := ""
		if p := s.Previous(); p != nil {
			prev = p.Digest
		}
		if champion(s) != c.champion || prev != c.previous {
			t.Errorf("%s: champion %q previous %q, want %q %q", c.name, champion(s), prev, c.champion, c.previous)
		}
		// Reversed input, same state.
		rev := append([]*Record(nil), c.records...)
		for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
			rev[i], rev[j] = rev[j], rev[i]
		}
		Order(rev)
		if champion(Replay(rev, "production", time.Time{})) != c.champion {
			t.Errorf("%s: the state depends on the order the store returned records in", c.name)
		}
	}
}

func TestReplayAtATime(t *testing.T) {
	rs := []*Record{rec(KindDecision, Passed, "a", 1, "1"), rec(KindDecision, Passed, "b", 10, "1")}
	if c := champion(Replay(rs, "production", t0.Add(5*time.Minute))); c != "a" {
		t.Fatalf("champion at 5 minutes: %q", c)
	}
	if c := champion(Replay(rs, "staging", time.Time{})); c != "" {
		t.Fatalf("another environment's champion: %q", c)
	}
}

func TestChampionOtherThanTheCandidate(t *testing.T) {
	rs := []*Record{rec(KindDecision, Passed, "a", 1, "1"), rec(KindDecision, Passed, "b", 2, "1")}
	s := Replay(rs, "production", time.Time{})
	if c := s.ChampionOtherThan("b"); c == nil || c.Digest != "a" {
		t.Fatalf("%v", c)
	}
	if c := s.ChampionOtherThan("c"); c == nil || c.Digest != "b" {
		t.Fatalf("%v", c)
	}
	if _, ok := s.Admitted("a"); !ok {
		t.Fatal("a PASSED, unrevoked digest is admitted")
	}
	s = Replay(append(rs, rollback("b", "a", 3)), "production", time.Time{})
	if _, ok := s.Admitted("b"); ok {
		t.Fatal("a digest rolled back from is not admitted")
	}
}

func TestParseRefusesWhatIsNotARecord(t *testing.T) {
	for _, c := range []struct {
		pred map[string]any
		want string
	}{
		{map[string]any{"verifier": map[string]any{"id": "https://other"}, "timeVerified": "2026-11-01T00:00:00Z"}, "verifier \"https://other\" is not modelgate"},
		{map[string]any{"verifier": map[string]any{"id": VerifierID}, "timeVerified": "2026-11-01T00:00:00Z", "resourceUri": "modelgate://production/m",
			"modelgate": map[string]any{"kind": "decision", "environment": "staging", "model": "m", "subject": "m@sha256:" + strings.Repeat("a", 64)}}, "does not name m in staging"},
		{map[string]any{"verifier": map[string]any{"id": VerifierID}, "timeVerified": "2026-11-01T00:00:00Z", "resourceUri": "modelgate://production/m",
			"modelgate": map[string]any{"kind": "rollback", "environment": "production", "model": "m", "subject": "m@sha256:" + strings.Repeat("a", 64)}}, "a rollback must name the digest it restores"},
		{map[string]any{"verifier": map[string]any{"id": VerifierID}, "timeVerified": "2026-11-01T00:00:00Z", "resourceUri": "modelgate://production/m",
			"modelgate": map[string]any{"kind": "promotion", "environment": "production", "model": "m", "subject": "m@sha256:" + strings.Repeat("a", 64)}}, "unknown record kind"},
	} {
		if _, err := Parse(c.pred, []string{strings.Repeat("a", 64)}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v, want %q", err, c.want)
		}
	}
}

// A rollback or revocation the store cannot read stops the ledger: it
// could be the revocation that keeps a model out.
func TestUnreadableControlRecordFailsClosed(t *testing.T) {
	dir := t.TempDir()
	store, _ := evidence.OpenDir(dir)
	gate := testkit.FixedParty("gate", "gate")
	st, _ := Statement("m", strings.Repeat("a", 64), "production", Failed, nil, decision.Policy{URI: "p", Digest: "sha256:" + strings.Repeat("0", 64)}, nil,
		Entry{Kind: KindRevocation, Revocation: &RevocationEntry{Digest: "sha256:" + strings.Repeat("a", 64), Reason: "leak"}}, t0)
	id, _, err := store.Add(context.Background(), gate.SignStatement(st))
	if err != nil {
		t.Fatal(err)
	}
	trust, _ := facts.NewTrust([]bundles.Signer{gate.TrustEntry()})
	l := Ledger{Store: store, Trust: trust}
	if rs, err := l.Control(context.Background(), "m", "production", time.Now()); err != nil || len(rs) != 1 {
		t.Fatalf("%d records: %v", len(rs), err)
	}
	hex := strings.TrimPrefix(id, "sha256:")
	os.WriteFile(filepath.Join(dir, "objects", hex[:2], hex), []byte("torn"), 0o644)
	_, err = l.Control(context.Background(), "m", "production", time.Now())
	if err == nil || !strings.Contains(err.Error(), "the rollbacks and revocations of m in production cannot all be read") {
		t.Fatalf("%v", err)
	}
}
