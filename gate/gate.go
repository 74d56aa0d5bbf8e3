// Package gate runs one promotion decision: collect the envelopes about a
// model, verify them into facts, find the champion, and let policy judge.
package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/policy"
	"github.com/modelgate/modelgate/vsa"
)

// Gate holds what is prepared once per bundle: the parsed trust list and
// the compiled policy. Compilation runs in the background from New, so that
// a decision verifies signatures on one core while the policy compiles on
// the other.
type Gate struct {
	Bundle *bundles.Bundle
	Trust  *facts.Trust
	view   *bundles.View

	compiled  chan struct{} // closed once engine and engineErr are set
	engine    *policy.Engine
	engineErr error
}

// New parses the bundle's trust list and starts compiling its policy.
func New(ctx context.Context, b *bundles.Bundle) (*Gate, error) {
	g := &Gate{Bundle: b, compiled: make(chan struct{})}
	go func() {
		g.engine, g.engineErr = policy.NewEngine(ctx, b.URI, b.Raw())
		close(g.compiled)
	}()
	var err error
	if g.Trust, err = b.Trust(); err != nil {
		return nil, err
	}
	if g.view, err = b.View(); err != nil {
		return nil, err
	}
	return g, nil
}

// CheckGateKey refuses a key that is not a trusted signer with the gate
// role: nobody would accept the VSAs it signs.
func (g *Gate) CheckGateKey(sv signature.SignerVerifier) error {
	_, err := g.Trust.SignerOf(sv, "gate")
	return err
}

// Engine waits for the compiled policy.
func (g *Gate) Engine() (*policy.Engine, error) {
	<-g.compiled
	return g.engine, g.engineErr
}

// Request is one question: may this model go to this environment?
type Request struct {
	Subject       digest.Subject
	Environment   string
	RequestedTier string
	Store         evidence.Store      // may be nil
	Ledger        vsa.Source          // the ledger's records; nil: none
	Extra         []evidence.Envelope // loose --evidence files
	Champion      *digest.Subject     // used only where the store knows none
	Now           time.Time
	// InputsOnly judges Extra alone, the store serving only as the ledger
	// (a replay of a recorded decision on its recorded inputs).
	InputsOnly bool
	// WriteInput, when set, receives the input judged, encoded as JSON,
	// while the policy evaluates it: encoding and writing take the other
	// core. Its error ends the decision.
	WriteInput func(input []byte) error
}

// Outcome is a decision with what it was made from.
type Outcome struct {
	Decision *decision.Decision
	Input    Input        // the document judged
	Facts    facts.Result // verified and rejected envelopes
	// Previous is the id of the newest ledger record of the model in the
	// environment: the record a VSA of this decision names before it.
	Previous string
}

// Approvers are the identities whose approvals the policy counted for the
// decision's environment, sorted, each once: a self-approval, a stale or
// superseded approval is no approver of record.
func (o *Outcome) Approvers() []string {
	approvers := slices.Clone(o.Decision.Approvers)
	sort.Strings(approvers)
	return slices.Compact(approvers)
}

// Decide gathers and verifies evidence, then evaluates the policy.
func (g *Gate) Decide(ctx context.Context, req Request) (*Outcome, error) {
	envs := append([]evidence.Envelope(nil), req.Extra...)
	var problems []evidence.Problem
	if req.Store != nil && !req.InputsOnly {
		stored, p, err := req.Store.Subject(ctx, req.Subject.SHA256)
		if err != nil {
			return nil, err
		}
		envs = append(envs, stored...)
		problems = p
	}
	if err := g.Bundle.CheckEnvironment(req.Environment); err != nil {
		return nil, err
	}
	if len(envs) == 0 && len(problems) == 0 {
		return nil, &NoEvidenceError{Subject: req.Subject, Store: storeName(req.Store)}
	}
	res := facts.CollectFor(ctx, g.Trust, req.Subject, envs, req.Now)
	if err := allRejected(req.Extra, res.Rejected); err != nil {
		return nil, err
	}
	res.Rejected = append(res.Rejected, facts.FromProblems(problems)...)
	if err := checkName(req.Subject, res.Facts); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("deadline: %w", err)
	}

	l := g.Ledger(req.Ledger)
	champ, st, err := g.champion(ctx, l, req)
	if err != nil {
		return nil, err
	}
	promotions, err := g.promotions(ctx, l, req)
	if err != nil {
		return nil, err
	}
	previous := ""
	if st != nil && st.Last != nil {
		previous = st.Last.ID
	}
	in := Input{
		Subject:       decision.Subject{Name: req.Subject.Name, Digest: map[string]string{"sha256": req.Subject.SHA256}},
		Environment:   req.Environment,
		RequestedTier: req.RequestedTier,
		Now:           req.Now.UTC().Format(time.RFC3339),
		Champion:      champ,
		Promotions:    promotions,
		Revocation:    revocation(st, req.Subject.SHA256),
		Evidence:      res.Facts,
		Rejected:      res.Rejected,
	}
	value, err := in.Value()
	if err != nil {
		return nil, err
	}
	engine, err := g.Engine()
	if err != nil {
		return nil, err
	}
	written := make(chan error, 1)
	if req.WriteInput != nil {
		go func() {
			data, err := json.Marshal(in)
			if err == nil {
				err = req.WriteInput(data)
			}
			written <- err
		}()
	} else {
		written <- nil
	}
	out, err := engine.Eval(ctx, value, req.Now)
	// The write ends before the decision does, whatever the evaluation's
	// outcome: nothing is left half-written behind a returned error.
	if werr := <-written; err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	d, err := decision.Parse(out)
	if err != nil {
		return nil, err
	}
	b := g.Bundle
	d.Policy = decision.Policy{URI: b.URI, Digest: b.Digest, Revision: b.Revision}
	return &Outcome{Decision: d, Input: in, Facts: res, Previous: previous}, nil
}

// Ledger is the promotion ledger read from src as this bundle trusts it.
func (g *Gate) Ledger(src vsa.Source) *vsa.Ledger {
	return vsa.NewLedger(src, g.Trust, g.view)
}

// NameError is a model asked about under another name than the one its
// signed evidence gives it.
type NameError struct{ Given, Signed, SHA256 string }

func (e *NameError) Error() string {
	return fmt.Sprintf("names the model %q but its signed evidence names sha256:%s %q; the name is bound to the evidence: use %s", e.Given, e.SHA256, e.Signed, digest.Subject{Name: e.Signed, SHA256: e.SHA256})
}

// NoEvidenceError is a subject with no evidence at all: most often another
// file than the one attested, or another store.
type NoEvidenceError struct {
	Subject digest.Subject
	Store   string
}

func (e *NoEvidenceError) Error() string {
	return fmt.Sprintf("no evidence about sha256:%s in %s; did you attest a different file, or use another store?", e.Subject.SHA256, e.Store)
}

// AllRejectedError is a set of loose evidence files every one of which was
// rejected: a mistake to mend, not a judgement to make.
type AllRejectedError struct {
	Rejected []facts.Rejected
}

func (e *AllRejectedError) Error() string {
	r := e.Rejected[0]
	return fmt.Sprintf("every evidence file given was rejected (%d); the first, %s: %s", len(e.Rejected), r.Source, r.Reason)
}

func allRejected(extra []evidence.Envelope, rejected []facts.Rejected) error {
	if len(extra) == 0 {
		return nil
	}
	bySource := map[string]bool{}
	var theirs []facts.Rejected
	for _, r := range rejected {
		bySource[r.ID] = true
	}
	for _, e := range extra {
		id := e.ID
		if id == "" {
			id = attest.EnvelopeID(e.Data)
		}
		if !bySource[id] {
			return nil
		}
	}
	for _, r := range rejected {
		for _, e := range extra {
			if r.Source == e.Source {
				theirs = append(theirs, r)
				break
			}
		}
	}
	if len(theirs) == 0 {
		theirs = rejected
	}
	return &AllRejectedError{Rejected: theirs}
}

func storeName(s evidence.Store) string {
	if s == nil {
		return "the evidence given"
	}
	return s.String()
}

// checkName binds the model's name to its signed evidence: the name asked
// about must be the one trusted signers attested the digest under, and they
// must agree on one name.
func checkName(subject digest.Subject, fs []facts.Fact) error {
	var names []string
	for _, f := range fs {
		if f.Type == attest.VSAType {
			continue // a ledger record is never evidence of a model's name
		}
		for _, n := range f.Names {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	switch {
	case len(names) > 1:
		return fmt.Errorf("signed evidence names sha256:%s under more than one name (%s); a digest is one model: re-attest it under one name", subject.SHA256, strings.Join(quoteAll(names), " and "))
	case len(names) == 1 && names[0] != subject.Name:
		return &NameError{Given: subject.Name, Signed: names[0], SHA256: subject.SHA256}
	}
	return nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// champion is the ledger's champion for the model and environment other
// than the candidate, by the ledger's one rule; --champion only where the
// store knows none. It also returns the state of the ledger it read (nil
// without a store): the newest record, which a VSA of this decision names
// as its previous, and the revocations.
func (g *Gate) champion(ctx context.Context, l *vsa.Ledger, req Request) (*Champion, *vsa.State, error) {
	var st *vsa.State
	if req.Ledger != nil {
		a, state, err := l.Champion(ctx, req.Subject.Name, req.Environment, req.Subject.SHA256, req.Now)
		if err != nil {
			return nil, nil, err
		}
		st = state
		if a != nil {
			r := a.Record
			found := &Champion{Name: r.Model, Digest: map[string]string{"sha256": r.Digest}, Source: fmt.Sprintf("ledger (%s %s)", r.Kind, r.ID)}
			return found, st, g.championEvaluations(ctx, req, found)
		}
	}
	if req.Champion != nil {
		c := &Champion{Name: req.Champion.Name, Digest: map[string]string{"sha256": req.Champion.SHA256}, Source: "--champion flag"}
		return c, st, g.championEvaluations(ctx, req, c)
	}
	return nil, st, nil
}

// promotions asks the ledger's one rule, for each environment the target
// requires, whether it admits this digest there.
func (g *Gate) promotions(ctx context.Context, l *vsa.Ledger, req Request) (map[string]Promotion, error) {
	envs, err := g.Bundle.Environments()
	if err != nil {
		return nil, err
	}
	out := map[string]Promotion{}
	for _, env := range envs[req.Environment].Requires {
		p := Promotion{}
		if req.Ledger != nil {
			a, err := l.Admits(ctx, req.Subject, env, req.Now)
			if err != nil {
				return nil, err
			}
			if a.Admitted() {
				p = Promotion{Passed: true, VSA: a.Record.ID, At: attest.NormalTime(a.Record.Time)}
			}
		}
		out[env] = p
	}
	return out, nil
}

// revocation is the ledger's revocation of the digest in the target
// environment, from the state the champion look-up read whole.
func revocation(st *vsa.State, sha string) *Revocation {
	if st == nil {
		return nil
	}
	rv := st.Standing(sha).Revoked
	if rv == nil {
		return nil
	}
	return &Revocation{Record: rv.ID, At: attest.NormalTime(rv.Time), Signer: rv.Signer, Reason: rv.Revocation.Reason}
}

// championEvaluations finds the champion's own signed evaluations in the
// store, against which the candidate's baseline is checked.
func (g *Gate) championEvaluations(ctx context.Context, req Request, c *Champion) error {
	c.Evaluations = []facts.Fact{}
	if req.Store == nil {
		return nil
	}
	envs, _, err := req.Store.Subject(ctx, c.Digest["sha256"])
	if err != nil {
		return err
	}
	for _, f := range facts.Collect(ctx, g.Trust, c.Digest["sha256"], envs, req.Now).Facts {
		if f.Type == attest.TypeURI("evaluation") {
			c.Evaluations = append(c.Evaluations, f)
		}
	}
	return nil
}
