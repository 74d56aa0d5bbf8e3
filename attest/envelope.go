package attest

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/keys"
)

// MaxEnvelopeSize bounds an envelope read from a file, a store or a registry.
const MaxEnvelopeSize = 4 << 20

// EnvelopeID is the content address of an envelope: sha256:HEX of its bytes.
func EnvelopeID(data []byte) string {
	sum := sha256.Sum256(data)
	return digest.Prefixed(hex.EncodeToString(sum[:]))
}

// Sign wraps a statement in a DSSE envelope signed by sv and returns its JSON.
func Sign(ctx context.Context, sv signature.SignerVerifier, statement []byte) ([]byte, error) {
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	id, err := keys.KeyID(pub)
	if err != nil {
		return nil, err
	}
	return signAs(ctx, sv, pub, id, statement)
}

// SignForPeers signs as Sign does, naming the key by the id DSSE's
// reference library derives from the public key itself (its SSH SHA256
// fingerprint), so verifiers that are given only the public key, as
// slsa-verifier's verify-vsa is, match the signature to it. The ledger's
// records are signed so.
func SignForPeers(ctx context.Context, sv signature.SignerVerifier, statement []byte) ([]byte, error) {
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	id, err := dsse.SHA256KeyID(pub)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	return signAs(ctx, sv, pub, id, statement)
}

func signAs(ctx context.Context, sv signature.SignerVerifier, pub crypto.PublicKey, id string, statement []byte) ([]byte, error) {
	signer, err := dsse.NewEnvelopeSigner(&sigdsse.SignerAdapter{SignatureSigner: sv, Pub: pub, PubKeyID: id})
	if err != nil {
		return nil, err
	}
	env, err := signer.SignPayload(ctx, PayloadType, statement)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return json.Marshal(env)
}

// Verified is an envelope whose signature checked out against a trusted key.
type Verified struct {
	ID string // EnvelopeID of the envelope bytes
	// StatementID is sha256:HEX of the signed payload: one statement
	// re-encoded in other envelope bytes keeps it.
	StatementID string
	KeyID       string // the key that verified it
	Statement   *Statement
	Predicate   any // the statement's predicate, decoded with json.Number
}

// Verifier checks envelopes against a fixed set of public keys. It is safe
// for concurrent use; build it once per set of keys.
type Verifier struct {
	ev *dsse.EnvelopeVerifier
}

// NewVerifier prepares a verifier for the given keys.
func NewVerifier(trusted []*keys.Verifier) (*Verifier, error) {
	if len(trusted) == 0 {
		return nil, errors.New("no trusted keys")
	}
	// Each key answers to both of its ids: modelgate's (the hex SHA-256 of
	// its DER) and the one DSSE's reference library derives (SignForPeers).
	var providers []dsse.Verifier
	for _, k := range trusted {
		providers = append(providers, &sigdsse.VerifierAdapter{SignatureVerifier: k.Verifier, Pub: k.Public, PubKeyID: k.KeyID})
		if peer, err := dsse.SHA256KeyID(k.Public); err == nil {
			providers = append(providers, &keyAlias{VerifierAdapter: sigdsse.VerifierAdapter{SignatureVerifier: k.Verifier, Pub: k.Public, PubKeyID: peer}, id: k.KeyID})
		}
	}
	ev, err := dsse.NewEnvelopeVerifier(providers...)
	if err != nil {
		return nil, err
	}
	return &Verifier{ev: ev}, nil
}

// Verification failures, distinguishable with errors.Is.
var (
	ErrMalformed      = errors.New("malformed envelope")
	ErrTooLarge       = errors.New("envelope too large")
	ErrPayloadType    = errors.New("wrong payload type")
	ErrUntrusted      = errors.New("no trusted key verifies the signature")
	ErrBadStatement   = errors.New("bad statement")
	ErrSchemaMismatch = errors.New("predicate fails its schema")
)

// ParseEnvelope decodes a DSSE envelope within the size bound.
func ParseEnvelope(data []byte) (*dsse.Envelope, error) {
	if len(data) > MaxEnvelopeSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), MaxEnvelopeSize)
	}
	var env dsse.Envelope
	if b, ok, err := readSigstoreBundle(data); ok {
		// A Sigstore bundle: the DSSE envelope inside is what was signed.
		if err != nil {
			return nil, err
		}
		env = *b.DSSEEnvelope
	} else if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("%w: not DSSE JSON: %v", ErrMalformed, err)
	}
	if env.Payload == "" || len(env.Signatures) == 0 {
		return nil, fmt.Errorf("%w: no payload or no signatures", ErrMalformed)
	}
	if len(env.Signatures) > MaxSignatures {
		return nil, fmt.Errorf("%w: %d signatures, over the limit of %d per envelope", ErrMalformed, len(env.Signatures), MaxSignatures)
	}
	return &env, nil
}

// Verify checks an envelope's payload type and DSSE signature, then parses
// its statement and validates a modelgate predicate against its schema.
// When the signature holds but the predicate does not (ErrSchemaMismatch),
// the returned Verified still names the key and the statement, without a
// predicate, so that policy can treat a trusted signer's unreadable
// evidence as what it is.
func (v *Verifier) Verify(ctx context.Context, data []byte) (*Verified, error) {
	env, err := ParseEnvelope(data)
	if err != nil {
		return nil, err
	}
	if env.PayloadType != PayloadType {
		return nil, fmt.Errorf("%w %q, want %q", ErrPayloadType, env.PayloadType, PayloadType)
	}
	env.Signatures = uniqueSignatures(env.Signatures)
	accepted, payload, err := v.ev.VerifyAndDecode(ctx, env)
	if err != nil || len(accepted) == 0 {
		return nil, ErrUntrusted
	}
	keyID := accepted[0].KeyID
	if a, ok := accepted[0].Public.(aliased); ok {
		keyID = a.id
	}
	return decodeVerified(data, payload, keyID)
}

// decodeVerified reads the statement of an envelope whose signature held.
func decodeVerified(data, payload []byte, keyID string) (*Verified, error) {
	st, err := ParseStatement(payload)
	if err != nil {
		if errors.Is(err, ErrWeakDigest) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrBadStatement, err)
	}
	out := &Verified{ID: EnvelopeID(data), StatementID: EnvelopeID(payload), KeyID: keyID, Statement: st}
	pred, err := decodePredicate(st.PredicateType, st.Predicate)
	if err != nil {
		return out, fmt.Errorf("%w: %v", ErrSchemaMismatch, err)
	}
	out.Predicate = pred
	return out, nil
}

// uniqueSignatures keeps one signature per key id (and drops exact repeats),
// which the DSSE library would otherwise report on standard output.
func uniqueSignatures(sigs []dsse.Signature) []dsse.Signature {
	seen := make(map[string]bool, len(sigs))
	out := sigs[:0:0]
	for _, s := range sigs {
		key := "sig:" + s.Sig
		if s.KeyID != "" {
			key = "key:" + s.KeyID
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, s)
		}
	}
	return out
}

// keyAlias is a trusted key under its other id; it reports the key as
// modelgate names it.
type keyAlias struct {
	sigdsse.VerifierAdapter
	id string
}

// aliased is the public key an alias verified with, carrying modelgate's id.
type aliased struct {
	crypto.PublicKey
	id string
}

// Public is the key, marked with modelgate's id for Verify.
func (k *keyAlias) Public() crypto.PublicKey { return aliased{k.VerifierAdapter.Public(), k.id} }
