package testkit

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
)

// Sigstore is sigstore-go's virtual Sigstore: a Fulcio CA, a Rekor log, a
// CT log and a timestamp authority in memory, and the trusted root that
// names them, so tests sign keyless as a CI job's OIDC identity would.
type Sigstore struct {
	VS          *ca.VirtualSigstore
	TrustedRoot []byte // the protobuf-specs JSON a bundle carries
}

// Issuers a keyless test identity may come from.
const (
	GitHubIssuer = "https://token.actions.githubusercontent.com"
	GitLabIssuer = "https://gitlab.com"
)

// NewSigstore starts a virtual Sigstore.
func NewSigstore(t testing.TB) *Sigstore {
	t.Helper()
	s, err := NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// NewVirtualSigstore starts a virtual Sigstore outside a test (the demo's).
func NewVirtualSigstore() (*Sigstore, error) {
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		return nil, err
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, vs.FulcioCertificateAuthorities(), rawIDs(vs.CTLogs()), vs.TimestampingAuthorities(), rawIDs(vs.RekorLogs()))
	if err != nil {
		return nil, err
	}
	raw, err := tr.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return &Sigstore{VS: vs, TrustedRoot: raw}, nil
}

// rawIDs gives the virtual logs the ids a real trusted root carries: the
// key id's bytes, where the virtual Sigstore keeps its hex text.
func rawIDs(logs map[string]*root.TransparencyLog) map[string]*root.TransparencyLog {
	out := map[string]*root.TransparencyLog{}
	for k, l := range logs {
		c := *l
		if raw, err := hex.DecodeString(string(l.ID)); err == nil {
			c.ID = raw
		}
		out[k] = &c
	}
	return out
}

// Options change how a keyless test bundle is made.
type Options struct {
	At          time.Time // the log's integrated time (default: now)
	NoTlog      bool      // leave the transparency-log entry out
	NoTimestamp bool      // leave the RFC 3161 timestamp out
	TamperTlog  bool      // change the log entry's body after it was signed
	NoPromise   bool      // leave the log entry's signed entry timestamp out
}

// Attest signs a predicate about subject as identity (from issuer) and
// returns the Sigstore bundle (v0.3) 'cosign attest-blob
// --new-bundle-format' would write.
func (s *Sigstore) Attest(t testing.TB, identity, issuer string, subject digest.Subject, short string, predicate any, o Options) []byte {
	t.Helper()
	raw, _ := json.Marshal(predicate)
	st, err := attest.NewStatement(subject, attest.TypeURI(short), raw)
	if err != nil {
		t.Fatal(err)
	}
	return s.AttestStatement(t, identity, issuer, st, o)
}

// AttestStatement signs raw statement bytes keylessly.
func (s *Sigstore) AttestStatement(t testing.TB, identity, issuer string, statement []byte, o Options) []byte {
	t.Helper()
	out, err := s.Bundle(identity, issuer, statement, o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Bundle signs raw statement bytes keylessly as identity (from issuer) and
// returns the Sigstore bundle.
func (s *Sigstore) Bundle(identity, issuer string, statement []byte, o Options) ([]byte, error) {
	at := o.At
	if at.IsZero() {
		at = time.Now().Add(time.Minute)
	}
	e, err := s.VS.AttestAtTime(identity, issuer, statement, at, true)
	if err != nil {
		return nil, err
	}
	vc, _ := e.VerificationContent()
	sc, _ := e.SignatureContent()
	entries, _ := e.TlogEntries()
	stamps, _ := e.Timestamps()
	env := sc.(*bundle.Envelope).Envelope
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	vm := &protobundle.VerificationMaterial{
		Content: &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.(*bundle.Certificate).Certificate().Raw}},
	}
	if !o.NoTlog {
		for _, entry := range entries {
			tle, err := s.withPromise(entry, o)
			if err != nil {
				return nil, err
			}
			vm.TlogEntries = append(vm.TlogEntries, tle)
		}
	}
	if !o.NoTimestamp {
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{}
		for _, ts := range stamps {
			vm.TimestampVerificationData.Rfc3161Timestamps = append(vm.TimestampVerificationData.Rfc3161Timestamps, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
		}
	}
	pb := &protobundle.Bundle{
		MediaType:            "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: vm,
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: env.PayloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	}
	return protojson.Marshal(pb)
}

// withPromise is the log entry as Rekor returns it: with its signed entry
// timestamp, without which its integrated time is not a verified time.
func (s *Sigstore) withPromise(entry *tlog.Entry, o Options) (*protorekor.TransparencyLogEntry, error) {
	tle := entry.TransparencyLogEntry()
	tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
	if !o.NoPromise {
		set, err := s.VS.RekorSignPayload(tlog.RekorPayload{
			Body:           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
			IntegratedTime: tle.IntegratedTime, LogIndex: tle.LogIndex, LogID: hex.EncodeToString(tle.LogId.KeyId),
		})
		if err != nil {
			return nil, err
		}
		tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	}
	if o.TamperTlog {
		tle.IntegratedTime-- // what the promise signed no longer holds
	}
	return tle, nil
}
