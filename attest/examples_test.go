package attest_test

import (
	"os"
	"path/filepath"
	"testing"

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
