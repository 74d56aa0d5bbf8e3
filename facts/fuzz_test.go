package facts_test

import (
	"testing"
	"unicode/utf8"

	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/keys"
)

// FuzzNormaliseIdentity: normalisation is idempotent, never grows a valid
// identity without bound, and two identities equal after it always share a
// skeleton, so CheckIdentities refuses every pair a person could confuse.
func FuzzNormaliseIdentity(f *testing.F) {
	for _, s := range []string{"alice@example.com", " Alice@Example.COM ", "\u0430lice@example.com", "ﬁona@example.com", "Straße", "\u212a"} {
		f.Add(s, "alice@example.com")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		n := facts.NormaliseIdentity(a)
		if again := facts.NormaliseIdentity(n); again != n {
			t.Fatalf("not idempotent: %q → %q → %q", a, n, again)
		}
		if n == facts.NormaliseIdentity(b) && facts.Skeleton(a) != facts.Skeleton(b) {
			t.Fatalf("%q and %q normalise alike but have other skeletons", a, b)
		}
		if a != b && facts.NormaliseIdentity(b) == n && n != "" {
			err := facts.CheckIdentities([]keys.Signer{{ID: "x", Identity: a}, {ID: "y", Identity: b}})
			if err == nil {
				t.Fatalf("%q and %q both accepted", a, b)
			}
		}
	})
}
