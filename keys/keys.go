// Package keys generates signing keys and loads signers and verifiers from
// PEM files or KMS URIs through sigstore's signature package.
package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// PasswordEnv names the environment variable that holds the private key password.
const PasswordEnv = "MODELGATE_KEY_PASSWORD"

// Algorithms lists what Generate accepts.
var Algorithms = []string{"ecdsa-p256", "ed25519"}

// Generate makes a key pair and returns the private key PEM (encrypted when
// password is not empty) and the PKIX public key PEM.
func Generate(algorithm string, password []byte) (privPEM, pubPEM []byte, err error) {
	var priv crypto.Signer
	switch algorithm {
	case "ecdsa-p256", "":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, nil, fmt.Errorf("unknown algorithm %q: use one of %s", algorithm, strings.Join(Algorithms, ", "))
	}
	if err != nil {
		return nil, nil, err
	}
	pubPEM, err = cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		return nil, nil, err
	}
	if len(password) == 0 {
		privPEM, err = cryptoutils.MarshalPrivateKeyToPEM(priv)
		return privPEM, pubPEM, err
	}
	der, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(priv, func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		return nil, nil, err
	}
	return cryptoutils.PEMEncode(cryptoutils.EncryptedSigstorePrivateKeyPEMType, der), pubPEM, nil
}

// IsKMS reports whether ref names a key held by a KMS provider.
func IsKMS(ref string) bool { return kmsScheme(ref) != "" }

// LoadSigner returns a signer for a PEM private key file or a KMS URI.
// The password for an encrypted PEM key comes from MODELGATE_KEY_PASSWORD.
func LoadSigner(ctx context.Context, ref string) (signature.SignerVerifier, error) {
	if IsKMS(ref) {
		if err := CheckCredentials(ref); err != nil {
			return nil, err
		}
		return loadKMS(ctx, ref)
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	return ParseSigner(data, []byte(os.Getenv(PasswordEnv)))
}

// ParseSigner loads a PEM private key, decrypting it with password when needed.
func ParseSigner(pemBytes, password []byte) (signature.SignerVerifier, error) {
	encrypted := strings.Contains(string(pemBytes), "ENCRYPTED")
	if encrypted && len(password) == 0 {
		return nil, fmt.Errorf("key is encrypted: set %s to its password", PasswordEnv)
	}
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(pemBytes, func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		if encrypted {
			return nil, fmt.Errorf("key could not be decrypted: check %s", PasswordEnv)
		}
		return nil, fmt.Errorf("key is not a PEM private key (%v): generate one with 'modelgate keygen'", err)
	}
	sv, err := signature.LoadDefaultSignerVerifier(priv)
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	return sv, nil
}

// Verifier is a parsed public key, ready to check signatures.
type Verifier struct {
	signature.Verifier
	Public crypto.PublicKey
	// KeyID is the hex SHA-256 of the PKIX DER public key.
	KeyID string
}

// ParsePublicKey parses a PKIX PEM public key once, for reuse across many checks.
func ParsePublicKey(pemBytes []byte) (*Verifier, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("not a PEM public key: %w", err)
	}
	return VerifierOf(pub)
}

// VerifierOf prepares a verifier for a public key already parsed (a
// certificate's).
func VerifierOf(pub crypto.PublicKey) (*Verifier, error) {
	v, err := signature.LoadDefaultVerifier(pub)
	if err != nil {
		return nil, err
	}
	id, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	return &Verifier{Verifier: v, Public: pub, KeyID: id}, nil
}

// KeyID is the hex SHA-256 of the key's PKIX DER encoding.
func KeyID(pub crypto.PublicKey) (string, error) {
	if pub == nil {
		return "", errors.New("no public key")
	}
	der, err := cryptoutils.MarshalPublicKeyToDER(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// Signer is one entry of a trust list: a public key (PEM) or a keyless
// identity, the identity it speaks for, and the roles it may sign in.
type Signer struct {
	ID        string   `json:"id"`
	PublicKey string   `json:"public_key,omitempty"`
	Keyless   *Keyless `json:"keyless,omitempty"`
	X509      *X509    `json:"x509,omitempty"`
	Identity  string   `json:"identity"`
	Roles     []string `json:"roles"`
}

// X509 is a signer of a private PKI: certificates that chain to Roots (PEM)
// and name Subject (exactly), a subject matching SubjectRegexp (anchored),
// or Email.
type X509 struct {
	Roots         string `json:"roots"`
	Subject       string `json:"subject,omitempty"`
	SubjectRegexp string `json:"subject_regexp,omitempty"`
	Email         string `json:"email,omitempty"`
}

// Keyless is a signer known by the short-lived certificate an OIDC
// identity gets from Fulcio: the issuer, the exact subject or an anchored
// regexp of subjects, and certificate extensions that must match exactly
// (github_workflow_repository, github_workflow_ref, …).
type Keyless struct {
	Issuer        string            `json:"issuer"`
	Subject       string            `json:"subject,omitempty"`
	SubjectRegexp string            `json:"subject_regexp,omitempty"`
	Extensions    map[string]string `json:"extensions,omitempty"`
}
