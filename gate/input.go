package gate

import (
	"runtime"

	"github.com/open-policy-agent/opa/v1/ast"
	"golang.org/x/sync/errgroup"

	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/facts"
)

// Champion is the model currently promoted, as policy sees it.
type Champion struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
	Source string            `json:"source"`
	// Evaluations are the champion's own signed evaluations in the store.
	Evaluations []facts.Fact `json:"evaluations"`
}

// Promotion says whether the ledger of a required environment admits the
// digest.
type Promotion struct {
	Passed bool   `json:"passed"`
	VSA    string `json:"vsa,omitempty"`
	At     string `json:"at,omitempty"`
}

// Revocation is the ledger's revocation of the digest in the target
// environment, as policy sees it (gate MG-REVOKED).
type Revocation struct {
	Record string `json:"record"`
	At     string `json:"at"`
	Signer string `json:"signer"`
	Reason string `json:"reason"`
}

// Input is the document policy judges.
type Input struct {
	Subject       decision.Subject     `json:"subject"`
	Environment   string               `json:"environment"`
	RequestedTier string               `json:"requested_tier"`
	Now           string               `json:"now"`
	Champion      *Champion            `json:"champion"`
	Promotions    map[string]Promotion `json:"promotions"`
	Revocation    *Revocation          `json:"revocation,omitempty"`
	Evidence      []facts.Fact         `json:"evidence"`
	Rejected      []facts.Rejected     `json:"rejected"`
}

// Value is the input as OPA's AST, built directly rather than through a
// JSON round trip, which would cost as much as a quarter of an evaluation.
// It must equal the parse of the input's JSON (see TestInputValueIsItsJSON),
// so that --input-out replays the very same decision.
func (in *Input) Value() (ast.Value, error) {
	evidence, err := factTerms(in.Evidence)
	if err != nil {
		return nil, err
	}
	rejected := make([]*ast.Term, len(in.Rejected))
	for i, r := range in.Rejected {
		fields := [][2]*ast.Term{item("source", ast.StringTerm(r.Source)), item("reason", ast.StringTerm(r.Reason))}
		if r.ID != "" {
			fields = append(fields, item("id", ast.StringTerm(r.ID)))
		}
		if r.Type != "" {
			fields = append(fields, item("type", ast.StringTerm(r.Type)))
		}
		if r.Signer != nil {
			fields = append(fields, item("signer", signerTerm(*r.Signer)))
		}
		if r.Time != "" {
			fields = append(fields, item("time", ast.StringTerm(r.Time)))
		}
		rejected[i] = ast.ObjectTerm(fields...)
	}
	champion := ast.NullTerm()
	if c := in.Champion; c != nil {
		evals, err := factTerms(c.Evaluations)
		if err != nil {
			return nil, err
		}
		champion = ast.ObjectTerm(item("name", ast.StringTerm(c.Name)), item("digest", stringMap(c.Digest)), item("source", ast.StringTerm(c.Source)),
			item("evaluations", nullable(c.Evaluations == nil, evals)))
	}
	promotions := ast.NewObject()
	for env, p := range in.Promotions {
		fields := [][2]*ast.Term{item("passed", ast.BooleanTerm(p.Passed))}
		if p.VSA != "" {
			fields = append(fields, item("vsa", ast.StringTerm(p.VSA)))
		}
		if p.At != "" {
			fields = append(fields, item("at", ast.StringTerm(p.At)))
		}
		promotions.Insert(ast.StringTerm(env), ast.ObjectTerm(fields...))
	}
	promotionsTerm := ast.NewTerm(promotions)
	if in.Promotions == nil {
		promotionsTerm = ast.NullTerm()
	}
	obj := ast.NewObject(
		item("promotions", promotionsTerm),
		item("subject", ast.ObjectTerm(item("name", ast.StringTerm(in.Subject.Name)), item("digest", stringMap(in.Subject.Digest)))),
		item("environment", ast.StringTerm(in.Environment)),
		item("requested_tier", ast.StringTerm(in.RequestedTier)),
		item("now", ast.StringTerm(in.Now)),
		item("champion", champion),
		item("evidence", nullable(in.Evidence == nil, evidence)),
		item("rejected", nullable(in.Rejected == nil, rejected)),
	)
	if r := in.Revocation; r != nil {
		obj.Insert(ast.StringTerm("revocation"), ast.ObjectTerm(item("record", ast.StringTerm(r.Record)), item("at", ast.StringTerm(r.At)),
			item("signer", ast.StringTerm(r.Signer)), item("reason", ast.StringTerm(r.Reason))))
	}
	return obj, nil
}

func factTerms(fs []facts.Fact) ([]*ast.Term, error) {
	// Predicates are converted on every core: they are most of the input.
	preds := make([]ast.Value, len(fs))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range fs {
		g.Go(func() (err error) {
			preds[i], err = ast.InterfaceToValue(fs[i].Predicate)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]*ast.Term, len(fs))
	for i, f := range fs {
		pred := preds[i]
		fields := [][2]*ast.Term{
			item("id", ast.StringTerm(f.ID)),
			item("type", ast.StringTerm(f.Type)),
			item("predicate", ast.NewTerm(pred)),
			item("signer", signerTerm(f.Signer)),
			item("statement_version", ast.StringTerm(f.StatementVersion)),
			item("subjects", stringArray(f.Subjects)),
		}
		if f.Source != "" {
			fields = append(fields, item("source", ast.StringTerm(f.Source)))
		}
		out[i] = ast.ObjectTerm(fields...)
	}
	return out, nil
}

func signerTerm(s facts.SignerRef) *ast.Term {
	return ast.ObjectTerm(
		item("id", ast.StringTerm(s.ID)),
		item("identity", ast.StringTerm(s.Identity)),
		item("roles", stringArray(s.Roles)),
	)
}

func item(k string, v *ast.Term) [2]*ast.Term { return [2]*ast.Term{ast.StringTerm(k), v} }

func stringArray(ss []string) *ast.Term {
	if ss == nil {
		return ast.NullTerm()
	}
	ts := make([]*ast.Term, len(ss))
	for i, s := range ss {
		ts[i] = ast.StringTerm(s)
	}
	return ast.ArrayTerm(ts...)
}

func stringMap(m map[string]string) *ast.Term {
	if m == nil {
		return ast.NullTerm()
	}
	obj := ast.NewObject()
	for k, v := range m {
		obj.Insert(ast.StringTerm(k), ast.StringTerm(v))
	}
	return ast.NewTerm(obj)
}

// nullable mirrors encoding/json, which writes a nil slice as null.
func nullable(isNil bool, ts []*ast.Term) *ast.Term {
	if isNil {
		return ast.NullTerm()
	}
	return ast.ArrayTerm(ts...)
}
