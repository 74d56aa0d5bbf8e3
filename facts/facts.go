// Package facts turns envelopes about one model into what policy may trust:
// verified facts, and rejected envelopes with the reason for each.
package facts

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/keys"
)

// Signer is a trusted identity from the policy bundle's trust list.
type Signer struct {
	ID        string   `json:"id"`
	PublicKey string   `json:"public_key"`
	Identity  string   `json:"identity"`
	Roles     []string `json:"roles"`
}

// SignerRef is the part of a signer that policy sees.
type SignerRef struct {
	ID       string   `json:"id"`
	Identity string   `json:"identity"`
	Roles    []string `json:"roles"`
}

// Fact is a verified envelope about the subject.
type Fact struct {
	ID               string    `json:"id"`
	Type             string    `json:"type"`
	Predicate        any       `json:"predicate"`
	Signer           SignerRef `json:"signer"`
	StatementVersion string    `json:"statement_version"`
	Subjects         []string  `json:"subjects"`
	Source           string    `json:"source,omitempty"`
}

// Rejected is an envelope that did not verify, and why.
type Rejected struct {
	ID     string `json:"id,omitempty"`
	Source string `json:"source"`
	Reason string `json:"reason"`
}

// Result is what Collect found for one subject.
type Result struct {
	Facts    []Fact     `json:"evidence"`
	Rejected []Rejected `json:"rejected"`
}

// Trust is a prepared trust list: every public key parsed once, one
// envelope verifier shared by all goroutines.
type Trust struct {
	verifier *attest.Verifier
	byKeyID  map[string]SignerRef
}

// NewTrust parses the signers' public keys.
func NewTrust(signers []Signer) (*Trust, error) {
	t := &Trust{byKeyID: map[string]SignerRef{}}
	var vs []*keys.Verifier
	for _, s := range signers {
		if s.ID == "" {
			return nil, errors.New("trust: a signer has no id")
		}
		v, err := keys.ParsePublicKey([]byte(s.PublicKey))
		if err != nil {
			return nil, fmt.Errorf("trust: signer %s: %w", s.ID, err)
		}
		if _, dup := t.byKeyID[v.KeyID]; dup {
			continue
		}
		t.byKeyID[v.KeyID] = SignerRef{ID: s.ID, Identity: s.Identity, Roles: s.Roles}
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		return nil, errors.New("trust: the policy bundle trusts no signer; add one to modelgate/trust/data.yaml")
	}
	ver, err := attest.NewVerifier(vs)
	if err != nil {
		return nil, err
	}
	t.verifier = ver
	return t, nil
}

// Verify checks one envelope for the subject and returns its fact.
func (t *Trust) Verify(ctx context.Context, subjectHex string, env evidence.Envelope) (*Fact, error) {
	v, err := t.verifier.Verify(ctx, env.Data)
	if err != nil {
		return nil, err
	}
	if !v.Statement.Names(subjectHex) {
		return nil, fmt.Errorf("names %s, not the subject sha256:%s", strings.Join(prefixAll(v.Statement.SubjectDigests()), ", "), subjectHex)
	}
	return &Fact{
		ID:               v.ID,
		Type:             v.Statement.PredicateType,
		Predicate:        v.Predicate,
		Signer:           t.byKeyID[v.KeyID],
		StatementVersion: v.Statement.Version(),
		Subjects:         v.Statement.SubjectDigests(),
		Source:           env.Source,
	}, nil
}

func prefixAll(hexes []string) []string {
	out := make([]string, len(hexes))
	for i, h := range hexes {
		out[i] = "sha256:" + h
	}
	return out
}

// Collect verifies envelopes in parallel. Each distinct envelope is judged
// once; the output is sorted by id so that decisions are reproducible.
func Collect(ctx context.Context, t *Trust, subjectHex string, envs []evidence.Envelope) Result {
	unique := make([]evidence.Envelope, 0, len(envs))
	seen := make(map[string]bool, len(envs))
	for _, e := range envs {
		if e.ID == "" {
			e.ID = attest.EnvelopeID(e.Data)
		}
		if !seen[e.ID] {
			seen[e.ID] = true
			unique = append(unique, e)
		}
	}
	facts := make([]*Fact, len(unique))
	errs := make([]error, len(unique))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(runtime.GOMAXPROCS(0), max(len(unique), 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				facts[i], errs[i] = t.Verify(ctx, subjectHex, unique[i])
			}
		}()
	}
	for i := range unique {
		next <- i
	}
	close(next)
	wg.Wait()

	res := Result{Facts: []Fact{}, Rejected: []Rejected{}}
	for i, e := range unique {
		if errs[i] != nil {
			res.Rejected = append(res.Rejected, Rejected{ID: e.ID, Source: e.Source, Reason: errs[i].Error()})
			continue
		}
		res.Facts = append(res.Facts, *facts[i])
	}
	sort.Slice(res.Facts, func(i, j int) bool { return res.Facts[i].ID < res.Facts[j].ID })
	sort.Slice(res.Rejected, func(i, j int) bool { return res.Rejected[i].ID < res.Rejected[j].ID })
	return res
}

// FromProblems turns store problems into rejections.
func FromProblems(problems []evidence.Problem) []Rejected {
	out := make([]Rejected, len(problems))
	for i, p := range problems {
		out[i] = Rejected{Source: p.Source, Reason: p.Reason}
	}
	return out
}
