package decision

import (
	"strings"
	"testing"
)

// Parse is the last line of defence against a policy that allows by mistake.
func TestParseFailsClosed(t *testing.T) {
	const gate = `{"id":"g","code":"MG-G","title":"t","status":%q,"message":"m","evidence":[]}`
	doc := func(allow, gates string) string {
		return `{"subject":{"name":"m","digest":{"sha256":"ab"}},"environment":"production","tier":"high","allow":` + allow + `,"gates":[` + gates + `]}`
	}
	g := func(status string) string { return strings.Replace(gate, "%q", `"`+status+`"`, 1) }
	cases := map[string]struct {
		doc, err string
	}{
		"allow with passing gates":  {doc("true", g("pass")+","+g("warn")+","+g("waived")+","+g("skipped")), ""},
		"deny with a failing gate":  {doc("false", g("fail")), ""},
		"allow with a failing gate": {doc("true", g("pass")+","+g("fail")), "policy allowed although gate g failed"},
		"allow without gates":       {doc("true", ""), "policy allowed without judging any gate"},
		"unknown status":            {doc("false", g("error")), `policy returned gate g with status "error"; use pass, fail, warn, waived or skipped`},
		"allow as a string":         {strings.Replace(doc("true", g("pass")), `"allow":true`, `"allow":"true"`, 1), "policy returned a malformed decision"},
		"no allow":                  {`{"tier":"high","gates":[]}`, "policy returned a decision without a boolean allow"},
		"no tier":                   {`{"allow":false,"gates":[]}`, "policy returned a decision without a tier"},
		"not an object":             {`[true]`, "policy returned a malformed decision"},
	}
	for name, c := range cases {
		d, err := Parse([]byte(c.doc))
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case c.err != "" && (err == nil || !strings.HasPrefix(err.Error(), c.err)):
			t.Errorf("%s: got %v (decision %+v), want %q", name, err, d, c.err)
		}
	}
}

// FuzzParse: whatever a policy returns, an allow that Parse accepts has
// gates, and every one of them passed, warned, was waived or was skipped.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"tier":"high","allow":true,"gates":[{"id":"g","status":"pass"}]}`))
	f.Add([]byte(`{"tier":"low","allow":false,"gates":[{"id":"g","status":"fail"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil || !d.Allow {
			return
		}
		if len(d.Gates) == 0 {
			t.Fatal("allow without gates")
		}
		for _, g := range d.Gates {
			if g.Status != Pass && g.Status != Warn && g.Status != Waived && g.Status != Skipped {
				t.Fatalf("allow with gate status %q", g.Status)
			}
		}
	})
}
