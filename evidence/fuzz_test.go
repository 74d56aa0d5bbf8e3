package evidence_test

import (
	"strings"
	"testing"

	"github.com/modelgate/modelgate/evidence"
)

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(subjectA + "\n" + subjectA + "\nnot-an-id\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ids, _ := evidence.ParseIndex(data)
		seen := map[string]bool{}
		for _, id := range ids {
			if _, err := evidence.ParseID(id); err != nil || seen[id] {
				t.Fatalf("index reader returned %q", id)
			}
			seen[id] = true
		}
	})
}

// FuzzParseID: an accepted id is 64 lower-case hex, with or without its prefix.
func FuzzParseID(f *testing.F) {
	f.Add("sha256:" + subjectA)
	f.Add(subjectA)
	f.Add("sha512:" + subjectA)
	f.Fuzz(func(t *testing.T, id string) {
		hex, err := evidence.ParseID(id)
		if err != nil {
			return
		}
		if id != hex && id != "sha256:"+hex {
			t.Fatalf("ParseID(%q) = %q", id, hex)
		}
		if len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
			t.Fatalf("ParseID(%q) = %q", id, hex)
		}
	})
}
