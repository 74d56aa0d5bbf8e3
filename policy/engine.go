// Package policy is the decision engine: a bundle's Rego compiled and its
// decision query prepared once, sandboxed (nothing networked or random),
// and evaluated under a time limit with the decision's own time.
package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/util"
)

// Query is the decision every bundle must define.
const Query = "data.modelgate.decision"

// DefaultTimeout bounds one evaluation.
const DefaultTimeout = 10 * time.Second

// Capabilities are OPA's built-ins less anything networked or
// non-deterministic, so a decision depends on its input and bundle alone.
// time.now_ns stays: it is fixed to the decision's time at evaluation.
func Capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	kept := caps.Builtins[:0]
	for _, b := range caps.Builtins {
		if !sandboxed(b.Name) {
			kept = append(kept, b)
		}
	}
	caps.Builtins = kept
	caps.AllowNet = []string{}
	return caps
}

func sandboxed(name string) bool {
	switch name {
	case "http.send", "opa.runtime", "rand.intn", "uuid.rfc4122", "trace",
		"providers.aws.sign_req", "io.jwt.decode_verify", "time.now":
		return true
	}
	return strings.HasPrefix(name, "net.")
}

// Engine is a compiled bundle with its decision query prepared once; it is
// safe for concurrent use.
type Engine struct {
	query   rego.PreparedEvalQuery
	timeout time.Duration
}

// NewEngine compiles an OPA bundle and prepares the decision query; name
// says where the bundle came from, for errors.
func NewEngine(ctx context.Context, name string, b *bundle.Bundle) (*Engine, error) {
	pq, err := rego.New(
		rego.Query(Query),
		rego.ParsedBundle("modelgate", b),
		rego.Capabilities(Capabilities()),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy bundle %s does not compile: %w", name, err)
	}
	return &Engine{query: pq, timeout: DefaultTimeout}, nil
}

// ErrUndefined means the bundle defines no decision for the input.
var ErrUndefined = errors.New("policy defines no data.modelgate.decision for this input")

// EvalJSON evaluates the decision for a JSON input document and returns the
// decision as JSON. now fixes time.now_ns.
func (e *Engine) EvalJSON(ctx context.Context, input []byte, now time.Time) ([]byte, error) {
	var doc any
	if err := util.UnmarshalJSON(input, &doc); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	value, err := ast.InterfaceToValue(doc)
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	return e.Eval(ctx, value, now)
}

// Eval evaluates the decision for a parsed input value.
func (e *Engine) Eval(ctx context.Context, input ast.Value, now time.Time) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	rs, err := e.query.Eval(ctx, rego.EvalParsedInput(input), rego.EvalTime(now))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("policy evaluation took longer than %s", e.timeout)
		}
		return nil, fmt.Errorf("policy error: %w", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, ErrUndefined
	}
	out, err := json.Marshal(rs[0].Expressions[0].Value)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetTimeout changes the evaluation time limit.
func (e *Engine) SetTimeout(d time.Duration) { e.timeout = d }
