package vsa

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/tlog"
)

// MayRecord says which roles may sign each kind of record: decisions and
// rollbacks the gate alone, revocations the gate or a waiver holder.
var MayRecord = map[string][]string{
	KindDecision:   {"gate"},
	KindRollback:   {"gate"},
	KindRevocation: {"gate", "waiver"},
}

// Ledger is the promotion ledger as a bundle trusts it: the records of
// its transparency log, read through Source, and, for writers, the log's
// Appender. Every door asks it the same question through Admits.
type Ledger struct {
	Source Source
	// Appender appends records; nil for a ledger only read.
	Appender tlog.Appender
	Trust    *facts.Trust
	// View gives the tiers, thresholds and environments Admits applies.
	View *bundles.View
	// Admitters, when set, narrows who may admit: PASSED decisions and
	// rollbacks count only when signed by one of these key ids. Records that
	// restrict (FAILED decisions, revocations) count from every signer the
	// bundle trusts for them: narrowing never admits more. The Source's
	// Reader applies it.
	Admitters map[string]bool
}

// NewLedger is the one way to open the ledger: its records read through
// src, judged by the bundle's trust list and view. Writers set Appender;
// the webhook narrows Admitters to its gate keys.
func NewLedger(src Source, trust *facts.Trust, view *bundles.View) *Ledger {
	return &Ledger{Source: src, Trust: trust, View: view}
}

// Skipped is a ledger entry that does not count, and why.
type Skipped struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Book is the ledger's records as of the checkpoint its source read.
func (l *Ledger) Book(ctx context.Context) (*Book, error) {
	if l.Source == nil {
		return nil, errors.New("the ledger has no log to read")
	}
	return l.Source.Book(ctx)
}

// Records returns a model's verified records in an environment (every
// environment when env is ""), in log order, each once however many times
// it was appended; and the entries of the log that do not count.
func (l *Ledger) Records(ctx context.Context, model, env string, now time.Time) ([]*Record, []Skipped, error) {
	b, err := l.Book(ctx)
	if err != nil {
		return nil, nil, err
	}
	return slices.Clone(b.Of(model, env)), b.Skipped, nil
}

// ByDigest returns the verified records that name a digest, under any
// model name and in any environment: what the ledger knows of it.
func (l *Ledger) ByDigest(ctx context.Context, sha string, now time.Time) ([]*Record, error) {
	b, err := l.Book(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Clone(b.byDigest[sha]), nil
}

// Admits reports whether a record can admit a digest (a PASSED decision
// or a rollback) rather than restrict it.
func (r *Record) Admits() bool {
	return r.Kind == KindRollback || (r.Kind == KindDecision && r.Result == Passed)
}

// state replays a model's ledger in an environment as of a time.
func (l *Ledger) state(ctx context.Context, model, env string, at time.Time) (*State, error) {
	b, err := l.Book(ctx)
	if err != nil {
		return nil, err
	}
	return b.State(model, env, at), nil
}

// Appended is a record in the ledger: where it is in the log, and the
// signed checkpoint that covers it.
type Appended struct {
	Record     *Record
	Index      uint64
	Checkpoint []byte
	// Duplicate: the record was in the log already (a retry), at Index.
	Duplicate bool
}

// Append is the one way a record enters the ledger: it must verify
// against the bundle with a role that may write its kind; a record
// already in the log is not appended again. It returns once the entry is
// integrated and a signed checkpoint covers it: until then nothing is
// admitted by it, and on an error nothing is.
func (l *Ledger) Append(ctx context.Context, signed []byte) (*Appended, error) {
	if l.Appender == nil {
		return nil, errors.New("this ledger is opened only to read it")
	}
	rec, err := Verify(ctx, l.Trust, signed, time.Now())
	if err != nil {
		return nil, fmt.Errorf("%w: the record does not verify against the policy bundle: %v", tlog.ErrRefused, err)
	}
	if l.Source != nil {
		if b, err := l.Source.Book(ctx); err == nil {
			if have := b.Find(rec.ID); have != nil {
				rec.Index = have.Index
				return &Appended{Record: have, Index: have.Index, Checkpoint: b.Checkpoint, Duplicate: true}, nil
			}
		}
	}
	a, err := l.Appender.Append(ctx, signed)
	if err != nil {
		return nil, err
	}
	if _, err := l.Trust.Logs().Verify(a.Checkpoint); err != nil {
		return nil, fmt.Errorf("the record was appended at %d, but the log's checkpoint does not verify: %w", a.Index, err)
	}
	rec.Index = a.Index
	return &Appended{Record: rec, Index: a.Index, Checkpoint: a.Checkpoint, Duplicate: a.Duplicate}, nil
}

// Standing is where one digest stands in an environment, from its records.
type Standing struct {
	// Admitting is the record that admits the digest: its newest PASSED
	// decision, or a newer rollback to it. Nil when it never passed, or a
	// newer FAILED decision withdrew it.
	Admitting *Record
	// Passed is the newest PASSED decision: what Admitting rests on.
	Passed *Record
	// Withdrawn is the FAILED decision that withdrew the last PASSED one.
	Withdrawn *Record
	// RolledBack is a rollback from the digest newer than Admitting.
	RolledBack *Record
	// Revoked is the first revocation of the digest: final.
	Revoked *Record
	order   int // Admitting's place in the ledger
}

// admitted is the ledger's rule on records alone (points 1, 3 and 4).
func (st *Standing) admitted() bool {
	return st != nil && st.Admitting != nil && st.RolledBack == nil && st.Revoked == nil
}

// State is a model's standing in one environment, replayed from its records.
type State struct {
	Environment string
	// champion is the record that made the current champion: the newest
	// admitting record of a digest the records still admit; nil when none.
	champion *Record
	// Last is the newest record of any kind: the next record names it as
	// its previous.
	Last      *Record
	standings map[string]*Standing
	byAlert   map[string]*Record // the rollback each alert identity made
}

// RollbackFor is the rollback an alert identity made, or nil.
func (s *State) RollbackFor(a *AlertRef) *Record {
	return s.byAlert[a.Key()]
}

// Standing is where a digest stands; the zero Standing when it has no record.
func (s *State) Standing(sha string) Standing {
	if st := s.standings[sha]; st != nil {
		return *st
	}
	return Standing{}
}

// Replay computes the state of an environment from its records (ordered)
// as they stood at a time (the zero time: all of them).
func Replay(records []*Record, env string, at time.Time) *State {
	s := &State{Environment: env, standings: map[string]*Standing{}}
	of := func(sha string) *Standing {
		st := s.standings[sha]
		if st == nil {
			st = &Standing{}
			s.standings[sha] = st
		}
		return st
	}
	seen := map[string]bool{}
	alerts := map[string]*Record{}
	for i, r := range records {
		if r.Environment != env || (!at.IsZero() && r.Time.After(at)) || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		s.Last = r
		if r.Kind == KindRollback && r.Rollback.Alert != nil {
			// One alert rolls back once: a second rollback of its identity
			// (a re-sent notification, another replica) changes nothing.
			k := r.Rollback.Alert.Key()
			if alerts[k] != nil {
				continue
			}
			alerts[k] = r
			if s.byAlert == nil {
				s.byAlert = map[string]*Record{}
			}
			s.byAlert[k] = r
		}
		switch r.Kind {
		case KindDecision:
			st := of(r.Digest)
			if r.Result == Passed {
				st.Admitting, st.Passed, st.Withdrawn, st.RolledBack, st.order = r, r, nil, nil, i
			} else {
				st.Admitting, st.Withdrawn = nil, r
			}
		case KindRollback:
			st := of(r.Digest)
			if st.Passed == nil || st.Withdrawn != nil || st.Revoked != nil {
				continue // a rollback to what never passed, was withdrawn or revoked does nothing
			}
			if from := r.Rollback.From; len(from) > 7 {
				of(from[7:]).RolledBack = r
			}
			st.Admitting, st.RolledBack, st.order = r, nil, i
		case KindRevocation:
			if st := of(r.Digest); st.Revoked == nil {
				st.Revoked = r
			}
		}
	}
	s.champion = s.latest(func(*Record) bool { return true })
	return s
}

// candidates are the admitted digests' admitting records, newest first.
func (s *State) candidates() []*Record {
	var out []*Standing
	for _, st := range s.standings {
		if st.admitted() {
			out = append(out, st)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order > out[j].order })
	rs := make([]*Record, len(out))
	for i, st := range out {
		rs[i] = st.Admitting
	}
	return rs
}

// latest is the newest admitting record of an admitted digest that ok accepts.
func (s *State) latest(ok func(*Record) bool) *Record {
	for _, c := range s.candidates() {
		if ok(c) {
			return c
		}
	}
	return nil
}

// championOtherThan is the champion a candidate is judged against: the
// current one, or when the candidate is the champion itself, the one
// before it.
func (s *State) championOtherThan(candidate string) *Record {
	return s.latest(func(c *Record) bool { return c.Digest != candidate })
}

// previous is where a rollback goes by default: the newest earlier
// champion other than the current one.
func (s *State) previous() *Record {
	if s.champion == nil {
		return nil
	}
	return s.championOtherThan(s.champion.Digest)
}

// admitted reports whether the records alone admit a digest (the rule's
// points 1, 3 and 4), and the record that admits it.
func (s *State) admitted(sha string) (*Record, bool) {
	st := s.standings[sha]
	if !st.admitted() {
		return nil, false
	}
	return st.Admitting, true
}

// OrderByTime sorts records as the ledger's readers ordered them before it
// was a log: by signed time, ties by the digest of the signed predicate.
// Only 'ledger import' needs it; the log's order is the ledger's order.
func OrderByTime(rs []*Record) {
	sort.SliceStable(rs, func(i, j int) bool {
		if !rs[i].Time.Equal(rs[j].Time) {
			return rs[i].Time.Before(rs[j].Time)
		}
		return rs[i].Tie < rs[j].Tie
	})
}
