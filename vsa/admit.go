package vsa

import (
	"context"
	"fmt"
	"github.com/modelgate/modelgate/bundles"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
)

// Refusal says why the ledger does not admit a digest.
type Refusal string

// The refusals of the one rule, as admission counts them in its metrics.
const (
	NotPromoted Refusal = "not-promoted"    // no PASSED decision, nor a rollback to it
	Withdrawn   Refusal = "withdrawn"       // a newer FAILED decision
	Revoked     Refusal = "revoked"         // a revocation, final
	RolledBack  Refusal = "rolled-back"     // rolled back from after it was admitted
	Expired     Refusal = "expired"         // older than the tier's max_vsa_age_days
	OutOfOrder  Refusal = "promotion-order" // an environment it requires does not admit it
	TierTooLow  Refusal = "tier"            // decided at a lower tier than the model's now
)

// Admission is the ledger's answer for one model, digest and environment
// at one time: the record it rests on, or why not.
type Admission struct {
	Subject     digest.Subject
	Environment string
	At          time.Time
	// Record is what admits it: a PASSED decision, or a rollback to one.
	Record *Record
	// Decision is the PASSED decision the admission rests on.
	Decision *Record
	// Expires is when the decision stops admitting (zero: never).
	Expires time.Time
	Refusal Refusal
	// By is the record behind a refusal: the revocation, the FAILED
	// decision, the rollback, or the admitting record too old or too low.
	By *Record
	// Requires is the environment that did not admit it (Order).
	Requires string
	// ModelTier is the model's tier now (TierTooLow); MaxAgeDays the limit (Expired).
	ModelTier  string
	MaxAgeDays float64
}

// Admitted reports whether the rule admits the digest.
func (a *Admission) Admitted() bool { return a.Refusal == "" }

// Reason says in one line why the ledger refuses, without advice: each
// door adds what its user can do.
func (a *Admission) Reason() string {
	ref, env := a.Subject.String(), a.Environment
	switch a.Refusal {
	case "":
		return fmt.Sprintf("%s is admitted in %s by %s %s of %s", ref, env, a.Record.Kind, a.Record.ID, attest.NormalTime(a.Record.Time))
	case NotPromoted:
		return fmt.Sprintf("%s has no PASSED decision in %s signed by a gate key", ref, env)
	case Withdrawn:
		return fmt.Sprintf("%s was withdrawn in %s: a FAILED decision of %s (%s) is newer than its PASSED one", ref, env, attest.NormalTime(a.By.Time), a.By.ID)
	case Revoked:
		return fmt.Sprintf("%s was revoked in %s at %s by %s: %s", ref, env, attest.NormalTime(a.By.Time), a.By.Signer, a.By.Revocation.Reason)
	case RolledBack:
		return fmt.Sprintf("%s was rolled back from in %s at %s (%s); the champion is %s", ref, env, attest.NormalTime(a.By.Time), a.By.Rollback.Reason, a.By.Rollback.To)
	case Expired:
		return fmt.Sprintf("the PASSED decision of %s in %s (%s) expired at %s: the %s tier admits for %v days", ref, env, attest.NormalTime(a.By.Time), attest.NormalTime(a.Expires), a.By.Tier, a.MaxAgeDays)
	case OutOfOrder:
		return fmt.Sprintf("%s is not promoted through %s, which %s requires", ref, a.Requires, env)
	case TierTooLow:
		return fmt.Sprintf("%s was decided at tier %s in %s, but %s is a %s-tier model", ref, a.By.Tier, env, a.Subject.Name, a.ModelTier)
	}
	return string(a.Refusal)
}

// Admits is the ledger's one rule, the only place it is written:
// NAME@DIGEST is admitted in ENV at time at when, among the records as of at,
//  1. the newest decision for the digest in ENV is PASSED (a newer FAILED
//     one withdraws it), or a newer rollback restored it;
//  2. the PASSED decision is younger than its tier's max_vsa_age_days;
//  3. no revocation of the digest in ENV exists;
//  4. it was not rolled back from after that;
//  5. every environment ENV requires admits it by this rule;
//  6. the decision's tier is at least the model's tier now.
//
// An error (an unreadable or broken ledger) is never an admission.
func (l *Ledger) Admits(ctx context.Context, s digest.Subject, env string, at time.Time) (*Admission, error) {
	st, err := l.state(ctx, s.Name, env, at)
	if err != nil {
		return nil, err
	}
	return l.admits(ctx, st, s, env, at, false)
}

// admits applies the rule to a digest in an environment's replayed state;
// restoring, a rollback from it does not count (point 4), as a rollback
// to it may lift that.
func (l *Ledger) admits(ctx context.Context, st *State, s digest.Subject, env string, at time.Time, restoring bool) (*Admission, error) {
	a := &Admission{Subject: s, Environment: env, At: at}
	std := st.Standing(s.SHA256)
	refuse := func(r Refusal, by *Record) (*Admission, error) {
		a.Refusal, a.By = r, by
		return a, nil
	}
	switch {
	case std.Revoked != nil:
		return refuse(Revoked, std.Revoked)
	case std.Admitting == nil && std.Withdrawn != nil:
		return refuse(Withdrawn, std.Withdrawn)
	case std.Admitting == nil:
		return refuse(NotPromoted, nil)
	case std.RolledBack != nil && !restoring:
		return refuse(RolledBack, std.RolledBack)
	}
	a.Record, a.Decision = std.Admitting, std.Passed
	if l.View == nil {
		return nil, fmt.Errorf("the ledger's rule needs the policy bundle's tiers and environments")
	}
	if tier, _ := l.View.TierOf(s.Name); bundles.TierRank(a.Decision.Tier) < bundles.TierRank(tier) {
		a.ModelTier = tier
		return refuse(TierTooLow, a.Decision)
	}
	if max := l.View.Effective(a.Decision.Tier, s.Name).MaxVSAAgeDays; max != nil {
		a.MaxAgeDays = *max
		a.Expires = a.Decision.Time.Add(time.Duration(*max * 24 * float64(time.Hour)))
		if !at.Before(a.Expires) {
			return refuse(Expired, a.Decision)
		}
	}
	for _, req := range l.View.Environments[env].Requires {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, err := l.Admits(ctx, s, req, at)
		if err != nil {
			return nil, err
		}
		if !r.Admitted() {
			a.Requires = req
			return refuse(OutOfOrder, r.By)
		}
		if !r.Expires.IsZero() && (a.Expires.IsZero() || r.Expires.Before(a.Expires)) {
			a.Expires = r.Expires
		}
	}
	return a, nil
}

// Champion is the champion of a model in an environment at a time, other
// than the digest except (the candidate judged against it; "" for none):
// the digest with the newest admitting record that the one rule admits.
// Nil when there is none. The state it read says the rest of what a
// decision needs: the newest record (the next one's previous) and every
// revocation, rollbacks and revocations being read whole.
func (l *Ledger) Champion(ctx context.Context, model, env, except string, at time.Time) (*Admission, *State, error) {
	st, err := l.state(ctx, model, env, at)
	if err != nil {
		return nil, nil, err
	}
	a, _, err := l.championOf(ctx, st, model, env, except, at)
	return a, st, err
}
