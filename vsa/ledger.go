package vsa

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
)

// MayRecord says which roles may sign each kind of record: decisions and
// rollbacks the gate alone, revocations the gate or a waiver holder.
var MayRecord = map[string][]string{
	KindDecision:   {"gate"},
	KindRollback:   {"gate"},
	KindRevocation: {"gate", "waiver"},
}

// Ledger reads a model's records from a store's ledger index, verified
// against the bundle's trust list. Evidence about a digest never reaches
// it: only VSAs are indexed there.
type Ledger struct {
	Store evidence.Store
	Trust *facts.Trust
	// View gives the tiers, thresholds and environments Admits applies.
	View *bundles.View
	// Admitters, when set, narrows who may admit: PASSED decisions and
	// rollbacks count only when signed by one of these key ids. Records that
	// restrict (FAILED decisions, revocations) count from every signer the
	// bundle trusts for them: narrowing never admits more.
	Admitters map[string]bool
}

// Skipped is a ledger envelope that does not count, and why.
type Skipped struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// BrokenError is a ledger whose chain names a record the store lacks: a
// record was deleted, or the store lost it.
type BrokenError struct {
	Store   string
	Record  *Record
	Missing string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("ledger broken: record %s (%s of %s in %s, %s) names the record %s before it, which is missing from %s; restore it from a backup before trusting this ledger",
		e.Record.ID, e.Record.Kind, e.Record.Ref(), e.Record.Environment, attest.NormalTime(e.Record.Time), e.Missing, e.Store)
}

// Records returns a model's verified records in an environment (every
// environment when env is ""), oldest first, as of now, each once however
// many envelopes carry it. Records dated in the future, signed by a key
// without the role, or not modelgate's are skipped, with the reason. A
// record whose previous record is missing is a *BrokenError.
func (l *Ledger) Records(ctx context.Context, model, env string, now time.Time) ([]*Record, []Skipped, error) {
	k := ModelKey(model)
	if env != "" {
		k = ChampionKey(model, env)
	}
	envs, problems, err := l.Store.Ledger().Subject(ctx, k.SHA256)
	if err != nil {
		return nil, nil, err
	}
	var skipped []Skipped
	for _, p := range problems {
		skipped = append(skipped, Skipped{ID: p.Source, Reason: p.Reason})
	}
	out, more := l.records(ctx, k.SHA256, envs, now, model, env)
	skipped = append(skipped, more...)
	Order(out)
	if err := l.checkChain(out, out, nil); err != nil {
		return nil, nil, err
	}
	return out, skipped, nil
}

// ByDigest returns the verified records that name a digest, under any
// model name and in any environment: what the ledger knows of it.
func (l *Ledger) ByDigest(ctx context.Context, sha string, now time.Time) ([]*Record, error) {
	envs, _, err := l.Store.Ledger().Subject(ctx, sha)
	if err != nil {
		return nil, err
	}
	res := facts.Collect(ctx, l.Trust, sha, envs, now)
	out, _ := l.fromFacts(res.Facts, "", "")
	Order(out)
	return dedupe(out), nil
}

// records verifies envelopes indexed under a key into records of a model
// (in env, unless ""), and says why the others do not count.
func (l *Ledger) records(ctx context.Context, keyHex string, envs []evidence.Envelope, now time.Time, model, env string) ([]*Record, []Skipped) {
	res := facts.Collect(ctx, l.Trust, keyHex, envs, now)
	var skipped []Skipped
	for _, r := range res.Rejected {
		skipped = append(skipped, Skipped{ID: r.ID, Reason: r.Reason})
	}
	out, more := l.fromFacts(res.Facts, model, env)
	return dedupe(out), append(skipped, more...)
}

// dedupe keeps one record per statement id.
func dedupe(rs []*Record) []*Record {
	seen := make(map[string]bool, len(rs))
	out := rs[:0]
	for _, r := range rs {
		if !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	return out
}

// fromFacts reads the ledger records of a model (any model when ""; in
// env, unless "") among verified facts, each signed by a holder of the
// role its kind needs.
func (l *Ledger) fromFacts(fs []facts.Fact, model, env string) ([]*Record, []Skipped) {
	var out []*Record
	var skipped []Skipped
	for _, f := range fs {
		if f.Type != attest.VSAType {
			continue
		}
		r, err := ParseRaw(f.Raw, f.Subjects)
		if err != nil {
			skipped = append(skipped, Skipped{ID: f.ID, Reason: err.Error()})
			continue
		}
		if (model != "" && r.Model != model) || (env != "" && r.Environment != env) {
			continue
		}
		if !slices.ContainsFunc(MayRecord[r.Kind], func(role string) bool { return slices.Contains(f.Signer.Roles, role) }) {
			skipped = append(skipped, Skipped{ID: f.ID, Reason: fmt.Sprintf("signer %s may not sign a %s record (needs role %v)", f.Signer.ID, r.Kind, MayRecord[r.Kind])})
			continue
		}
		if l.Admitters != nil && r.Admits() && !l.Admitters[f.Signer.KeyID] {
			skipped = append(skipped, Skipped{ID: f.ID, Reason: fmt.Sprintf("signer %s is not among the gate keys this reader accepts", f.Signer.ID)})
			continue
		}
		r.ID, r.Envelope, r.Signer, r.SignerRoles = f.StatementID, f.ID, f.Signer.Identity, f.Signer.Roles
		out = append(out, r)
	}
	return out, skipped
}

// Admits reports whether a record can admit a digest (a PASSED decision
// or a rollback) rather than restrict it.
func (r *Record) Admits() bool {
	return r.Kind == KindRollback || (r.Kind == KindDecision && r.Result == Passed)
}

// checkChain finds, among the records to check, one whose previous record
// is not among those read; nil when every link holds.
func (l *Ledger) checkChain(check, read []*Record, extra map[string]bool) error {
	ids := make(map[string]bool, len(read))
	for _, r := range read {
		ids[r.ID] = true
	}
	for _, r := range check {
		if r.Previous != "" && !ids[r.Previous] && !extra[r.Previous] {
			return &BrokenError{Store: l.Store.String(), Record: r, Missing: r.Previous}
		}
	}
	return nil
}

// Skew is how far apart two writers' clocks may be: a record is taken to
// be appended to the ledger no more than this after records it is older
// than by its signed time.
const Skew = 10 * time.Minute

// window is how many records State verifies at a time from the newest end.
const window = 64

// State replays a model's ledger in an environment as of now, reading no
// more of it than settle needs: the rollbacks and revocations whole (they
// are few), and the decisions from the newest end, a window at a time,
// until settle names a record, the oldest record read is older than it by
// more than Skew, and every record from it on finds the record it names as
// previous. A store that cannot list ids is read whole. The time this
// takes stays flat as the ledger grows.
func (l *Ledger) State(ctx context.Context, model, env string, now time.Time, settle func(*State) *Record) (*State, error) {
	ledger := l.Store.Ledger()
	lister, ok := ledger.(evidence.Lister)
	if !ok {
		rs, _, err := l.Records(ctx, model, env, now)
		if err != nil {
			return nil, err
		}
		return Replay(rs, env, now), nil
	}
	control, err := l.Control(ctx, model, env, now)
	if err != nil {
		return nil, err
	}
	k := ChampionKey(model, env).SHA256
	ids, err := lister.IDs(ctx, k)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{} // envelope ids read
	all := append([]*Record(nil), control...)
	for _, r := range control {
		seen[r.Envelope] = true
	}
	for end := len(ids); ; end -= window {
		start := max(end-window, 0)
		var envs []evidence.Envelope
		for _, id := range ids[start:end] {
			if seen[id] {
				continue
			}
			seen[id] = true
			e, err := lister.Envelope(ctx, id)
			if err != nil {
				continue // unreadable: as Subject, it does not count
			}
			envs = append(envs, e)
		}
		tail, _ := l.records(ctx, k, envs, now, model, env)
		oldest := now
		for _, r := range tail {
			all = append(all, r)
			if r.Time.Before(oldest) {
				oldest = r.Time
			}
		}
		all = dedupe(all)
		Order(all)
		if start == 0 {
			if err := l.checkChain(all, all, nil); err != nil {
				return nil, err
			}
			return Replay(all, env, now), nil
		}
		s := Replay(all, env, now)
		if r := settle(s); r != nil && oldest.Before(r.Time.Add(-Skew)) {
			from := slices.IndexFunc(all, func(c *Record) bool { return !c.Time.Before(r.Time) })
			if l.checkChain(all[from:], all, nil) == nil {
				return s, nil
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// Control reads a model's rollbacks and revocations in an environment. A
// file of them the store cannot read is an error, not a skip: a revocation
// could be the one that is missing. (An envelope that reads but does not
// verify is nobody's record and is left out.)
func (l *Ledger) Control(ctx context.Context, model, env string, now time.Time) ([]*Record, error) {
	keyHex := ControlKey(model, env).SHA256
	envs, problems, err := l.Store.Ledger().Subject(ctx, keyHex)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("the rollbacks and revocations of %s in %s cannot all be read (%s: %s); one could be a revocation: repair the store", model, env, problems[0].Source, problems[0].Reason)
	}
	rs, _ := l.records(ctx, keyHex, envs, now, model, env)
	return rs, nil
}

// Order sorts records by their signed time; records with one time by the
// digest of their signed predicate, which nobody can choose without
// signing another record.
func Order(rs []*Record) {
	sort.SliceStable(rs, func(i, j int) bool {
		if !rs[i].Time.Equal(rs[j].Time) {
			return rs[i].Time.Before(rs[j].Time)
		}
		return rs[i].Tie < rs[j].Tie
	})
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
	// Champion is the record that made the current champion: the newest
	// admitting record of a digest the records still admit; nil when none.
	Champion *Record
	// Last is the newest record of any kind: the next record names it as
	// its previous.
	Last      *Record
	standings map[string]*Standing
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
	for i, r := range records {
		if r.Environment != env || (!at.IsZero() && r.Time.After(at)) || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		s.Last = r
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
	s.Champion = s.latest(func(*Record) bool { return true })
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

// ChampionOtherThan is the champion a candidate is judged against: the
// current one, or when the candidate is the champion itself, the one
// before it.
func (s *State) ChampionOtherThan(candidate string) *Record {
	return s.latest(func(c *Record) bool { return c.Digest != candidate })
}

// Previous is where a rollback goes by default: the newest earlier
// champion other than the current one.
func (s *State) Previous() *Record {
	if s.Champion == nil {
		return nil
	}
	return s.ChampionOtherThan(s.Champion.Digest)
}

// Admitted reports whether the records alone admit a digest (the rule's
// points 1, 3 and 4), and the record that admits it.
func (s *State) Admitted(sha string) (*Record, bool) {
	st := s.standings[sha]
	if !st.admitted() {
		return nil, false
	}
	return st.Admitting, true
}
