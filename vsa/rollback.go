package vsa

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
)

// RollbackPlan is what a rollback of a model in an environment would do.
type RollbackPlan struct {
	From *Admission // the champion rolled back from
	To   *Admission // what it restores: admitted by the rule but for a rollback from it
	Last *Record    // the newest record, which the rollback names as previous
}

// PlanRollback finds what a rollback restores at a time: the digest to
// (sha256 hex) when given, else the newest earlier champion. The target
// must be admitted by the one rule, apart from having been rolled back
// from; the error says why not.
func (l *Ledger) PlanRollback(ctx context.Context, model, env, to string, at time.Time) (*RollbackPlan, error) {
	st, err := l.state(ctx, model, env, at)
	if err != nil {
		return nil, err
	}
	from, _, err := l.championOf(ctx, st, model, env, "", at)
	if err != nil {
		return nil, err
	}
	if from == nil {
		return nil, fmt.Errorf("%s has no champion in %s to roll back from", model, env)
	}
	plan := &RollbackPlan{From: from, Last: st.Last}
	if to != "" {
		if to == from.Subject.SHA256 {
			return nil, fmt.Errorf("sha256:%s is already the champion of %s in %s", to, model, env)
		}
		a, err := l.admits(ctx, st, digest.Subject{Name: model, SHA256: to}, env, at, true)
		if err != nil {
			return nil, err
		}
		if !a.Admitted() {
			return nil, fmt.Errorf("cannot roll back to it: %s", a.Reason())
		}
		plan.To = a
		return plan, nil
	}
	// The newest earlier champion the rule would restore.
	var earlier []*Standing
	for sha, s := range st.standings {
		if sha != from.Subject.SHA256 && s.Admitting != nil && s.Revoked == nil {
			earlier = append(earlier, s)
		}
	}
	sort.Slice(earlier, func(i, j int) bool { return earlier[i].order > earlier[j].order })
	for _, s := range earlier {
		a, err := l.admits(ctx, st, digest.Subject{Name: model, SHA256: s.Admitting.Digest}, env, at, true)
		if err != nil {
			return nil, err
		}
		if a.Admitted() {
			plan.To = a
			return plan, nil
		}
	}
	return nil, fmt.Errorf("%s has no previous champion in %s that the ledger would admit again; name a digest to restore", model, env)
}

// championOf is the champion in a replayed state other than except.
func (l *Ledger) championOf(ctx context.Context, st *State, model, env, except string, at time.Time) (*Admission, *Record, error) {
	for _, c := range st.candidates() {
		if c.Digest == except {
			continue
		}
		a, err := l.admits(ctx, st, digest.Subject{Name: model, SHA256: c.Digest}, env, at, false)
		if err != nil {
			return nil, nil, err
		}
		if a.Admitted() {
			return a, st.Last, nil
		}
	}
	return nil, st.Last, nil
}

// Last is the newest record of a model in an environment (nil for none):
// the record a new one names as its previous.
func (l *Ledger) Last(ctx context.Context, model, env string, at time.Time) (*Record, error) {
	st, err := l.state(ctx, model, env, at)
	if err != nil {
		return nil, err
	}
	return st.Last, nil
}

// Promoted is the newest record that admits a digest of a model in an
// environment by the records there alone (not withdrawn, revoked or rolled
// back from): the champion, unless the rest of the rule refuses it.
func (l *Ledger) Promoted(ctx context.Context, model, env string, at time.Time) (*Record, error) {
	st, err := l.state(ctx, model, env, at)
	if err != nil {
		return nil, err
	}
	return st.champion, nil
}

// RollbackFor is the rollback an alert identity made of a model in an
// environment, or nil: the one that counts, whichever replica wrote it.
func (l *Ledger) RollbackFor(ctx context.Context, model, env string, a *AlertRef) (*Record, error) {
	st, err := l.state(ctx, model, env, time.Time{})
	if err != nil {
		return nil, err
	}
	return st.RollbackFor(a), nil
}

// NamesOf are the names under which the ledger holds records of a digest.
func (l *Ledger) NamesOf(ctx context.Context, sha string, at time.Time) ([]string, error) {
	rs, err := l.ByDigest(ctx, sha, at)
	if err != nil {
		return nil, err
	}
	var names []string
	seen := map[string]bool{}
	for _, r := range rs {
		if !seen[r.Model] {
			seen[r.Model] = true
			names = append(names, r.Model)
		}
	}
	sort.Strings(names)
	return names, nil
}

// Rollback carries out a plan: it signs, with sv, the rollback record that
// makes plan.To the champion of model in env again, and appends it to the
// ledger. The command and the alert receiver both write it through here.
// alert, when set, is the alert that triggered it.
func (l *Ledger) Rollback(ctx context.Context, sv signature.SignerVerifier, plan *RollbackPlan, model, env, reason string, alert *AlertRef, at time.Time) (*Appended, error) {
	passed := plan.To.Decision
	previous := ""
	if plan.Last != nil {
		previous = plan.Last.ID
	}
	from, to := plan.From.Subject.SHA256, plan.To.Subject.SHA256
	st, err := Statement(model, to, env, Passed, []string{VerifiedLevel(env, passed.Tier)},
		decision.Policy{URI: passed.Policy.URI, Digest: passed.Policy.Digest, Revision: passed.Policy.Revision}, []string{passed.Envelope},
		Entry{Kind: KindRollback, Tier: passed.Tier, TierSource: passed.TierSource, Approvers: passed.Approvers, Previous: previous,
			Rollback: &RollbackEntry{From: digest.Prefixed(from), To: digest.Prefixed(to), Reason: reason, VSA: passed.ID, Alert: alert}}, at)
	if err != nil {
		return nil, err
	}
	return l.Write(ctx, sv, st, "rollback")
}

// Write signs a record's statement with sv and appends it to the ledger;
// what names the record in an error ("rollback", "revocation").
func (l *Ledger) Write(ctx context.Context, sv signature.SignerVerifier, statement []byte, what string) (*Appended, error) {
	signed, err := Sign(ctx, sv, statement)
	if err != nil {
		return nil, err
	}
	a, err := l.Append(ctx, signed)
	if err != nil {
		return nil, fmt.Errorf("appending the %s: %w", what, err)
	}
	return a, nil
}

// Revoke signs, with sv, a revocation of a digest in an environment and
// appends it to the ledger. The name must be the one the ledger holds for
// the digest (a record is never evidence of a name, so a typo can neither
// miss the digest nor block another name): otherwise nothing is written,
// and the error names the name it holds.
func (l *Ledger) Revoke(ctx context.Context, sv signature.SignerVerifier, s digest.Subject, env, reason string, at time.Time) (*Appended, error) {
	book, err := l.Book(ctx)
	if err != nil {
		return nil, err
	}
	names, err := l.NamesOf(ctx, s.SHA256, at)
	if err != nil {
		return nil, err
	}
	switch {
	case len(names) == 0:
		return nil, fmt.Errorf("the ledger %s holds no record of sha256:%s; revoke a digest that was decided, under the name it was decided as", book.Log, s.SHA256)
	case !slices.Contains(names, s.Name):
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = fmt.Sprintf("%q", n)
		}
		return nil, fmt.Errorf("the ledger holds sha256:%s as %s, not %q; nothing was written: revoke %s", s.SHA256, strings.Join(quoted, " and "), s.Name, digest.Subject{Name: names[0], SHA256: s.SHA256})
	}
	last, err := l.Last(ctx, s.Name, env, at)
	if err != nil {
		return nil, err
	}
	previous := ""
	if last != nil {
		previous = last.ID
	}
	v := l.View
	st, err := Statement(s.Name, s.SHA256, env, Failed, nil, decision.Policy{URI: v.URI, Digest: v.Digest, Revision: v.Revision}, nil,
		Entry{Kind: KindRevocation, Previous: previous, Revocation: &RevocationEntry{Digest: digest.Prefixed(s.SHA256), Reason: reason}}, at)
	if err != nil {
		return nil, err
	}
	return l.Write(ctx, sv, st, "revocation")
}
