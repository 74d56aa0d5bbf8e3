package testkit

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	prototrustroot "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// PrivateSigstore is a private Sigstore a keyless signer reaches over HTTP
// on loopback: a Fulcio that issues certificates for the identity token's
// email and issuer (Fulcio's v2 signingCert API), an RFC 3161 timestamp
// authority // and a Rekor (v1 API, dsse entries, from sigstore-go's virtual Sigstore's
// log key), with the trusted root and the signing config that name them.
// It runs no CT log, so its certificates carry no SCT (sct_threshold 0).
type PrivateSigstore struct {
	TrustedRoot   []byte       // protobuf-specs trusted root JSON
	SigningConfig []byte       // protobuf-specs signing config v0.2 JSON
	Issued        atomic.Int32 // certificates issued
}

// StartPrivateSigstore starts a private Fulcio and timestamp authority for
// the length of the test.
func StartPrivateSigstore(t testing.TB) *PrivateSigstore {
	t.Helper()
	rootCert, rootKey, err := ca.GenerateRootCa()
	if err != nil {
		t.Fatal(err)
	}
	fulcioCert, fulcioKey, err := ca.GenerateFulcioIntermediate(rootCert, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	tsaInter, tsaInterKey, err := ca.GenerateTSAIntermediate(rootCert, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	tsaKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tsaLeaf, err := ca.GenerateTSALeafCert(time.Now().Add(-time.Minute), tsaKey, tsaInter, tsaInterKey)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	ps := &PrivateSigstore{}
	rekor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uuid, entry, err := logEntry(vs, r)
		if err != nil {
			t.Logf("private rekor: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", uuid)
		w.Header().Set("Location", "/api/v1/log/entries/"+uuid)
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{uuid: entry})
	}))
	t.Cleanup(rekor.Close)
	fulcio := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaf, err := issue(r, fulcioCert, fulcioKey)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ps.Issued.Add(1)
		var chain []string
		for _, c := range []*x509.Certificate{leaf, fulcioCert, rootCert} {
			chain = append(chain, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})))
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"signedCertificateEmbeddedSct": map[string]any{"chain": map[string]any{"certificates": chain}}})
	}))
	t.Cleanup(fulcio.Close)
	tsa := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage, Time: time.Now(), Nonce: req.Nonce,
			Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2}, ExtraExtensions: req.Extensions}
		resp, err := ts.CreateResponseWithOpts(tsaLeaf, tsaKey, crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		_, _ = w.Write(resp)
	}))
	t.Cleanup(tsa.Close)

	start, end := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{&root.FulcioCertificateAuthority{Root: rootCert, Intermediates: []*x509.Certificate{fulcioCert}, ValidityPeriodStart: start, ValidityPeriodEnd: end, URI: fulcio.URL}},
		map[string]*root.TransparencyLog{},
		[]root.TimestampingAuthority{&root.SigstoreTimestampingAuthority{Root: rootCert, Intermediates: []*x509.Certificate{tsaInter}, Leaf: tsaLeaf, ValidityPeriodStart: start, ValidityPeriodEnd: end, URI: tsa.URL}},
		rawIDs(vs.RekorLogs()))
	if err != nil {
		t.Fatal(err)
	}
	if ps.TrustedRoot, err = tr.MarshalJSON(); err != nil {
		t.Fatal(err)
	}
	svc := func(url string) root.Service {
		return root.Service{URL: url, MajorAPIVersion: 1, ValidityPeriodStart: start, Operator: "modelgate-test"}
	}
	sc, err := root.NewSigningConfig(root.SigningConfigMediaType02, []root.Service{svc(fulcio.URL)}, nil, []root.Service{svc(rekor.URL)},
		root.ServiceConfiguration{Selector: prototrustroot.ServiceSelector_ANY},
		[]root.Service{svc(tsa.URL)}, root.ServiceConfiguration{Selector: prototrustroot.ServiceSelector_ANY})
	if err != nil {
		t.Fatal(err)
	}
	if ps.SigningConfig, err = sc.MarshalJSON(); err != nil {
		t.Fatal(err)
	}
	return ps
}

// IDToken is an identity token shaped as an OIDC provider's JWT: the
// private Fulcio reads its iss and email claims (it does not check the
// token's signature; a real Fulcio does).
func IDToken(issuer, email string) string {
	enc := base64.RawURLEncoding
	claims, _ := json.Marshal(map[string]any{"iss": issuer, "sub": email, "email": email, "email_verified": true,
		"aud": "sigstore", "exp": time.Now().Add(10 * time.Minute).Unix()})
	return enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc.EncodeToString(claims) + ".sig"
}

// issue answers a Fulcio v2 signingCert request: the requester proves it
// holds the key by signing the token's subject.
func issue(r *http.Request, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(token, ".")
	if !ok || len(parts) != 3 {
		return nil, errors.New("no bearer identity token")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var claims struct{ Iss, Email string }
	if err := json.Unmarshal(raw, &claims); err != nil || claims.Iss == "" || claims.Email == "" {
		return nil, errors.New("the identity token has no iss or email")
	}
	var req struct {
		PublicKeyRequest struct {
			PublicKey         struct{ Content string }
			ProofOfPossession string
		}
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		return nil, err
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey([]byte(req.PublicKeyRequest.PublicKey.Content))
	if err != nil {
		return nil, err
	}
	pop, err := base64.StdEncoding.DecodeString(req.PublicKeyRequest.ProofOfPossession)
	if err != nil {
		return nil, err
	}
	ecPub, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("only ECDSA keys are issued here")
	}
	sum := crypto.SHA256.New()
	sum.Write([]byte(claims.Email))
	if !ecdsa.VerifyASN1(ecPub, sum.Sum(nil), pop) {
		return nil, errors.New("the proof of possession does not verify")
	}
	return ca.GenerateLeafCert(claims.Email, claims.Iss, time.Now().Add(-time.Second), publicOnly{pub}, parent, parentKey)
}

// publicOnly is a public key where a certificate template wants a signer.
type publicOnly struct{ pub crypto.PublicKey }

func (p publicOnly) Public() crypto.PublicKey { return p.pub }
func (publicOnly) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("a public key does not sign")
}

// logEntry answers a Rekor v1 createLogEntry request for a dsse entry: the
// virtual Sigstore's log signs the entry's timestamp and proves its
// inclusion.
func logEntry(vs *ca.VirtualSigstore, r *http.Request) (uuid string, entry map[string]any, err error) {
	var req struct {
		Kind string
		Spec struct {
			ProposedContent struct {
				Envelope  string
				Verifiers [][]byte
			}
		}
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		return "", nil, err
	}
	if req.Kind != "dsse" || len(req.Spec.ProposedContent.Verifiers) != 1 {
		return "", nil, errors.New("only dsse entries with one verifier are logged here")
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM(req.Spec.ProposedContent.Verifiers[0])
	if err != nil || len(certs) == 0 {
		return "", nil, errors.New("the verifier is not a PEM certificate")
	}
	var env dsse.Envelope
	if err := json.Unmarshal([]byte(req.Spec.ProposedContent.Envelope), &env); err != nil || len(env.Signatures) != 1 {
		return "", nil, errors.New("the envelope does not parse or has not one signature")
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	if err != nil {
		return "", nil, err
	}
	e, err := vs.GenerateTlogEntry(certs[0], &env, sig, time.Now().Unix(), true)
	if err != nil {
		return "", nil, err
	}
	tle, err := (&Sigstore{VS: vs}).withPromise(e, Options{})
	if err != nil {
		return "", nil, err
	}
	p := tle.InclusionProof
	hashes := make([]string, len(p.Hashes))
	for i, h := range p.Hashes {
		hashes[i] = hex.EncodeToString(h)
	}
	sum := sha256.Sum256(tle.CanonicalizedBody)
	return hex.EncodeToString(sum[:]), map[string]any{
		"body":           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
		"integratedTime": tle.IntegratedTime,
		"logID":          hex.EncodeToString(tle.LogId.KeyId),
		"logIndex":       tle.LogIndex,
		"verification": map[string]any{
			"signedEntryTimestamp": base64.StdEncoding.EncodeToString(tle.InclusionPromise.SignedEntryTimestamp),
			"inclusionProof": map[string]any{"checkpoint": p.Checkpoint.Envelope, "hashes": hashes, "logIndex": p.LogIndex,
				"rootHash": hex.EncodeToString(p.RootHash), "treeSize": p.TreeSize},
		},
	}, nil
}
