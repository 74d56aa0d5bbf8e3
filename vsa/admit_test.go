package vsa

import (
	"context"
	"testing"
	"time"

	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/testkit"
)

// in is a record of model m in an environment, at a tier.
func in(env, tier string, r *Record) *Record {
	r.Environment, r.Tier = env, tier
	return r
}

// The ledger's one rule, point by point, on the built-in bundle's view
// (staging, then production requiring staging; m unknown, so high tier;
// a high-tier decision admits for 90 days): each case is a log and the
// answer Admits gives for digest a in production.
func TestAdmitsTheRule(t *testing.T) {
	view := testkit.BuiltinView(t)
	at := t0.Add(time.Hour)
	staged := in("staging", "high", rec(KindDecision, Passed, "a", 1, "s"))
	passed := in("production", "high", rec(KindDecision, Passed, "a", 2, "p"))
	for _, c := range []struct {
		name    string
		records []*Record
		at      time.Time
		refusal Refusal
		by      string // the id of the record behind the refusal
	}{
		{"PASSED in staging and production: admitted", []*Record{staged, passed}, at, "", ""},
		{"nothing recorded: not promoted", nil, at, NotPromoted, ""},
		{"a newer FAILED decision withdraws it", []*Record{staged, passed, in("production", "high", rec(KindDecision, Failed, "a", 3, "f"))}, at, Withdrawn, "sha256:af"},
		{"a revocation ends it", []*Record{staged, passed, in("production", "high", revoke("a", 3))}, at, Revoked, "sha256:av"},
		{"rolled back from: not admitted", []*Record{staged, passed, in("production", "high", rec(KindDecision, Passed, "b", 3, "p")),
			in("production", "high", rollback("b", "z", 4)), in("production", "high", rollback("a", "b", 5))}, at, RolledBack, "sha256:br"},
		{"not through staging: out of order", []*Record{passed}, at, OutOfOrder, ""},
		{"decided at a lower tier than the model's", []*Record{in("staging", "low", rec(KindDecision, Passed, "a", 1, "s")),
			in("production", "low", rec(KindDecision, Passed, "a", 2, "p"))}, at, TierTooLow, "sha256:ap"},
		{"older than the tier's max_vsa_age_days", []*Record{staged, passed}, t0.Add(91 * 24 * time.Hour), Expired, "sha256:ap"},
		{"as of before the decision: not yet promoted", []*Record{staged, passed}, t0, NotPromoted, ""},
	} {
		l := NewLedger(Fixed{BookOf(cloneAll(c.records))}, nil, view)
		a, err := l.Admits(context.Background(), digest.Subject{Name: "m", SHA256: "a"}, "production", c.at)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		by := ""
		if a.By != nil {
			by = a.By.ID
		}
		if a.Refusal != c.refusal || (c.by != "" && by != c.by) || a.Admitted() != (c.refusal == "") {
			t.Errorf("%s: refusal %q by %q (admitted %v), want %q by %q", c.name, a.Refusal, by, a.Admitted(), c.refusal, c.by)
		}
	}
}

func cloneAll(rs []*Record) []*Record {
	out := make([]*Record, len(rs))
	for i, r := range rs {
		c := *r
		out[i] = &c
	}
	return out
}
