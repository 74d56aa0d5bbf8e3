package evidence_test

import (
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
