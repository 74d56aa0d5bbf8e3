package attest

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// SigstoreBundleType prefixes the media types of Sigstore bundles (v0.1 to
// v0.3): what 'cosign attest-blob --new-bundle-format', GitHub artifact
// attestations and model signing write.
const SigstoreBundleType = "application/vnd.dev.sigstore.bundle"

// sigstoreBundle is the part of a Sigstore bundle read before verifying:
// its media type, the DSSE envelope inside, and whether a certificate (a
// keyless signature) or a public key hint signed it.
type sigstoreBundle struct {
	MediaType            string          `json:"mediaType"`
	DSSEEnvelope         *dsse.Envelope  `json:"dsseEnvelope"`
	MessageSignature     json.RawMessage `json:"messageSignature"`
	VerificationMaterial struct {
		Certificate          json.RawMessage `json:"certificate"`
		X509CertificateChain json.RawMessage `json:"x509CertificateChain"`
	} `json:"verificationMaterial"`
}

// readSigstoreBundle reads data as a Sigstore bundle when its media type
// says it is one (ok); the DSSE envelope it carries is what gets indexed
// and verified.
func readSigstoreBundle(data []byte) (b *sigstoreBundle, ok bool, err error) {
	var probe struct {
		MediaType string `json:"mediaType"`
	}
	if json.Unmarshal(data, &probe) != nil || !strings.HasPrefix(probe.MediaType, SigstoreBundleType) {
		return nil, false, nil
	}
	b = &sigstoreBundle{}
	if err := json.Unmarshal(data, b); err != nil {
		return nil, true, fmt.Errorf("%w: a Sigstore bundle that does not parse: %v", ErrMalformed, err)
	}
	if b.DSSEEnvelope == nil {
		if b.MessageSignature != nil {
			return nil, true, fmt.Errorf("%w: a Sigstore bundle of a bare signature over a blob, not an in-toto attestation: sign a statement (cosign attest-blob)", ErrMalformed)
		}
		return nil, true, fmt.Errorf("%w: a Sigstore bundle without a DSSE envelope", ErrMalformed)
	}
	return b, true, nil
}

// keyless reports whether a certificate signed the bundle.
func (b *sigstoreBundle) keyless() bool {
	return len(b.VerificationMaterial.Certificate) > 0 || len(b.VerificationMaterial.X509CertificateChain) > 0
}

// SigstoreMediaType is the media type of a Sigstore bundle ("" for anything else).
func SigstoreMediaType(data []byte) string {
	b, ok, err := readSigstoreBundle(data)
	if !ok || err != nil {
		return ""
	}
	return b.MediaType
}

// IsKeyless reports whether data is a Sigstore bundle signed with a
// short-lived certificate rather than a key.
func IsKeyless(data []byte) bool {
	b, ok, err := readSigstoreBundle(data)
	return ok && err == nil && b.keyless()
}

// KeylessVerifier verifies keyless Sigstore bundles against one trusted
// root: the certificate chain to a Fulcio CA, its signed certificate
// timestamp, and an observer timestamp (a transparency-log entry with its
// signed entry timestamp, or an RFC 3161 timestamp) inside the
// certificate's validity. It does not judge identities: Match does.
type KeylessVerifier struct {
	logged *verify.Verifier // for bundles with log entries: each must verify
	stamps *verify.Verifier // for bundles with RFC 3161 timestamps alone
}

// ErrNoTrustedRoot is a keyless signature with no trusted root to check it against.
var ErrNoTrustedRoot = errors.New("no Sigstore trusted root to verify keyless signatures against")

// KeylessRoot is what keyless signatures are verified against: a trusted
// root (the protobuf-specs JSON of 'cosign trusted-root create' and
// sigstore's TUF repository), how many signed certificate timestamps a
// certificate must carry (0 for a private Fulcio without a CT log), and how
// many observer timestamps (log entries with their signed entry
// timestamps, or RFC 3161 timestamps) a signature needs, at least one.
type KeylessRoot struct {
	TrustedRoot        []byte
	SCTThreshold       int
	TimestampThreshold int
}

// NewKeylessVerifier prepares the verification of keyless signatures.
func NewKeylessVerifier(r KeylessRoot) (*KeylessVerifier, error) {
	tr, err := root.NewTrustedRootFromJSON(r.TrustedRoot)
	if err != nil {
		return nil, fmt.Errorf("sigstore trusted root: %w", err)
	}
	if r.TimestampThreshold < 1 || r.SCTThreshold < 0 {
		return nil, fmt.Errorf("sigstore: a keyless signature needs at least one observer timestamp (timestamp_threshold %d) and no negative SCT threshold (%d)", r.TimestampThreshold, r.SCTThreshold)
	}
	var sct []verify.VerifierOption
	if r.SCTThreshold > 0 {
		sct = append(sct, verify.WithSignedCertificateTimestamps(r.SCTThreshold))
	}
	logged, err := verify.NewVerifier(tr, append(sct, verify.WithTransparencyLog(1), verify.WithObserverTimestamps(r.TimestampThreshold))...)
	if err != nil {
		return nil, fmt.Errorf("sigstore trusted root: %w", err)
	}
	stamps, err := verify.NewVerifier(tr, append(sct, verify.WithSignedTimestamps(r.TimestampThreshold))...)
	if err != nil {
		return nil, fmt.Errorf("sigstore trusted root: %w", err)
	}
	return &KeylessVerifier{logged: logged, stamps: stamps}, nil
}

// Verify checks a keyless Sigstore bundle and returns what it carries, with
// the signing certificate's summary for identity matching.
func (k *KeylessVerifier) Verify(data []byte) (*Verified, *certificate.Summary, error) {
	if len(data) > MaxEnvelopeSize {
		return nil, nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), MaxEnvelopeSize)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, nil, fmt.Errorf("%w: a Sigstore bundle that does not parse: %v", ErrMalformed, err)
	}
	// A log entry, when the bundle carries one, must verify (with its
	// inclusion proof or promise); without one, timestamps must do.
	sv := k.stamps
	if entries, err := b.TlogEntries(); err == nil && len(entries) > 0 {
		sv = k.logged
	}
	res, err := sv.Verify(&b, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithoutIdentitiesUnsafe()))
	if err != nil {
		return nil, nil, fmt.Errorf("the keyless signature does not verify against the bundle's Sigstore trusted root: %v", err)
	}
	if res.Signature == nil || res.Signature.Certificate == nil {
		return nil, nil, errors.New("the Sigstore bundle carries no certificate")
	}
	env, err := ParseEnvelope(data)
	if err != nil {
		return nil, nil, err
	}
	if env.PayloadType != PayloadType {
		return nil, nil, fmt.Errorf("%w %q, want %q", ErrPayloadType, env.PayloadType, PayloadType)
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: payload is not base64", ErrMalformed)
	}
	v, err := decodeVerified(data, payload, "")
	return v, res.Signature.Certificate, err
}

// Identity is a keyless signer's certificate identity as a trust list
// gives it: the OIDC issuer, and the exact subject or an anchored regexp,
// with Fulcio extensions that must match exactly.
type Identity struct {
	ci verify.CertificateIdentity
}

// extensionNames maps the trust list's names of Fulcio certificate
// extensions to sigstore's.
var extensionNames = map[string]string{
	"github_workflow_trigger":                 "githubWorkflowTrigger",
	"github_workflow_sha":                     "githubWorkflowSHA",
	"github_workflow_name":                    "githubWorkflowName",
	"github_workflow_repository":              "githubWorkflowRepository",
	"github_workflow_ref":                     "githubWorkflowRef",
	"build_signer_uri":                        "buildSignerURI",
	"build_signer_digest":                     "buildSignerDigest",
	"runner_environment":                      "runnerEnvironment",
	"source_repository_uri":                   "sourceRepositoryURI",
	"source_repository_digest":                "sourceRepositoryDigest",
	"source_repository_ref":                   "sourceRepositoryRef",
	"source_repository_identifier":            "sourceRepositoryIdentifier",
	"source_repository_owner_uri":             "sourceRepositoryOwnerURI",
	"source_repository_owner_identifier":      "sourceRepositoryOwnerIdentifier",
	"build_config_uri":                        "buildConfigURI",
	"build_config_digest":                     "buildConfigDigest",
	"build_trigger":                           "buildTrigger",
	"run_invocation_uri":                      "runInvocationURI",
	"source_repository_visibility_at_signing": "sourceRepositoryVisibilityAtSigning",
}

// NewIdentity checks and prepares a keyless identity: an issuer, and one
// of subject or subjectRegexp (anchored here: it must match the whole
// subject).
func NewIdentity(issuer, subject, subjectRegexp string, extensions map[string]string) (*Identity, error) {
	if issuer == "" {
		return nil, errors.New("a keyless signer needs its OIDC issuer")
	}
	if (subject == "") == (subjectRegexp == "") {
		return nil, errors.New("a keyless signer needs exactly one of subject and subject_regexp")
	}
	if subjectRegexp != "" {
		if _, err := regexp.Compile(subjectRegexp); err != nil {
			return nil, fmt.Errorf("subject_regexp %q: %v", subjectRegexp, err)
		}
		// Anchored as it is matched; a pattern that compiles alone may not
		// (\Q quotes to the end, the closing anchor included).
		anchored, err := regexp.Compile("^(?:" + subjectRegexp + ")$")
		if err != nil {
			return nil, fmt.Errorf("subject_regexp %q does not compile anchored as ^(?:…)$ (%v): end a \\Q quote with \\E", subjectRegexp, err)
		}
		if anchored.MatchString("") {
			return nil, fmt.Errorf("subject_regexp %q matches an empty subject: it would trust anyone", subjectRegexp)
		}
		subjectRegexp = "^(?:" + subjectRegexp + ")$"
	}
	ext := map[string]string{}
	for k, v := range extensions {
		name, ok := extensionNames[k]
		if !ok {
			return nil, fmt.Errorf("unknown certificate extension %q", k)
		}
		ext[name] = v
	}
	raw, _ := json.Marshal(ext)
	var e certificate.Extensions
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, err
	}
	san, err := verify.NewSANMatcher(subject, subjectRegexp)
	if err != nil {
		return nil, err
	}
	iss, err := verify.NewIssuerMatcher(issuer, "")
	if err != nil {
		return nil, err
	}
	ci, err := verify.NewCertificateIdentity(san, iss, e)
	if err != nil {
		return nil, err
	}
	return &Identity{ci: ci}, nil
}

// Match reports whether a verified certificate is this identity's.
func (i *Identity) Match(c *certificate.Summary) error {
	return i.ci.Verify(*c)
}
