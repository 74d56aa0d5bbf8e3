package gate

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/facts"
)

func predicate(t *testing.T, s string) any {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The input policy judges must be exactly what --input-out writes.
func TestInputValueIsItsJSON(t *testing.T) {
	full := Input{
		Subject:     decision.Subject{Name: "m", Digest: map[string]string{"sha256": "ab"}},
		Environment: "production", RequestedTier: "low", Now: "2026-11-01T00:00:00Z",
		Champion: &Champion{Name: "m", Digest: map[string]string{"sha256": "cd"}, Source: "store"},
		Evidence: []facts.Fact{
			{ID: "sha256:1", Type: "t", Predicate: predicate(t, `{"a":[1,2.5,-3e-7,true,null,{"b":"c"}],"n":0.9}`),
				Signer: facts.SignerRef{ID: "s", Identity: "s@x", Roles: []string{"data", "risk"}}, StatementVersion: "v1", Subjects: []string{"ab", "ef"}, Source: "f.json"},
			{ID: "sha256:2", Type: "t", Predicate: predicate(t, `{}`), Signer: facts.SignerRef{ID: "s"}},
		},
		Rejected: []facts.Rejected{{ID: "sha256:3", Source: "g.json", Reason: "r"}, {Source: "h.json", Reason: "torn"}},
	}
	for name, in := range map[string]Input{"full": full, "empty": {Now: "2026-11-01T00:00:00Z"}} {
		raw, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := util.UnmarshalJSON(raw, &doc); err != nil {
			t.Fatal(err)
		}
		want, err := ast.InterfaceToValue(doc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := in.Value()
		if err != nil {
			t.Fatal(err)
		}
		if got.Compare(want) != 0 {
			t.Errorf("%s:\n got %v\nwant %v", name, got, want)
		}
	}
}
