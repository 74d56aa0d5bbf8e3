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
	res := facts.Collect(ctx, l.Trust, k.SHA256, envs, now)
	for _, r := range res.Rejected {
		skipped = append(skipped, Skipped{ID: r.ID, Reason: r.Reason})
	}
	var out []*Record
	for _, f := range res.Facts {
		if f.Type != attest.VSAType {
			skipped = append(skipped, Skipped{ID: f.ID, Reason: "not a VSA"})
			continue
		}
		r, err := Parse(f.Predicate, f.Subjects)
		if err != nil {
			skipped = append(skipped, Skipped{ID: f.ID, Reason: err.Error()})
			continue
		}
		if r.Model != model || (env != "" && r.Environment != env) {
			skipped = append(skipped, Skipped{ID: f.ID, Reason: fmt.Sprintf("indexed under %s but about %s in %s", k.Name, r.Model, r.Environment)})
			continue
		}
		if !slices.ContainsFunc(MayRecord[r.Kind], func(role string) bool { return slices.Contains(f.Signer.Roles, role) }) {
			skipped = append(skipped, Skipped{ID: f.ID, Reason: fmt.Sprintf("signer %s may not sign a %s record (needs role %v)", f.Signer.ID, r.Kind, MayRecord[r.Kind])})
			continue
		}
		r.ID, r.Signer, r.SignerRoles = f.ID, f.Signer.Identity, f.Signer.Roles
		out = append(out, r)
	}
	Order(out)
	return out, skipped, nil
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
	Records    []*Record
}

// Replay computes the state of an environment from its records (ordered)
// as they stood at a time (the zero time: all of them).
func Replay(records []*Record, env string, at time.Time) *State {
	s := &State{Environment: env, Passed: map[string]*Record{}, Revoked: map[string]*Record{}, RolledBack: map[string]*Record{}}
	for _, r := range records {
		if r.Environment != env || (!at.IsZero() && r.Time.After(at)) {
			continue
		}
		s.Records = append(s.Records, r)
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
			to := r.Rollback.To[len("sha256:"):]
			if s.Passed[to] == nil || s.Revoked[to] != nil {
				continue // a rollback to what never passed, or was revoked, restores nothing
			}
			if from := r.Rollback.From; len(from) > 7 {
				s.RolledBack[from[7:]] = r
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
