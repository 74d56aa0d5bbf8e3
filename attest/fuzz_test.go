package attest_test

import (
	"context"
	"testing"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/testkit"
)

func FuzzParseEnvelope(f *testing.F) {
	p := testkit.NewParty("p", "ecdsa-p256", "risk")
	f.Add(p.Sign(subject, "risk", risk))
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"AA=="}]}`))
	// Sigstore bundles, keyless and not.
	ss := testkit.NewSigstore(f)
	f.Add(ss.Attest(f, "ci@example.com", testkit.GitHubIssuer, subject, "risk", risk, testkit.Options{}))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}}`))
	v, _ := keys.ParsePublicKey(p.PubPEM)
	ver, _ := attest.NewVerifier([]*keys.Verifier{v})
	kv, err := attest.NewKeylessVerifier(attest.KeylessRoot{TrustedRoot: ss.TrustedRoot, TimestampThreshold: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := attest.ParseEnvelope(data); err != nil {
			return
		}
		// Only a genuine signature can verify; nothing may panic.
		_, _ = ver.Verify(context.Background(), data)
		if attest.IsKeyless(data) {
			_, _, _ = kv.Verify(data)
		}
	})
}

func FuzzParseStatement(f *testing.F) {
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":[{"name":"m","digest":{"sha256":"` + subject.SHA256 + `"}}],"predicate":{}}`))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"digest":{"sha1":"ab"}}]}`))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":[{"name":"other","digest":{"sha256":"` + subject.SHA256 + `"}}],"subject":[{"name":"m","digest":{"sha256":"` + subject.SHA256 + `"}}],"predicate":{"a":[{"b":1,"b":2}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := attest.ParseStatement(data)
		if err != nil {
			return
		}
		for _, d := range st.SubjectDigests() {
			if len(d) != 64 {
				t.Fatalf("accepted a subject digest %q", d)
			}
		}
	})
}

func FuzzValidatePredicate(f *testing.F) {
	f.Add(uint8(0), []byte(`{"model":"m","tier":"high","rationale":"r","valid_until":"2030-01-01T00:00:00Z"}`))
	f.Add(uint8(2), []byte(`{"dataset":{"name":"d","digest":{"sha256":"00"}},"metrics":{"auc":null}}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		typ := attest.TypeURI(attest.ShortNames[int(which)%len(attest.ShortNames)])
		_ = attest.ValidatePredicate(typ, data)
	})
}

// FuzzParseTime: a time the strict parser accepts normalises to a form that
// parses again to the same instant, that policy can hold in nanoseconds,
// and that OPA's RFC 3339 parser reads.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-01-31T12:00:00Z", "2026-01-31T12:00:00.123456789+05:30", "2026-06-30T23:59:60Z", "2026-01-31t12:00:00z", "9999-12-31T23:59:59Z", "1677-01-01T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := attest.ParseTime(s)
		if err != nil {
			return
		}
		n := attest.NormalTime(tm)
		again, err := time.Parse(time.RFC3339, n)
		if err != nil || !again.Equal(tm) || again.UnixNano() != tm.UnixNano() || time.Unix(0, tm.UnixNano()).UTC() != tm.UTC() {
			t.Fatalf("%q normalised to %q, which does not read back (%v)", s, n, err)
		}
		if m, err := attest.NormaliseTime(n); err != nil || m != n {
			t.Fatalf("normal form %q is not stable: %q %v", n, m, err)
		}
	})
}
