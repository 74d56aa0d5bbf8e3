package bundles

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/util"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/modelgate/modelgate/keys"
)

// signerPlugin is the OPA bundle signer under which modelgate signs: the
// token is an ordinary OPA bundle JWS (header alg and kid, payload files
// and keyid), made with any key modelgate can load, PEM or KMS.
const signerPlugin = "modelgate"

var (
	signingMu sync.Mutex
	signing   = map[string]signature.SignerVerifier{} // SigningConfig.Key handle → signer
)

func init() {
	if err := bundle.RegisterSigner(signerPlugin, jwsSigner{}); err != nil {
		panic(err)
	}
}

// jwsSigner makes OPA's bundle JWS with a sigstore signer.
type jwsSigner struct{}

func (jwsSigner) GenerateSignedToken(files []bundle.FileInfo, sc *bundle.SigningConfig, keyID string) (string, error) {
	signingMu.Lock()
	sv := signing[sc.Key]
	signingMu.Unlock()
	if sv == nil {
		return "", errors.New("bundle signer: no key")
	}
	header, _ := json.Marshal(map[string]string{"alg": sc.Algorithm, "kid": keyID, "typ": "JWT"})
	payload, err := json.Marshal(map[string]any{"files": files, "keyid": keyID})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	sig, err := sv.SignMessage(strings.NewReader(input), options.WithContext(context.Background()))
	if err != nil {
		return "", fmt.Errorf("sign the bundle: %w", err)
	}
	if sc.Algorithm == "ES256" {
		if sig, err = rawECDSA(sig, 32); err != nil {
			return "", err
		}
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// rawECDSA turns an ASN.1 ECDSA signature into JWS's fixed-size r||s.
func rawECDSA(der []byte, size int) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		return nil, fmt.Errorf("ECDSA signature: %w", err)
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}

// Algorithm is the JWS algorithm for a public key: ES256 (ECDSA P-256),
// EdDSA (Ed25519) or RS256 (RSA).
func Algorithm(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("ECDSA curve %s: bundles are signed with P-256", k.Curve.Params().Name)
		}
		return "ES256", nil
	case ed25519.PublicKey:
		return "EdDSA", nil
	case *rsa.PublicKey:
		return "RS256", nil
	}
	return "", fmt.Errorf("key type %T cannot sign a bundle", pub)
}

// Sign adds a .signatures.json to b in OPA's format, signed by sv, keyed by
// the key's id.
func Sign(b *bundle.Bundle, sv signature.SignerVerifier) error {
	pub, err := sv.PublicKey()
	if err != nil {
		return err
	}
	alg, err := Algorithm(pub)
	if err != nil {
		return err
	}
	kid, err := keys.KeyID(pub)
	if err != nil {
		return err
	}
	handle := fmt.Sprintf("%p", sv)
	signingMu.Lock()
	signing[handle] = sv
	signingMu.Unlock()
	defer func() {
		signingMu.Lock()
		delete(signing, handle)
		signingMu.Unlock()
	}()
	sc := bundle.NewSigningConfig(handle, alg, "")
	sc.Plugin = signerPlugin
	if err := b.GenerateSignature(sc, kid, true); err != nil {
		return err
	}
	// The token is OPA's default format: any OPA verifies it without our plugin.
	b.Signatures.Plugin = ""
	return nil
}

// ErrNotVerified marks a bundle that was read but whose signature or
// integrity does not hold.
var ErrNotVerified = errors.New("bundle not verified")

// ErrUnsigned is a bundle without .signatures.json where a key is given.
var ErrUnsigned = errors.New("it is not signed (no .signatures.json), and a key requires a signature")

// VerificationKey is a public key a bundle's signature may be made with.
type VerificationKey struct {
	ID     string // the key's id, as the JWS kid
	PEM    string
	Alg    string
	Source string // where it came from, for messages
}

// ParseVerificationKey reads a PEM public key for bundle verification.
func ParseVerificationKey(pemData []byte, source string) (VerificationKey, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemData)
	if err != nil {
		return VerificationKey{}, fmt.Errorf("%s: not a PEM public key: %v", source, err)
	}
	alg, err := Algorithm(pub)
	if err != nil {
		return VerificationKey{}, fmt.Errorf("%s: %w", source, err)
	}
	id, err := keys.KeyID(pub)
	if err != nil {
		return VerificationKey{}, err
	}
	return VerificationKey{ID: id, PEM: string(pemData), Alg: alg, Source: source}, nil
}

// checkSignature checks a bundle's files: when they carry
// .signatures.json, they must be exactly the files it signed, each with its
// signed hash (a file changed, added or removed after signing is named;
// OPA itself loads such a bundle unverified when it has no key). With keys,
// the signature is required and one key must verify it with OPA's verifier,
// tried in turn (the kid in the token picks none: rotation means several
// keys, and a bundle signed by 'opa build' names its own kid).
func checkSignature(files map[string][]byte, vks []VerificationKey) error {
	if err := checkIntegrity(files); err != nil {
		return err
	}
	if len(vks) == 0 {
		return nil
	}
	raw, ok := files[".signatures.json"]
	if !ok {
		return fmt.Errorf("%w: %w", ErrNotVerified, ErrUnsigned)
	}
	var sc bundle.SignaturesConfig
	if err := util.Unmarshal(raw, &sc); err != nil {
		return fmt.Errorf("%w: .signatures.json is not JSON: %v", ErrNotVerified, err)
	}
	var errs []string
	for _, k := range vks {
		vc := bundle.NewVerificationConfig(map[string]*bundle.KeyConfig{"k": {Key: k.PEM, Algorithm: k.Alg}}, "k", "", nil)
		_, err := bundle.VerifyBundleSignature(sc, vc)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Sprintf("%s: %v", k.Source, err))
	}
	return fmt.Errorf("%w: no key verifies it: %s", ErrNotVerified, strings.Join(errs, "; "))
}

// checkIntegrity verifies, without a key, that a bundle carrying
// .signatures.json holds exactly the files it signed, each with its signed
// hash: a file changed, added or removed after signing is named. (OPA
// itself loads such a bundle unverified when it has no key.)
func checkIntegrity(files map[string][]byte) error {
	if err := integrity(files); err != nil {
		return fmt.Errorf("%w: %w", ErrNotVerified, err)
	}
	return nil
}

func integrity(files map[string][]byte) error {
	raw, ok := files[".signatures.json"]
	if !ok {
		return nil
	}
	var sc bundle.SignaturesConfig
	if err := util.Unmarshal(raw, &sc); err != nil {
		return fmt.Errorf(".signatures.json is not JSON: %v", err)
	}
	if len(sc.Signatures) != 1 {
		return fmt.Errorf(".signatures.json holds %d tokens; OPA's format has exactly one", len(sc.Signatures))
	}
	parts := strings.Split(sc.Signatures[0], ".")
	if len(parts) != 3 {
		return errors.New(".signatures.json: the token is not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return errors.New(".signatures.json: the token's payload is not base64url")
	}
	var ds bundle.DecodedSignature
	if err := json.Unmarshal(payload, &ds); err != nil {
		return fmt.Errorf(".signatures.json: the token's payload: %v", err)
	}
	signed := map[string]bundle.FileInfo{}
	for _, f := range ds.Files {
		signed[strings.TrimPrefix(path.Clean("/"+f.Name), "/")] = f
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == ".signatures.json" {
			continue
		}
		f, ok := signed[name]
		if !ok {
			return fmt.Errorf("%s was added after the bundle was signed", name)
		}
		delete(signed, name)
		h, err := bundle.NewSignatureHasher(bundle.HashingAlgorithm(f.Algorithm))
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		var value any = files[name]
		if bundle.IsStructuredDoc(name) {
			var v any
			if err := util.Unmarshal(files[name], &v); err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			value = v
		}
		sum, err := h.HashFile(value)
		if err != nil {
			return err
		}
		if want, _ := hex.DecodeString(f.Hash); !bytes.Equal(want, sum) {
			return fmt.Errorf("%s differs from the file that was signed", name)
		}
	}
	if len(signed) > 0 {
		missing := make([]string, 0, len(signed))
		for name := range signed {
			missing = append(missing, name)
		}
		sort.Strings(missing)
		return fmt.Errorf("%s was signed but is missing", strings.Join(missing, ", "))
	}
	return nil
}
