package bundles

import (
	"strings"
	"testing"
)

// Each signer form reads as written; issuers with ports and paths need
// <…>, subjects keep their colons; what cannot be read is refused with the
// spec or the id first.
func TestParseSignerSpec(t *testing.T) {
	for _, c := range []struct{ spec, issuer, subject, err string }{
		{spec: "ci=keyless:https://token.actions.githubusercontent.com:repo:acme/churn:ref:refs/heads/main:training",
			issuer: "https://token.actions.githubusercontent.com", subject: "repo:acme/churn:ref:refs/heads/main"},
		{spec: "alice=keyless:<https://sso.corp.example:8443/realms/ml>:alice@corp.example:approver",
			issuer: "https://sso.corp.example:8443/realms/ml", subject: "alice@corp.example"},
		{spec: "alice=keyless:https://sso.corp.example:8443:alice:approver", err: `"8443" may be the issuer's port or the start of the subject: write the issuer as <https://sso.corp.example:8443…>`},
		{spec: "x=keyless:https://i.example:s:nobody", err: `x: unknown role "nobody"`},
		{spec: "gate", err: `"gate": use ID=PUBKEY_FILE:IDENTITY:ROLE`},
		{spec: "gate=/no/such/file.pub:gate@example.com:gate", err: "gate: "},
	} {
		s, err := ParseSignerSpec(c.spec)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: %v, want %s", c.spec, err, c.err)
		case c.err == "" && (err != nil || s.Keyless == nil || s.Keyless.Issuer != c.issuer || s.Keyless.Subject != c.subject):
			t.Errorf("%s: %+v %v", c.spec, s.Keyless, err)
		}
	}
}

// FuzzParseSignerSpec: whatever the spec, a signer or an error, never a panic.
func FuzzParseSignerSpec(f *testing.F) {
	for _, s := range []string{"ci=keyless:https://token.actions.githubusercontent.com:repo:a:training", "a=keyless:<https://h:1/p>:s:approver",
		"g=keys/gate.pub:gate@example.com:gate", "l=x.ledger.pub:origin:ledger", "=", "a=keyless:<", "a=keyless:https://:x:data"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := ParseSignerSpec(spec)
		if err == nil && (s.ID == "" || len(s.Roles) == 0) {
			t.Fatalf("%q: a signer with no id or role", spec)
		}
	})
}
