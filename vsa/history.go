package vsa

import (
	"context"
	"fmt"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
)

// History is a model's ledger as 'history' shows it: its records newest
// first, the rollbacks an alert already made (a re-sent notification,
// another replica) each with the rollback that counted, the records that
// were left out and why, and a note for each environment whose newest
// promotion the rule does not admit.
type History struct {
	Records  []*Record
	RepeatOf map[string]string // record id → the rollback that counted
	Skipped  []Skipped
	Notes    []string
}

// History reads a model's ledger, in one environment or all ("").
func (l *Ledger) History(ctx context.Context, model, env string, now time.Time) (*History, error) {
	records, skipped, err := l.Records(ctx, model, env, now)
	if err != nil {
		return nil, err
	}
	h := &History{RepeatOf: map[string]string{}, Skipped: skipped}
	first := map[string]string{}
	for _, r := range records {
		if r.Kind == KindRollback && r.Rollback.Alert != nil {
			k := r.Environment + "\x00" + r.Rollback.Alert.Key()
			if f, ok := first[k]; ok {
				h.RepeatOf[r.ID] = f
			} else {
				first[k] = r.ID
			}
		}
	}
	for i := len(records) - 1; i >= 0; i-- {
		h.Records = append(h.Records, records[i])
	}
	envs := l.View.Order
	if env != "" {
		envs = []string{env}
	}
	for _, e := range envs {
		p, err := l.Promoted(ctx, model, e, now)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue
		}
		a, err := l.Admits(ctx, p.Ref(), e, now)
		if err != nil {
			return nil, err
		}
		if a.Refusal == OutOfOrder {
			h.Notes = append(h.Notes, fmt.Sprintf("%s's newest promotion, %s (%s %s), is not admitted: %s (%s); promote a model through %s again, or roll %s back to a digest %s admits",
				e, p.Ref(), p.Kind, p.ID, a.Reason(), l.why(ctx, p.Ref(), a.Requires, now), a.Requires, e, a.Requires))
		}
	}
	return h, nil
}

// why says why an environment's rule refuses a digest.
func (l *Ledger) why(ctx context.Context, s digest.Subject, env string, now time.Time) string {
	a, err := l.Admits(ctx, s, env, now)
	if err != nil {
		return err.Error()
	}
	return a.Reason()
}

// Input is one thing a champion's decision rested on, found again in the
// store and verified: a piece of evidence, or a ledger record of an
// environment its promotion required.
type Input struct {
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	Signer  string         `json:"signer"`
	Summary string         `json:"summary"`
	Metrics map[string]any `json:"metrics,omitempty"`
}

// ChampionAt answers "which digest was the champion of a model in an
// environment at a time, and why": the record the rule admitted (nil for
// none), the gates of the PASSED decision it rests on, the inputs found
// again, and those that could not be found or verified.
type ChampionAt struct {
	Environment string
	Record      *Record
	Gates       []GateOutcome
	Inputs      []Input
	Missing     []string
}

// ChampionsAt answers for one environment, or every one ("").
func (l *Ledger) ChampionsAt(ctx context.Context, store evidence.Store, model, env string, at time.Time) ([]ChampionAt, error) {
	envs := []string{env}
	if env == "" {
		envs = l.View.Order
	}
	var answers []ChampionAt
	for _, e := range envs {
		a := ChampionAt{Environment: e}
		adm, _, err := l.Champion(ctx, model, e, "", at)
		if err != nil {
			return nil, err
		}
		if adm != nil {
			a.Record = adm.Record
			if err := l.restedOn(ctx, store, adm, at, &a); err != nil {
				return nil, err
			}
		}
		answers = append(answers, a)
	}
	return answers, nil
}

// restedOn finds again what an admitted champion's decision rested on.
func (l *Ledger) restedOn(ctx context.Context, store evidence.Store, adm *Admission, at time.Time, a *ChampionAt) error {
	// A rollback rests on the PASSED decision it restored.
	basis := adm.Decision
	a.Gates = basis.Gates
	var envs []evidence.Envelope
	for _, id := range basis.Inputs {
		data, err := store.Get(ctx, id)
		if err != nil {
			a.Missing = append(a.Missing, id)
			continue
		}
		envs = append(envs, evidence.Envelope{ID: id, Source: id, Data: data})
	}
	res := facts.Collect(ctx, l.Trust, basis.Digest, envs, at.Add(facts.MaxFuture))
	for _, f := range res.Facts {
		iv := Input{ID: f.ID, Type: f.Type, Signer: f.Signer.Identity}
		p, _ := f.Predicate.(map[string]any)
		if f.Type == attest.VSAType {
			// A promotion rests on PASSED records alone (its order
			// through the environments); a FAILED one is no basis.
			r, err := ParseRaw(f.Raw, f.Subjects)
			if err != nil || !r.Admits() {
				continue
			}
			iv.Summary = fmt.Sprintf("%s %s in %s at %s", r.Kind, r.Result, r.Environment, attest.NormalTime(r.Time))
			a.Inputs = append(a.Inputs, iv)
			continue
		}
		switch attest.ShortName(f.Type) {
		case "evaluation":
			iv.Metrics, _ = p["metrics"].(map[string]any)
			iv.Summary = fmt.Sprintf("evaluated at %v", p["evaluated_at"])
		case "approval":
			iv.Summary = fmt.Sprintf("%v for %v at %v: %v", p["decision"], p["environment"], p["approved_at"], p["justification"])
		default:
			if t, ok := attest.EventTimeOf(f.Type, f.Predicate); ok {
				iv.Summary = "at " + attest.NormalTime(t)
			}
		}
		a.Inputs = append(a.Inputs, iv)
	}
	for _, r := range res.Rejected {
		a.Missing = append(a.Missing, r.ID+" ("+r.Reason+")")
	}
	// A promotion rests on the ledger's PASSED records of the environments
	// it requires, as the rule admitted them then.
	for _, req := range l.View.Environments[a.Environment].Requires {
		ra, err := l.Admits(ctx, adm.Subject, req, at)
		if err != nil {
			return err
		}
		if ra.Admitted() {
			r := ra.Record
			a.Inputs = append(a.Inputs, Input{ID: r.ID, Type: attest.VSAType, Signer: r.Signer,
				Summary: fmt.Sprintf("%s %s in %s at %s", r.Kind, r.Result, r.Environment, attest.NormalTime(r.Time))})
		}
	}
	return nil
}
