package admission

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/vsa"
)

type brokenLedger struct{}

func (brokenLedger) Book(context.Context) (*vsa.Book, error) { return nil, errors.New("disk gone") }

// The validator's verdicts, each exact: what the ledger's rule admits is
// allowed; what it does not is denied saying what to do; an unpinned
// reference and a ledger that cannot be read are denied, never allowed.
func TestJudge(t *testing.T) {
	view := testkit.BuiltinView(t)
	now := time.Now().UTC()
	passed := func(env string) *vsa.Record {
		r := &vsa.Record{Time: now.Add(-time.Hour), Result: vsa.Passed, Digest: strings.Repeat("a", 64),
			Entry: vsa.Entry{Kind: vsa.KindDecision, Environment: env, Model: "m", Tier: "high"}}
		r.ID = "sha256:" + env
		return r
	}
	book := vsa.Fixed{B: vsa.BookOf([]*vsa.Record{passed("staging")})}
	ref := func(sha string) Ref {
		return Ref{Subject: digest.Subject{Name: "m", SHA256: sha}, Where: "annotation", Raw: "m@sha256:" + sha}
	}
	for _, c := range []struct {
		name    string
		source  vsa.Source
		env     string
		ref     Ref
		allowed bool
		reason  string
		message string
	}{
		{"admitted in staging", book, "staging", ref(strings.Repeat("a", 64)), true, "admitted", ""},
		{"never promoted", book, "staging", ref(strings.Repeat("b", 64)), false, "not-promoted", "; promote it with 'modelgate verify --subject m@sha256:" + strings.Repeat("b", 64) + " --env staging --vsa-key GATE_KEY'"},
		{"no record in production", book, "production", ref(strings.Repeat("a", 64)), false, "not-promoted", ""},
		{"unpinned", book, "staging", Ref{Subject: digest.Subject{Name: "m"}, Where: "annotation", Raw: "m"}, false, "unpinned", "carries no digest: pin the model by digest"},
		{"a ledger that cannot be read", brokenLedger{}, "staging", ref(strings.Repeat("a", 64)), false, "ledger", "(disk gone); modelgate fails closed"},
	} {
		v := &Validator{Ledger: vsa.NewLedger(c.source, nil, view), View: view, Cache: NewCache(10), TTL: time.Minute,
			StoreTimeout: time.Second, Metrics: NewMetrics(), Now: func() time.Time { return now }}
		got := v.Judge(context.Background(), c.env, c.ref)
		if got.Allowed != c.allowed || got.Reason != c.reason || !strings.Contains(got.Message, c.message) {
			t.Errorf("%s: %+v, want allowed %v reason %q message with %q", c.name, got, c.allowed, c.reason, c.message)
		}
	}
}
