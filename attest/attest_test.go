package attest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/testkit"
)

var subject = digest.Subject{Name: "m", SHA256: strings.Repeat("ab", 32)}

func verifierFor(t *testing.T, parties ...*testkit.Party) *attest.Verifier {
	t.Helper()
	var vs []*keys.Verifier
	for _, p := range parties {
		v, err := keys.ParsePublicKey(p.PubPEM)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	ver, err := attest.NewVerifier(vs)
	if err != nil {
		t.Fatal(err)
	}
	return ver
}

var risk = map[string]any{"model": "m", "tier": "high", "rationale": "credit", "valid_until": "2030-01-01T00:00:00Z"}

func TestSignVerifyRoundtrip(t *testing.T) {
	for _, alg := range keys.Algorithms {
		t.Run(alg, func(t *testing.T) {
			p := testkit.NewParty("p", alg, "risk")
			env := p.Sign(subject, "risk", risk)
			v, err := verifierFor(t, p).Verify(context.Background(), env)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if v.Statement.PredicateType != attest.TypeURI("risk") || !v.Statement.Names(subject.SHA256) || v.Statement.Version() != "v1" {
				t.Fatalf("unexpected statement %+v", v.Statement)
			}
			if v.ID != attest.EnvelopeID(env) {
				t.Fatalf("id %s, want %s", v.ID, attest.EnvelopeID(env))
			}
			// The statement carries _type, as in-toto requires, not "type".
			if !strings.Contains(string(mustPayload(t, env)), `"_type":"https://in-toto.io/Statement/v1"`) {
				t.Fatalf("payload lacks _type: %s", mustPayload(t, env))
			}
		})
	}
}

func mustPayload(t *testing.T, env []byte) []byte {
	e, err := attest.ParseEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.DecodeB64Payload()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mutate(t *testing.T, env []byte, f func(*dsse.Envelope)) []byte {
	var e dsse.Envelope
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatal(err)
	}
	f(&e)
	out, _ := json.Marshal(e)
	return out
}

func flipByte(s string) string {
	b, _ := base64.StdEncoding.DecodeString(s)
	b[len(b)/2] ^= 0x01
	return base64.StdEncoding.EncodeToString(b)
}

func TestOneByteChangeFails(t *testing.T) {
	p := testkit.NewParty("p", "ecdsa-p256", "risk")
	env := p.Sign(subject, "risk", risk)
	ver := verifierFor(t, p)
	for name, f := range map[string]func(*dsse.Envelope){
		"payload":   func(e *dsse.Envelope) { e.Payload = flipByte(e.Payload) },
		"signature": func(e *dsse.Envelope) { e.Signatures[0].Sig = flipByte(e.Signatures[0].Sig) },
	} {
		_, err := ver.Verify(context.Background(), mutate(t, env, f))
		if !errors.Is(err, attest.ErrUntrusted) {
			t.Errorf("%s changed: got %v, want %v", name, err, attest.ErrUntrusted)
		}
	}
}

func TestWrongKeyFails(t *testing.T) {
	signer := testkit.NewParty("p", "ed25519", "risk")
	other := testkit.NewParty("q", "ed25519", "risk")
	_, err := verifierFor(t, other).Verify(context.Background(), signer.Sign(subject, "risk", risk))
	if !errors.Is(err, attest.ErrUntrusted) || err.Error() != "no trusted key verifies the signature" {
		t.Fatalf("got %v", err)
	}
}

func TestWrongPayloadTypeFails(t *testing.T) {
	p := testkit.NewParty("p", "ecdsa-p256", "risk")
	env := mutate(t, p.Sign(subject, "risk", risk), func(e *dsse.Envelope) { e.PayloadType = "text/plain" })
	_, err := verifierFor(t, p).Verify(context.Background(), env)
	if !errors.Is(err, attest.ErrPayloadType) {
		t.Fatalf("got %v", err)
	}
}

func TestStatementV01Verifies(t *testing.T) {
	p := testkit.NewParty("p", "ecdsa-p256", "risk")
	st := `{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"` + attest.TypeURI("risk") +
		`","subject":[{"name":"m","digest":{"sha256":"` + subject.SHA256 + `"}}],"predicate":{"model":"m","tier":"low","rationale":"r","valid_until":"2030-01-01T00:00:00Z"}}`
	v, err := verifierFor(t, p).Verify(context.Background(), p.SignStatement([]byte(st)))
	if err != nil {
		t.Fatal(err)
	}
	if v.Statement.Version() != "v0.1" {
		t.Fatalf("version %s", v.Statement.Version())
	}
}

func TestWeakDigestOnlyFails(t *testing.T) {
	p := testkit.NewParty("p", "ecdsa-p256", "risk")
	st := `{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":[{"name":"m","digest":{"md5":"0123"}}],"predicate":{}}`
	_, err := verifierFor(t, p).Verify(context.Background(), p.SignStatement([]byte(st)))
	if !errors.Is(err, attest.ErrWeakDigest) {
		t.Fatalf("got %v", err)
	}
}

func TestSchemaFaultsNameTheirPath(t *testing.T) {
	err := attest.ValidatePredicate(attest.TypeURI("smoke-test"), []byte(`{"environment":"staging","endpoint":"e","requests":-1,"errors":0,
		"error_rate":2,"latency_ms":{"p50":1},"passed":"yes","tested_at":"yesterday"}`))
	var se *attest.SchemaError
	if !errors.As(err, &se) {
		t.Fatalf("got %v", err)
	}
	var got []string
	for _, f := range se.Faults {
		got = append(got, f.Path)
	}
	want := "/error_rate /latency_ms /passed /requests /tested_at"
	if strings.Join(got, " ") != want {
		t.Fatalf("fault paths %q, want %q (%v)", strings.Join(got, " "), want, err)
	}
}

func TestEveryTypeHasASchema(t *testing.T) {
	for _, short := range attest.ShortNames {
		if _, ok := attest.Schema(short); !ok {
			t.Errorf("no schema for %s", short)
		}
		if err := attest.ValidatePredicate(attest.TypeURI(short), []byte(`{}`)); err == nil {
			t.Errorf("%s: empty predicate validated", short)
		}
	}
}

func TestResolveType(t *testing.T) {
	cases := map[string]string{
		"evaluation":                    attest.TypeURI("evaluation"),
		"smoke-test/v1":                 attest.TypeURI("smoke-test"),
		"https://example.com/custom/v2": "https://example.com/custom/v2",
	}
	for in, want := range cases {
		if got, err := attest.ResolveType(in); err != nil || got != want {
			t.Errorf("ResolveType(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"evalution", "https://modelgate.dev/attestation/nope/v1"} {
		if _, err := attest.ResolveType(bad); err == nil {
			t.Errorf("ResolveType(%q) accepted", bad)
		}
	}
}

// A type fault says what shape was wanted, so the predicate can be mended
// without reading the schema.
func TestTypeFaultsDescribeTheExpectedShape(t *testing.T) {
	err := attest.ValidatePredicate(attest.TypeURI("evaluation"), []byte(`{"dataset":"x","metrics":{},"slices":[],"fairness":[],"behavioral":[],"evaluated_at":"2026-01-01T00:00:00Z"}`))
	want := "predicate does not match the evaluation schema: /dataset: got string, want object (an object with fields: required name, digest; optional uri)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

// JSON under a signature is parsed strictly: a key twice in any object of
// the statement or its predicate rejects it, wherever it hides.
func TestDuplicateKeysAreRefused(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	subject := `[{"name":"m","digest":{"sha256":"` + sha + `"}}]`
	for _, c := range []struct{ json, key string }{
		{`{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":[{"name":"other","digest":{"sha256":"` + sha + `"}}],"subject":` + subject + `,"predicate":{}}`, "subject"},
		{`{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":` + subject + `,"predicate":{"passed":false,"passed":true}}`, "passed"},
		{`{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":` + subject + `,"predicate":{"passed":false,"pass\u0065d":true,"s":"{\"a\":1,\"a\":2}"}}`, "passed"},
		{`{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":` + subject + `,"predicate":{"metrics":[{"auc":0.5}],"n":{"a":{"x":1,"y":{},"x":2}}}}`, "x"},
		{`{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":[{"name":"m","digest":{"sha256":"` + sha + `","sha256":"` + strings.Repeat("cd", 32) + `"}}],"predicate":{}}`, "sha256"},
	} {
		_, err := attest.ParseStatement([]byte(c.json))
		if err == nil || err.Error() != `the key "`+c.key+`" appears twice in one object; parsers disagree on which counts` {
			t.Errorf("%s: %v", c.json, err)
		}
	}
	// The same key in sibling objects is no duplicate.
	ok := `{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":` + subject + `,"predicate":{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}]}}`
	if _, err := attest.ParseStatement([]byte(ok)); err != nil {
		t.Fatal(err)
	}
}
