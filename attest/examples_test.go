package attest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelgate/modelgate/attest"
)

// Every predicate type has an example under examples/predicates, and each
// validates against its schema.
func TestExamplePredicatesValidate(t *testing.T) {
	for _, short := range attest.ShortNames {
		raw, err := os.ReadFile(filepath.Join("..", "examples", "predicates", short+".json"))
		if err != nil {
			t.Errorf("no example for %s: %v", short, err)
			continue
		}
		if err := attest.ValidatePredicate(attest.TypeURI(short), raw); err != nil {
			t.Errorf("examples/predicates/%s.json: %v", short, err)
		}
	}
}

// No example's expiry is past or near: a user who signs one as it is gets
// evidence that counts. The test fails 90 days ahead, so the example is
// moved on long before it misleads anyone.
func TestExamplesDoNotExpireSoon(t *testing.T) {
	for _, short := range attest.ShortNames {
		raw, _ := os.ReadFile(filepath.Join("..", "examples", "predicates", short+".json"))
		var p map[string]any
		json.Unmarshal(raw, &p)
		for _, field := range []string{"expires_at", "valid_until"} {
			v, ok := p[field].(string)
			if !ok {
				continue
			}
			at, err := attest.ParseTime(v)
			if err != nil || at.Before(time.Now().Add(90*24*time.Hour)) {
				t.Errorf("examples/predicates/%s.json: %s %s is past or within 90 days: move it on", short, field, v)
			}
		}
	}
}
