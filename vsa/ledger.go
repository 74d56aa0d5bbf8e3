package vsa

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/modelgate/modelgate/attest"
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

// Ledger reads a model's records from a store, verified against the
// bundle's trust list.
type Ledger struct {
	Store evidence.Store
	Trust *facts.Trust
}

// Skipped is a ledger envelope that does not count, and why.
type Skipped struct {
	ID     string
	Reason string
}

// Records returns a model's verified records in an environment (every
// environment when env is ""), oldest first, as of now: records dated in
// the future, signed by a key without the role, or not modelgate's are
// skipped, with the reason.
func (l *Ledger) Records(ctx context.Context, model, env string, now time.Time) ([]*Record, []Skipped, error) {
	k := ModelKey(model)
	if env != "" {
		k = ChampionKey(model, env)
	}
	envs, problems, err := l.Store.Subject(ctx, k.SHA256)
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
	return out, skipped, nil
}

// records verifies envelopes indexed under a key into records of a model
// (in env, unless ""), and says why the others do not count.
func (l *Ledger) records(ctx context.Context, keyHex string, envs []evidence.Envelope, now time.Time, model, env string) ([]*Record, []Skipped) {
	res := facts.Collect(ctx, l.Trust, keyHex, envs, now)
	var skipped []Skipped
	for _, r := range res.Rejected {
		skipped = append(skipped, Skipped{ID: r.ID, Reason: r.Reason})
	}
	out, more := FromFacts(res.Facts, model, env)
	return out, append(skipped, more...)
}

// FromFacts reads the ledger records of a model (in env, unless "") among
// verified facts, each signed by a holder of the role its kind needs.
func FromFacts(fs []facts.Fact, model, env string) ([]*Record, []Skipped) {
	var out []*Record
	var skipped []Skipped
	for _, f := range fs {
		if f.Type != attest.VSAType {
			continue
		}
		var r *Record
		var err error
		if f.Raw != nil {
			r, err = ParseRaw(f.Raw, f.Subjects)
		} else {
			r, err = Parse(f.Predicate, f.Subjects)
		}
		if err != nil {
			skipped = append(skipped, Skipped{ID: f.ID, Reason: err.Error()})
			continue
		}
		if r.Model != model || (env != "" && r.Environment != env) {
			continue
		}
		if !slices.ContainsFunc(MayRecord[r.Kind], func(role string) bool { return slices.Contains(f.Signer.Roles, role) }) {
			skipped = append(skipped, Skipped{ID: f.ID, Reason: fmt.Sprintf("signer %s may not sign a %s record (needs role %v)", f.Signer.ID, r.Kind, MayRecord[r.Kind])})
			continue
		}
		r.ID, r.Signer, r.SignerRoles = f.ID, f.Signer.Identity, f.Signer.Roles
		out = append(out, r)
	}
	return out, skipped
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
// until settle names a record and the oldest record read is older than it
// by more than Skew. A store that cannot list ids is read whole. The time
// this takes stays flat as the ledger grows.
func (l *Ledger) State(ctx context.Context, model, env string, now time.Time, settle func(*State) *Record) (*State, error) {
	lister, ok := l.Store.(evidence.Lister)
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
	seen := map[string]bool{}
	all := append([]*Record(nil), control...)
	for _, r := range control {
		seen[r.ID] = true
	}
	for end := len(ids); ; end -= window {
		start := max(end-window, 0)
		var envs []evidence.Envelope
		for _, id := range ids[start:end] {
			if seen[id] {
				continue
			}
			e, err := lister.Envelope(ctx, id)
			if err != nil {
				continue // unreadable: as Subject, it does not count
			}
			envs = append(envs, e)
		}
		tail, _ := l.records(ctx, k, envs, now, model, env)
		oldest := now
		for _, r := range tail {
			seen[r.ID] = true
			all = append(all, r)
			if r.Time.Before(oldest) {
				oldest = r.Time
			}
		}
		Order(all)
		s := Replay(all, env, now)
		if start == 0 {
			return s, nil
		}
		if r := settle(s); r != nil && oldest.Before(r.Time.Add(-Skew)) {
			return s, nil
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
	envs, problems, err := l.Store.Subject(ctx, keyHex)
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

// State is a model's standing in one environment, replayed from its records.
type State struct {
	Environment string
	// Champion is the record that made the current champion: a PASSED
	// decision or a rollback; nil when there is none.
	Champion *Record
	// Champions lists, oldest first, each record that made a champion.
	Champions []*Record
	// Passed is the newest PASSED decision for each digest.
	Passed map[string]*Record
	// Revoked and RolledBack name the record that revoked a digest, or
	// rolled back from it.
	Revoked    map[string]*Record
	RolledBack map[string]*Record
}

// Replay computes the state of an environment from its records (ordered)
// as they stood at a time (the zero time: all of them).
func Replay(records []*Record, env string, at time.Time) *State {
	s := &State{Environment: env, Passed: map[string]*Record{}, Revoked: map[string]*Record{}, RolledBack: map[string]*Record{}}
	for _, r := range records {
		if r.Environment != env || (!at.IsZero() && r.Time.After(at)) {
			continue
		}
		switch r.Kind {
		case KindDecision:
			if r.Result != Passed {
				continue
			}
			s.Passed[r.Digest] = r
			if s.Revoked[r.Digest] == nil {
				delete(s.RolledBack, r.Digest)
				s.Champion = r
				s.Champions = append(s.Champions, r)
			}
		case KindRollback:
			// The digest rolled back from loses its standing whatever the
			// replay holds of the target (a signed rollback says so).
			if from := r.Rollback.From; len(from) > 7 {
				s.RolledBack[from[7:]] = r
			}
			to := r.Rollback.To[len("sha256:"):]
			if s.Passed[to] == nil || s.Revoked[to] != nil {
				continue // a rollback to what never passed, or was revoked, restores nothing
			}
			delete(s.RolledBack, to)
			s.Champion = r
			s.Champions = append(s.Champions, r)
		case KindRevocation:
			s.Revoked[r.Digest] = r
			if s.Champion != nil && s.Champion.Digest == r.Digest {
				s.Champion = s.latest(func(c *Record) bool { return true })
			}
		}
	}
	return s
}

// latest is the newest champion record whose digest is neither revoked
// nor rolled back from, and that ok accepts.
func (s *State) latest(ok func(*Record) bool) *Record {
	for i := len(s.Champions) - 1; i >= 0; i-- {
		c := s.Champions[i]
		if s.Revoked[c.Digest] == nil && s.RolledBack[c.Digest] == nil && ok(c) {
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
	return s.latest(func(c *Record) bool { return c.Digest != s.Champion.Digest })
}

// Admitted reports whether the ledger currently admits a digest: it is the
// champion, or it holds a PASSED decision not revoked nor rolled back from.
func (s *State) Admitted(sha string) (*Record, bool) {
	p := s.Passed[sha]
	if p == nil || s.Revoked[sha] != nil || s.RolledBack[sha] != nil {
		return p, false
	}
	return p, true
}
