package bundles

import (
	"regexp"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/policies"
)

// The Rego library ranks the tiers as Tiers lists them: one order of tiers
// for the gates, the ledger's rule and bundle diff.
func TestRegoTiersAreTiers(t *testing.T) {
	raw, err := policies.FS.ReadFile("modelgate/lib/lib.rego")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^tier_rank := \{(.*)\}$`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("lib.rego defines no tier_rank")
	}
	var want []string
	for i, tier := range Tiers {
		want = append(want, `"`+tier+`": `+string(rune('1'+i)))
	}
	if got := string(m[1]); got != strings.Join(want, ", ") {
		t.Fatalf("lib.rego's tier_rank is {%s}, Tiers say {%s}", got, strings.Join(want, ", "))
	}
	if TierRank("high") != 3 || TierRank("low") != 1 || TierRank("none") != 0 {
		t.Fatal("TierRank")
	}
}
