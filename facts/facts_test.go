package facts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/testkit"
)

var (
	signer  = testkit.FixedParty("risk-signer", "risk")
	subject = digest.Subject{Name: "m", SHA256: strings.Repeat("cd", 32)}
	risk    = map[string]any{"model": "m", "tier": "high", "rationale": "r", "valid_until": "2030-01-01T00:00:00Z"}
)

func trust(t testing.TB) *facts.Trust {
	tr, err := facts.NewTrust([]keys.Signer{signer.TrustEntry()})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func env(data []byte) evidence.Envelope { return evidence.Envelope{Source: "test", Data: data} }

func TestEveryRejectionHasItsReason(t *testing.T) {
	stranger := testkit.FixedParty("stranger", "risk")
	good := signer.Sign(subject, "risk", risk)
	var wrongType dsse.Envelope
	json.Unmarshal(good, &wrongType)
	wrongType.PayloadType = "application/json"
	wrongTypeJSON, _ := json.Marshal(wrongType)
	weak := signer.SignStatement([]byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":[{"name":"m","digest":{"sha1":"` + strings.Repeat("a", 40) + `"}}],"predicate":{}}`))
	badSchema := signer.SignStatement([]byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"` + attest.TypeURI("risk") + `","subject":[{"name":"m","digest":{"sha256":"` + subject.SHA256 + `"}}],"predicate":{"tier":"extreme"}}`))
	cases := map[string]struct {
		data   []byte
		reason string
	}{
		"untrusted":    {stranger.Sign(subject, "risk", risk), "no trusted key verifies the signature"},
		"payload type": {wrongTypeJSON, `wrong payload type "application/json", want "application/vnd.in-toto+json"`},
		"other subject": {signer.Sign(digest.Subject{Name: "n", SHA256: strings.Repeat("ef", 32)}, "risk", risk),
			"names sha256:" + strings.Repeat("ef", 32) + ", not the subject sha256:" + subject.SHA256},
		"weak digest": {weak, "subject has only weak digests (md5/sha1); a sha256 digest is required"},
		"schema":      {badSchema, "predicate fails its schema: predicate does not match the risk schema: /: missing properties 'model', 'rationale', 'valid_until'; /tier: value must be one of 'low', 'medium', 'high'"},
		"malformed":   {[]byte(`{"payload": 3}`), "malformed envelope: not DSSE JSON: json: cannot unmarshal number into Go struct field Envelope.payload of type string"},
		"too large":   {make([]byte, attest.MaxEnvelopeSize+1), fmt.Sprintf("envelope too large: %d bytes, the limit is %d", attest.MaxEnvelopeSize+1, attest.MaxEnvelopeSize)},
	}
	tr := trust(t)
	for name, c := range cases {
		res := facts.Collect(context.Background(), tr, subject.SHA256, []evidence.Envelope{env(c.data)}, time.Now())
		if len(res.Facts) != 0 || len(res.Rejected) != 1 {
			t.Errorf("%s: %d facts, %d rejected", name, len(res.Facts), len(res.Rejected))
			continue
		}
		if got := res.Rejected[0].Reason; got != c.reason {
			t.Errorf("%s:\n got %s\nwant %s", name, got, c.reason)
		}
	}
}

func TestVerifiedFact(t *testing.T) {
	res := facts.Collect(context.Background(), trust(t), subject.SHA256, []evidence.Envelope{env(signer.Sign(subject, "risk", risk))}, time.Now())
	if len(res.Facts) != 1 {
		t.Fatalf("rejected: %v", res.Rejected)
	}
	f := res.Facts[0]
	if f.Type != attest.TypeURI("risk") || f.Signer.ID != "risk-signer" || f.Signer.Identity != "risk-signer@example.com" || f.StatementVersion != "v1" {
		t.Fatalf("fact %+v", f)
	}
}

// populate writes n envelopes about subject into a dir store's layout
// directly (no fsync), for benchmark set-up only.
func populate(b *testing.B, root, subjectHex string, n int, party *testkit.Party) {
	s, err := evidence.OpenDir(root)
	if err != nil {
		b.Fatal(err)
	}
	_ = s
	var index strings.Builder
	for i := 0; i < n; i++ {
		data := party.Sign(digest.Subject{Name: "m", SHA256: subjectHex}, "risk", map[string]any{
			"model": "m", "tier": "low", "rationale": fmt.Sprint(i), "valid_until": "2030-01-01T00:00:00Z"})
		hex := strings.TrimPrefix(attest.EnvelopeID(data), "sha256:")
		os.MkdirAll(filepath.Join(root, "objects", hex[:2]), 0o755)
		os.WriteFile(filepath.Join(root, "objects", hex[:2], hex), data, 0o644)
		index.WriteString(hex + "\n")
	}
	f, _ := os.OpenFile(filepath.Join(root, "index", subjectHex), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	f.WriteString(index.String())
	f.Close()
}

func benchCollect(b *testing.B, others int) {
	root := b.TempDir()
	populate(b, root, subject.SHA256, 200, signer)
	noise := testkit.FixedParty("noise", "risk")
	for i := 0; i < others/1000; i++ {
		populate(b, root, fmt.Sprintf("%064x", i+1), 1000, noise)
	}
	s, _ := evidence.OpenDir(root)
	tr := trust(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		envs, _, err := s.Subject(context.Background(), subject.SHA256)
		if err != nil {
			b.Fatal(err)
		}
		res := facts.Collect(context.Background(), tr, subject.SHA256, envs, time.Now())
		if len(res.Facts) != 200 {
			b.Fatalf("%d facts, %v", len(res.Facts), res.Rejected[:1])
		}
	}
}

// Collect and verify 200 envelopes for one subject from a store of 200,
// and from one that also holds 50,000 envelopes of other subjects.
func BenchmarkCollect200(b *testing.B)           { benchCollect(b, 0) }
func BenchmarkCollect200Among50000(b *testing.B) { benchCollect(b, 50000) }
