package digest_test

import (
	"testing"

	"github.com/modelgate/modelgate/digest"
)

// FuzzParseRef: an accepted reference names a 64-hex digest and prints back
// exactly as given.
func FuzzParseRef(f *testing.F) {
	f.Add("churn-model@sha256:" + "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd")
	f.Add("m@sha1:abc")
	f.Add("@sha256:")
	f.Fuzz(func(t *testing.T, ref string) {
		s, err := digest.ParseRef(ref)
		if err != nil {
			return
		}
		if !digest.IsHex64(s.SHA256) || s.Name == "" || s.String() != ref {
			t.Fatalf("ParseRef(%q) = %+v", ref, s)
		}
	})
}
