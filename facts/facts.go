// Package facts turns envelopes about one model into what policy may trust:
// verified facts, and rejected envelopes with the reason for each.
package facts

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/tlog"
)

// SignerRef is the part of a signer that policy sees.
type SignerRef struct {
	ID       string   `json:"id"`
	Identity string   `json:"identity"`
	Roles    []string `json:"roles"`
	KeyID    string   `json:"-"`
}

// Fact is a verified envelope about the subject.
type Fact struct {
	ID               string    `json:"id"`
	Type             string    `json:"type"`
	Predicate        any       `json:"predicate"`
	Signer           SignerRef `json:"signer"`
	StatementVersion string    `json:"statement_version"`
	Subjects         []string  `json:"subjects"`
	Source           string    `json:"source,omitempty"`
	// Names are the names under which the statement names the subject.
	Names []string `json:"-"`
	// Raw is the predicate as signed.
	Raw json.RawMessage `json:"-"`
	// StatementID is sha256:HEX of the signed statement.
	StatementID string `json:"-"`
}

// Rejected is an envelope that did not verify, and why. When a trusted
// signature held but the predicate did not, Type and Signer say whose it
// was, and Time its event time when that could be read.
type Rejected struct {
	ID     string     `json:"id,omitempty"`
	Source string     `json:"source"`
	Reason string     `json:"reason"`
	Type   string     `json:"type,omitempty"`
	Signer *SignerRef `json:"signer,omitempty"`
	Time   string     `json:"time,omitempty"`
}

// MaxFuture is how far past the decision's time evidence may be dated
// (clock skew); anything later is rejected as dated in the future.
const MaxFuture = 5 * time.Minute

// Result is what Collect found for one subject.
type Result struct {
	Facts    []Fact     `json:"evidence"`
	Rejected []Rejected `json:"rejected"`
}

// Trust is a prepared trust list: every public key parsed once, one
// envelope verifier shared by all goroutines.
type Trust struct {
	verifier *attest.Verifier // nil when no signer has a key
	byKeyID  map[string]SignerRef
	keyless  *attest.KeylessVerifier
	// identities are the keyless signers, in trust-list order.
	identities []keylessSigner
	// logs are the ledger's transparency logs the bundle trusts, by origin.
	logs tlog.Verifiers
	// pki are the private PKI signers, in trust-list order.
	pki []pkiSigner
}

// pkiSigner is a trust-list entry known by certificates of a private PKI.
type pkiSigner struct {
	ref   SignerRef
	id    *attest.PKIIdentity
	exact bool // a subject or email: the entry's identity speaks; else the certificate's subject
}

// LedgerRole is the role of a transparency log's key: it signs the
// ledger's checkpoints, and nothing else.
const LedgerRole = "ledger"

// Logs are the ledger logs the trust list trusts, by origin.
func (t *Trust) Logs() tlog.Verifiers { return t.logs }

// keylessSigner is a trust-list entry known by its certificate identity.
type keylessSigner struct {
	ref   SignerRef
	id    *attest.Identity
	exact bool // an exact subject: the entry's identity speaks; else the certificate's subject
}

// ErrNoSigner is a trust list with no signer: nothing it would verify.
var ErrNoSigner = errors.New("trusts no signer")

// NewTrust parses the signers' public keys; a keyless signer needs
// NewTrustWithRoot.
func NewTrust(signers []keys.Signer) (*Trust, error) { return NewTrustWithRoot(signers, nil) }

// NewTrustWithRoot parses the signers' public keys and keyless identities;
// root (nil: none) is what keyless signatures are verified against.
func NewTrustWithRoot(signers []keys.Signer, root *attest.KeylessRoot) (*Trust, error) {
	t := &Trust{byKeyID: map[string]SignerRef{}, logs: tlog.Verifiers{}}
	if err := CheckIdentities(signers); err != nil {
		return nil, err
	}
	var vs []*keys.Verifier
	for _, s := range signers {
		if s.ID == "" {
			return nil, errors.New("trust: a signer has no id")
		}
		if s.X509 != nil {
			if s.PublicKey != "" || s.Keyless != nil {
				return nil, fmt.Errorf("trust: signer %s has an x509 PKI and a key or keyless identity; give one", s.ID)
			}
			if slices.Contains(s.Roles, "gate") || slices.Contains(s.Roles, LedgerRole) {
				return nil, fmt.Errorf("trust: signer %s is a PKI identity, and the %v role signs with a key: give it a key", s.ID, s.Roles)
			}
			id, err := attest.NewPKIIdentity(s.X509)
			if err != nil {
				return nil, fmt.Errorf("trust: signer %s: %w", s.ID, err)
			}
			t.pki = append(t.pki, pkiSigner{ref: SignerRef{ID: s.ID, Identity: NormaliseIdentity(s.Identity), Roles: s.Roles}, id: id, exact: s.X509.SubjectRegexp == ""})
			continue
		}
		if s.Keyless != nil {
			if s.PublicKey != "" {
				return nil, fmt.Errorf("trust: signer %s has both a public key and a keyless identity; give one", s.ID)
			}
			if slices.Contains(s.Roles, "gate") {
				return nil, fmt.Errorf("trust: signer %s is keyless, and the gate role signs ledger records with a key: give the gate a key", s.ID)
			}
			id, err := attest.NewIdentity(s.Keyless.Issuer, s.Keyless.Subject, s.Keyless.SubjectRegexp, s.Keyless.Extensions)
			if err != nil {
				return nil, fmt.Errorf("trust: signer %s: %w", s.ID, err)
			}
			t.identities = append(t.identities, keylessSigner{ref: SignerRef{ID: s.ID, Identity: NormaliseIdentity(s.Identity), Roles: s.Roles}, id: id, exact: s.Keyless.Subject != ""})
			continue
		}
		if slices.Contains(s.Roles, LedgerRole) {
			if len(s.Roles) != 1 {
				return nil, fmt.Errorf("trust: signer %s: a ledger key signs the log's checkpoints and nothing else: give it the ledger role alone", s.ID)
			}
			lv, err := tlog.ParseVerifier(s.PublicKey)
			if err != nil {
				return nil, fmt.Errorf("trust: signer %s: %w", s.ID, err)
			}
			if s.Identity != lv.Name() {
				return nil, fmt.Errorf("trust: signer %s: the ledger key is the log %s's, but its identity says %s: the identity of a ledger signer is its log's origin", s.ID, lv.Name(), s.Identity)
			}
			t.logs[lv.Name()] = lv
			continue
		}
		v, err := keys.ParsePublicKey([]byte(s.PublicKey))
		if err != nil {
			return nil, fmt.Errorf("trust: signer %s: %w", s.ID, err)
		}
		if _, dup := t.byKeyID[v.KeyID]; dup {
			continue
		}
		t.byKeyID[v.KeyID] = SignerRef{ID: s.ID, Identity: NormaliseIdentity(s.Identity), Roles: s.Roles, KeyID: v.KeyID}
		vs = append(vs, v)
	}
	if len(vs) == 0 && len(t.identities) == 0 && len(t.pki) == 0 {
		return nil, ErrNoSigner
	}
	if len(t.identities) > 0 {
		if root == nil || len(root.TrustedRoot) == 0 {
			return nil, fmt.Errorf("trust: keyless signers are verified against a Sigstore trusted root, and the bundle carries none (%w)", attest.ErrNoTrustedRoot)
		}
		kv, err := attest.NewKeylessVerifier(*root)
		if err != nil {
			return nil, fmt.Errorf("trust: %w", err)
		}
		t.keyless = kv
	}
	if len(vs) > 0 {
		ver, err := attest.NewVerifier(vs)
		if err != nil {
			return nil, err
		}
		t.verifier = ver
	}
	return t, nil
}

// verifyKeyless checks a keyless Sigstore bundle and finds the trusted
// signer its certificate names.
func (t *Trust) verifyKeyless(data []byte) (*attest.Verified, SignerRef, error) {
	if t.keyless == nil {
		return nil, SignerRef{}, errors.New("a keyless signature, and the trust list has no keyless signer")
	}
	v, cert, err := t.keyless.Verify(data)
	if cert == nil {
		return nil, SignerRef{}, err
	}
	for _, k := range t.identities {
		if k.id.Match(cert) != nil {
			continue
		}
		ref := k.ref
		if !k.exact {
			// Two people one pattern admits are two signers.
			ref.Identity = NormaliseIdentity(cert.SubjectAlternativeName)
		}
		return v, ref, err
	}
	return nil, SignerRef{}, fmt.Errorf("the certificate's identity (subject %q, issuer %q) matches no keyless signer in the trust list", cert.SubjectAlternativeName, cert.Issuer)
}

// verifyPKI checks a bundle signed under a private PKI: a certificate
// chain to a trusted signer's roots, valid now (a certificate-method
// signature carries no timestamp to date it by), naming its identity, and
// the envelope signed by the leaf's key.
func (t *Trust) verifyPKI(ctx context.Context, data []byte, chain []*x509.Certificate, now time.Time) (*attest.Verified, SignerRef, error) {
	var reasons []string
	for _, s := range t.pki {
		name, err := s.id.Match(chain, now)
		if err != nil {
			reasons = append(reasons, s.ref.ID+": "+err.Error())
			continue
		}
		pub, err := keys.VerifierOf(chain[0].PublicKey)
		if err != nil {
			return nil, SignerRef{}, err
		}
		ver, err := attest.NewVerifier([]*keys.Verifier{pub})
		if err != nil {
			return nil, SignerRef{}, err
		}
		v, err := ver.Verify(ctx, data)
		if err != nil {
			return v, s.ref, fmt.Errorf("the certificate of %s does not verify the envelope: %w", name, err)
		}
		ref := s.ref
		if !s.exact {
			ref.Identity = NormaliseIdentity(name)
		}
		return v, ref, nil
	}
	return nil, SignerRef{}, fmt.Errorf("%w: the certificate chain matches no PKI signer in the trust list (%s)", attest.ErrUntrusted, strings.Join(reasons, "; "))
}

// rejection is an error with what is known of a trusted but unreadable envelope.
type rejection struct {
	err    error
	typ    string
	signer SignerRef
	time   string
}

func (r *rejection) Error() string { return r.err.Error() }

// Verify checks one envelope for the subject and returns its fact. Evidence
// dated more than MaxFuture after now is rejected.
func (t *Trust) Verify(ctx context.Context, subjectHex string, env evidence.Envelope, now time.Time) (*Fact, error) {
	return t.verify(ctx, digest.Subject{SHA256: subjectHex}, env, now)
}

// verify checks one envelope for the subject; a model signature is about
// the subject when it lists exactly the subject's files.
func (t *Trust) verify(ctx context.Context, subject digest.Subject, env evidence.Envelope, now time.Time) (*Fact, error) {
	subjectHex := subject.SHA256
	var (
		v      *attest.Verified
		signer SignerRef
		err    error
	)
	chain, chainErr := attest.CertificateChain(env.Data)
	switch {
	case chainErr != nil:
		err = chainErr
	case chain != nil && len(t.pki) > 0:
		v, signer, err = t.verifyPKI(ctx, env.Data, chain, now)
	case attest.IsKeyless(env.Data):
		v, signer, err = t.verifyKeyless(env.Data)
	case t.verifier == nil:
		err = fmt.Errorf("%w: the trust list has no signer with a key", attest.ErrUntrusted)
	default:
		v, err = t.verifier.Verify(ctx, env.Data)
		if v != nil {
			signer = t.byKeyID[v.KeyID]
		}
	}
	if err != nil {
		if v != nil && v.Statement.Names(subjectHex) {
			r := &rejection{err: err, typ: v.Statement.PredicateType, signer: signer}
			r.time = readableTime(v.Statement)
			return nil, r
		}
		return nil, err
	}
	if v.Statement.PredicateType == attest.ModelSignatureType && subject.Files == nil && subject.Recorded {
		// A recorded input of a recorded decision: its file list was held
		// against the model's files when the decision was made; its
		// signature still has to verify under this bundle.
	} else if v.Statement.PredicateType == attest.ModelSignatureType {
		if err := checkModelSignature(v.Statement, subject.Files, subject.Root, digest.Hex(attest.EnvelopeID(env.Data))); err != nil {
			return nil, err
		}
	} else if !v.Statement.Names(subjectHex) {
		return nil, fmt.Errorf("names %s, not the subject sha256:%s", strings.Join(prefixAll(v.Statement.SubjectDigests()), ", "), subjectHex)
	}
	if at, ok := attest.EventTimeOf(v.Statement.PredicateType, v.Predicate); ok && at.After(now.Add(MaxFuture)) {
		return nil, fmt.Errorf("dated in the future: %s is after the decision's time %s", attest.NormalTime(at), attest.NormalTime(now))
	}
	return &Fact{
		ID:               v.ID,
		Type:             v.Statement.PredicateType,
		Predicate:        v.Predicate,
		Signer:           signer,
		StatementVersion: v.Statement.Version(),
		Subjects:         v.Statement.SubjectDigests(),
		Source:           env.Source,
		Names:            v.Statement.NamesOf(subjectHex),
		Raw:              v.Statement.Predicate,
		StatementID:      v.StatementID,
	}, nil
}

// readableTime is the event time of a predicate that failed its schema,
// when that one field can still be read strictly.
func readableTime(st *attest.Statement) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(st.Predicate, &m) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(m[attest.EventTime[attest.ShortName(st.PredicateType)]], &s) != nil {
		return ""
	}
	n, err := attest.NormaliseTime(s)
	if err != nil {
		return ""
	}
	return n
}

func prefixAll(hexes []string) []string {
	out := make([]string, len(hexes))
	for i, h := range hexes {
		out[i] = digest.Prefixed(h)
	}
	return out
}

// Collect verifies envelopes in parallel as of now. Each distinct envelope
// is judged once; the output is sorted by id so that decisions are
// reproducible.
func Collect(ctx context.Context, t *Trust, subjectHex string, envs []evidence.Envelope, now time.Time) Result {
	return CollectFor(ctx, t, digest.Subject{SHA256: subjectHex}, envs, now)
}

// CollectFor is Collect for a subject whose files are known (digested from
// a path), so that model signatures over those files count.
func CollectFor(ctx context.Context, t *Trust, subject digest.Subject, envs []evidence.Envelope, now time.Time) Result {
	unique := make([]evidence.Envelope, 0, len(envs))
	seen := make(map[string]bool, len(envs))
	for _, e := range envs {
		if e.ID == "" {
			e.ID = attest.EnvelopeID(e.Data)
		}
		if !seen[e.ID] {
			seen[e.ID] = true
			unique = append(unique, e)
		}
	}
	facts := make([]*Fact, len(unique))
	errs := make([]error, len(unique))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(runtime.GOMAXPROCS(0), max(len(unique), 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := ctx.Err(); err != nil {
					errs[i] = fmt.Errorf("not verified: %w", err)
					continue
				}
				facts[i], errs[i] = t.verify(ctx, subject, unique[i], now)
			}
		}()
	}
	for i := range unique {
		next <- i
	}
	close(next)
	wg.Wait()

	res := Result{Facts: []Fact{}, Rejected: []Rejected{}}
	for i, e := range unique {
		if errs[i] != nil {
			rj := Rejected{ID: e.ID, Source: e.Source, Reason: errs[i].Error()}
			var r *rejection
			if errors.As(errs[i], &r) {
				signer := r.signer
				rj.Type, rj.Signer, rj.Time = r.typ, &signer, r.time
			}
			res.Rejected = append(res.Rejected, rj)
			continue
		}
		res.Facts = append(res.Facts, *facts[i])
	}
	sort.Slice(res.Facts, func(i, j int) bool { return res.Facts[i].ID < res.Facts[j].ID })
	sort.Slice(res.Rejected, func(i, j int) bool { return res.Rejected[i].ID < res.Rejected[j].ID })
	return res
}

// FromProblems turns store problems into rejections.
func FromProblems(problems []evidence.Problem) []Rejected {
	out := make([]Rejected, len(problems))
	for i, p := range problems {
		out[i] = Rejected{Source: p.Source, Reason: p.Reason}
	}
	return out
}

// Signer loads a signing key (a PEM file or a KMS URI) that must belong to
// a trusted signer holding one of roles: the one loader of a key that is
// to sign records or evidence others will accept.
func (t *Trust) Signer(ctx context.Context, keyRef string, roles ...string) (signature.SignerVerifier, SignerRef, error) {
	sv, err := keys.LoadSigner(ctx, keyRef)
	if err != nil {
		return nil, SignerRef{}, err
	}
	ref, err := t.SignerOf(sv, roles...)
	if err != nil {
		return nil, SignerRef{}, err
	}
	return sv, ref, nil
}

// SignerOf is the trusted signer of a loaded signing key, holding one of roles.
func (t *Trust) SignerOf(sv signature.SignerVerifier, roles ...string) (SignerRef, error) {
	pub, err := sv.PublicKey()
	if err != nil {
		return SignerRef{}, err
	}
	return t.SignerOfKey(pub, roles...)
}

// KeyWithRole reads a public key (PEM) that must belong to a trusted
// signer holding one of roles, and returns its key id.
func (t *Trust) KeyWithRole(pemBytes []byte, roles ...string) (string, error) {
	k, err := keys.ParsePublicKey(pemBytes)
	if err != nil {
		return "", err
	}
	if _, err := t.SignerOfKey(k.Public, roles...); err != nil {
		return "", err
	}
	return k.KeyID, nil
}

// SignerOfKey returns the trusted signer of a public key, if it holds one
// of the roles; the error says how to mend it.
func (t *Trust) SignerOfKey(pub crypto.PublicKey, roles ...string) (SignerRef, error) {
	id, err := keys.KeyID(pub)
	if err != nil {
		return SignerRef{}, err
	}
	s, ok := t.byKeyID[id]
	if !ok {
		return SignerRef{}, fmt.Errorf("the key is not in the policy bundle's trust list (key id %s); add it as a signer with the %s role", id, strings.Join(roles, " or "))
	}
	for _, r := range roles {
		if slices.Contains(s.Roles, r) {
			return s, nil
		}
	}
	return SignerRef{}, fmt.Errorf("signer %s lacks the %s role, so nobody would accept what it signs; use a key with that role", s.ID, strings.Join(roles, " or "))
}
