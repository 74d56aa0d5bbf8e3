package gate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/vsa"
)

// Flip is a recorded decision whose verdict differs under two bundles.
type Flip struct {
	Record      string    `json:"record"`
	Subject     string    `json:"subject"`
	Environment string    `json:"environment"`
	At          time.Time `json:"at"`
	Old         string    `json:"old"` // ALLOWED or DENIED
	New         string    `json:"new"`
	Gates       []string  `json:"gates"` // codes whose status differs
	// Reason says why a side could not judge the record: its recorded
	// inputs do not verify under that bundle (a key rotated, a signer
	// removed). Such a record is its own kind of flip.
	Reason string `json:"reason,omitempty"`
}

// Verdicts of a record one bundle cannot judge.
const (
	NotVerifiable = "NOT VERIFIABLE"
	NoLonger      = "NO LONGER VERIFIABLE"
)

func (f Flip) String() string {
	head := fmt.Sprintf("%s sha256:%s… %s %s: %s → %s", f.Subject[:strings.Index(f.Subject, "@")], f.Subject[strings.Index(f.Subject, "@sha256:")+8:][:12],
		f.Environment, attest.NormalTime(f.At), f.Old, f.New)
	if f.Reason != "" {
		return head + " (" + f.Reason + ")"
	}
	return head + " (" + strings.Join(f.Gates, ", ") + ")"
}

// unverifiable reports whether a decision could not be made because its
// inputs do not verify (or do not name the model as recorded) under a
// bundle: what a replay lists, rather than ends on.
func unverifiable(err error) bool {
	var all *AllRejectedError
	var none *NoEvidenceError
	var name *NameError
	return errors.As(err, &all) || errors.As(err, &none) || errors.As(err, &name)
}

// MissingInputs is a replay that could not find every recorded input.
type MissingInputs struct {
	Missing map[string][]string // record id → input envelope ids
}

func (m *MissingInputs) Error() string {
	var parts []string
	for _, r := range slices.Sorted(maps.Keys(m.Missing)) {
		parts = append(parts, fmt.Sprintf("record %s names %s", r, strings.Join(m.Missing[r], ", ")))
	}
	return "the store lacks inputs of recorded decisions, which cannot be judged again: " + strings.Join(parts, "; ")
}

// ReplayResult is what a change of bundle would have done to the ledger.
type ReplayResult struct {
	Judged int    `json:"judged"`
	Flips  []Flip `json:"flips"`
}

// Replay judges again every recorded decision, each as of its own time on
// its recorded inputs (the store serving as the ledger), under old and new
// bundles, each prepared once, and lists each verdict that flips with the
// gate codes whose status differs. Records whose inputs the store lacks
// are a *MissingInputs error, after every other record is judged.
func Replay(ctx context.Context, old, new *Gate, store evidence.Store, ledger vsa.Source, records []*vsa.Record) (*ReplayResult, error) {
	var decisions []*vsa.Record
	for _, r := range records {
		if r.Kind == vsa.KindDecision {
			decisions = append(decisions, r)
		}
	}
	// Records are judged in parallel (prepared queries are safe to share);
	// each result lands in its record's place, so the output keeps the
	// ledger's order.
	type result struct {
		flip    *Flip
		missing []string
		err     error
	}
	results := make([]result, len(decisions))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), max(len(decisions), 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i].flip, results[i].missing, results[i].err = judgeAgain(ctx, old, new, store, ledger, decisions[i])
			}
		}()
	}
	for i := range decisions {
		next <- i
	}
	close(next)
	wg.Wait()

	res := &ReplayResult{Flips: []Flip{}}
	missing := map[string][]string{}
	for i, r := range results {
		switch {
		case r.err != nil:
			return nil, r.err
		case len(r.missing) > 0:
			missing[decisions[i].ID] = r.missing
		default:
			res.Judged++
			if r.flip != nil {
				res.Flips = append(res.Flips, *r.flip)
			}
		}
	}
	if len(missing) > 0 {
		return res, &MissingInputs{Missing: missing}
	}
	return res, nil
}

// recorded is the request that judges a recorded decision again: its
// subject as recorded, its environment, its recorded inputs fetched from
// the store, as of its own time; or the inputs the store lacks.
func recorded(ctx context.Context, store evidence.Store, ledger vsa.Source, r *vsa.Record) (Request, []string) {
	var inputs []evidence.Envelope
	var missing []string
	for _, id := range r.Inputs {
		data, err := store.Get(ctx, id)
		if err != nil {
			missing = append(missing, id)
			continue
		}
		inputs = append(inputs, evidence.Envelope{ID: id, Source: id, Data: data})
	}
	subject := r.Ref()
	subject.Recorded = true
	return Request{Subject: subject, Environment: r.Environment, Store: store, Ledger: ledger, Extra: inputs, Now: r.Time, InputsOnly: true}, missing
}

// NotReproducedError is a recorded decision a bundle judges otherwise.
type NotReproducedError struct {
	Revision, Digest string // the bundle's
	Record           *vsa.Record
}

func (e *NotReproducedError) Error() string {
	return fmt.Sprintf("the bundle given (revision %s, %s) does not reproduce the recorded decision %s (%s, policy revision %s, %s)",
		e.Revision, e.Digest, e.Record.ID, e.Record.Result, e.Record.Policy.Revision, e.Record.Policy.Digest)
}

// Reproduce judges a recorded decision again under g, on its recorded
// inputs and as of its own time, and returns the decision only when it
// reproduces the record: the same result and every gate's status.
func Reproduce(ctx context.Context, g *Gate, store evidence.Store, ledger vsa.Source, r *vsa.Record) (*decision.Decision, error) {
	req, missing := recorded(ctx, store, ledger, r)
	if len(missing) > 0 {
		return nil, fmt.Errorf("the recorded decision %s names the input %s, which %s lacks", r.ID, missing[0], store)
	}
	out, err := g.Decide(ctx, req)
	if err != nil {
		return nil, err
	}
	d := out.Decision
	status := map[string]string{}
	for _, gt := range r.Gates {
		status[gt.Code] = gt.Status
	}
	same := d.Result() == r.Result && len(d.Gates) == len(r.Gates)
	for _, gt := range d.Gates {
		same = same && status[gt.Code] == gt.Status
	}
	if !same {
		return nil, &NotReproducedError{Revision: g.Bundle.Revision, Digest: g.Bundle.Digest, Record: r}
	}
	return d, nil
}

// judgeAgain decides one recorded decision under both bundles: the flip,
// or nil; or the inputs the store lacks.
func judgeAgain(ctx context.Context, old, new *Gate, store evidence.Store, ledger vsa.Source, r *vsa.Record) (*Flip, []string, error) {
	req, missing := recorded(ctx, store, ledger, r)
	if len(missing) > 0 {
		return nil, missing, nil
	}
	flip := &Flip{Record: r.ID, Subject: r.Ref().String(), Environment: r.Environment, At: r.Time, Gates: []string{}}
	a, err := old.Decide(ctx, req)
	if err != nil {
		if !unverifiable(err) {
			return nil, nil, fmt.Errorf("record %s under the old bundle: %w", r.ID, err)
		}
		flip.Old, flip.Reason = NotVerifiable, "not verifiable under OLD: "+err.Error()
		if b, berr := new.Decide(ctx, req); berr == nil {
			flip.New = verdict(b.Decision.Allow)
		} else {
			flip.New = NotVerifiable
		}
		return flip, nil, nil
	}
	b, err := new.Decide(ctx, req)
	if err != nil {
		if !unverifiable(err) {
			return nil, nil, fmt.Errorf("record %s under the new bundle: %w", r.ID, err)
		}
		flip.Old, flip.New, flip.Reason = verdict(a.Decision.Allow), NoLonger, "no longer verifiable under NEW: "+err.Error()
		return flip, nil, nil
	}
	if a.Decision.Allow == b.Decision.Allow {
		return nil, nil, nil
	}
	status := map[string]string{}
	for _, g := range a.Decision.Gates {
		status[g.Code] = g.Status
	}
	var codes []string
	seen := map[string]bool{}
	for _, g := range b.Decision.Gates {
		seen[g.Code] = true
		if status[g.Code] != g.Status {
			codes = append(codes, g.Code)
		}
	}
	for code := range status {
		if !seen[code] {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	return &Flip{Record: r.ID, Subject: r.Ref().String(), Environment: r.Environment, At: r.Time,
		Old: verdict(a.Decision.Allow), New: verdict(b.Decision.Allow), Gates: codes}, nil, nil
}

func verdict(allow bool) string {
	if allow {
		return "ALLOWED"
	}
	return "DENIED"
}
