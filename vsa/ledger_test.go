package vsa

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/tlog"
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
	if s.champion == nil {
		return ""
	}
	return s.champion.Digest
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
		// Two decisions with one signed time: the log's order decides.
		{"the log orders records with one time", []*Record{rec(KindDecision, Passed, "b", 1, "9"), rec(KindDecision, Passed, "a", 1, "1")}, "a", "b"},
		{"the log orders records whatever their signed times", []*Record{rec(KindDecision, Passed, "b", 2, "9"), rec(KindDecision, Passed, "a", 1, "1")}, "a", "b"},
	} {
		rs := append([]*Record(nil), c.records...)
		s := Replay(rs, "production", time.Time{})
		prev := ""
		if p := s.previous(); p != nil {
			prev = p.Digest
		}
		if champion(s) != c.champion || prev != c.previous {
			t.Errorf("%s: champion %q previous %q, want %q %q", c.name, champion(s), prev, c.champion, c.previous)
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
	if c := s.championOtherThan("b"); c == nil || c.Digest != "a" {
		t.Fatalf("%v", c)
	}
	if c := s.championOtherThan("c"); c == nil || c.Digest != "b" {
		t.Fatalf("%v", c)
	}
	if _, ok := s.admitted("a"); !ok {
		t.Fatal("a PASSED, unrevoked digest is admitted")
	}
	s = Replay(append(rs, rollback("b", "a", 3)), "production", time.Time{})
	if _, ok := s.admitted("b"); ok {
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

// Records enter the ledger through one append: verified against the
// bundle with a role that may write them, once however often appended, and
// read back in the log's order by every reader.
func TestAppendAndReadTheLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	gate := testkit.FixedParty("gate", "gate")
	approver := testkit.FixedParty("alice", "approver")
	lk := testkit.NewLogKey("ledger.test.example/vsa")
	if err := lk.Init(filepath.Join(dir, "tlog")); err != nil {
		t.Fatal(err)
	}
	trust, err := facts.NewTrust([]bundles.Signer{gate.TrustEntry(), approver.TrustEntry(), lk.TrustEntry()})
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := tlog.ParseSpec("dir:" + filepath.Join(dir, "tlog"))
	app, err := tlog.OpenAppender(ctx, spec, lk.Signer, tlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(ctx)
	seen := &tlog.SeenDir{Dir: filepath.Join(dir, "seen")}
	source := func() *LogSource { return &LogSource{Spec: spec, Reader: &Reader{Trust: trust}, Seen: seen} }
	l := Ledger{Source: source(), Appender: app, Trust: trust}
	revocation := func(d string) []byte {
		st, _ := Statement("m", strings.Repeat(d, 64), "production", Failed, nil, decision.Policy{URI: "p", Digest: "sha256:" + strings.Repeat("0", 64)}, nil,
			Entry{Kind: KindRevocation, Revocation: &RevocationEntry{Digest: "sha256:" + strings.Repeat(d, 64), Reason: "leak"}}, t0)
		return st
	}
	first, err := l.Append(ctx, gate.SignStatement(revocation("a")))
	if err != nil || first.Index != 0 || first.Duplicate {
		t.Fatalf("%+v %v", first, err)
	}
	// The same record again, re-signed (another envelope): once.
	l.Source = source()
	again, err := l.Append(ctx, gate.SignStatement(revocation("a")))
	if err != nil || !again.Duplicate || again.Index != 0 {
		t.Fatalf("a retry: %+v %v", again, err)
	}
	_, err = l.Append(ctx, approver.SignStatement(revocation("b")))
	if !errors.Is(err, tlog.ErrRefused) || !strings.Contains(err.Error(), "signer alice may not sign a revocation record (needs role [gate waiver])") {
		t.Fatalf("an approver's revocation: %v", err)
	}
	second, err := l.Append(ctx, gate.SignStatement(revocation("c")))
	if err != nil || second.Index != 1 {
		t.Fatalf("%+v %v", second, err)
	}
	book, err := source().Book(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if book.Size != 2 || len(book.Records) != 2 || book.Records[0].Digest != strings.Repeat("a", 64) || book.Records[1].Index != 1 {
		t.Fatalf("%d entries, %d records", book.Size, len(book.Records))
	}
	// The newest record deleted (the entry bundle rewritten without it and
	// the checkpoint rolled back): a reader that saw it refuses the log.
	os.Remove(filepath.Join(dir, "tlog", "checkpoint"))
	_, err = source().Book(ctx)
	if err == nil || !strings.Contains(err.Error(), "ledger rewritten") {
		t.Fatalf("a deleted checkpoint: %v", err)
	}
}
