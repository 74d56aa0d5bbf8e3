package attest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/keys"
)

// SignModel writes an OMS v1.0 model signature with the key method (§4.1):
// an in-toto statement whose predicate lists the model's files ("files"
// serialization, sha256) and whose subject is their root digest, signed in
// a DSSE envelope, in a Sigstore bundle v0.3 naming the key by its hint.
// The result passes the specification's own schemas.
func SignModel(ctx context.Context, sv signature.SignerVerifier, m *digest.OMSManifest) ([]byte, error) {
	statement, err := omsStatement(m)
	if err != nil {
		return nil, err
	}
	env, err := Sign(ctx, sv, statement)
	if err != nil {
		return nil, err
	}
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, err
	}
	hint, err := keys.KeyID(pub)
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(map[string]any{
		"mediaType":            "application/vnd.dev.sigstore.bundle.v0.3+json",
		"verificationMaterial": map[string]any{"publicKey": map[string]string{"hint": hint}, "tlogEntries": []any{}},
		"dsseEnvelope":         json.RawMessage(env),
	}, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := CheckOMSBundle(out); err != nil {
		return nil, fmt.Errorf("the signature written does not pass the OMS v1.0 schemas: %w", err)
	}
	return out, nil
}

// omsStatement is the in-toto statement an OMS v1.0 signature signs.
func omsStatement(m *digest.OMSManifest) ([]byte, error) {
	resources := make([]map[string]string, len(m.Files))
	for i, f := range m.Files {
		resources[i] = map[string]string{"name": f.Path, "algorithm": "sha256", "digest": f.SHA256}
	}
	serialization := map[string]any{"method": "files", "hash_type": "sha256", "allow_symlinks": false}
	serialization["ignore_paths"] = append(append([]string{}, digest.OMSDefaultExclusions...), m.Ignore...)
	return json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": m.Name, "digest": map[string]string{"sha256": m.Root}}},
		"predicateType": ModelSignatureType,
		"predicate":     map[string]any{"resources": resources, "serialization": serialization},
	})
}

// KeylessSigning is where a keyless model signature (OMS §4.1, the
// sigstore method) gets its short-lived certificate and its timestamps: a
// Sigstore signing config (the protobuf-specs JSON sigstore's TUF
// repository publishes, naming a Fulcio, timestamp authorities and Rekor
// logs), the OIDC identity token the certificate is issued for, and
// optionally the trusted root the new signature is checked against before
// it is written.
type KeylessSigning struct {
	SigningConfig []byte
	IDToken       string
	TrustedRoot   []byte
	Transport     http.RoundTripper // nil: the default
	Timeout       time.Duration     // per request; 0: 30 s
}

// ErrNoIDToken is a keyless signing without an identity token.
var ErrNoIDToken = errors.New("keyless signing needs an OIDC identity token")

// SignModelKeyless writes an OMS v1.0 model signature with the sigstore
// method: an ephemeral key, a certificate for the identity token from the
// signing config's Fulcio, an RFC 3161 timestamp from each timestamp
// authority it selects and an entry in each Rekor log it selects. A signing
// config that names no Rekor log is refused: the specification asks for
// the log entry.
func SignModelKeyless(ctx context.Context, m *digest.OMSManifest, k KeylessSigning) ([]byte, error) {
	if k.IDToken == "" {
		return nil, ErrNoIDToken
	}
	if len(k.SigningConfig) > MaxEnvelopeSize {
		return nil, fmt.Errorf("%w: signing config of %d bytes, the limit is %d", ErrTooLarge, len(k.SigningConfig), MaxEnvelopeSize)
	}
	sc, err := root.NewSigningConfigFromJSON(k.SigningConfig)
	if err != nil {
		return nil, fmt.Errorf("sigstore signing config: %w", err)
	}
	now := time.Now()
	ca, err := root.SelectService(sc.FulcioCertificateAuthorityURLs(), sign.FulcioAPIVersions, now)
	if err != nil {
		return nil, fmt.Errorf("sigstore signing config: no Fulcio valid now: %w", err)
	}
	opts := sign.BundleOptions{
		CertificateProvider:        sign.NewFulcio(&sign.FulcioOptions{BaseURL: ca.URL, Transport: k.Transport, Timeout: k.Timeout}),
		CertificateProviderOptions: &sign.CertificateProviderOptions{IDToken: k.IDToken},
		Context:                    ctx,
	}
	if tsas := sc.TimestampAuthorityURLs(); len(tsas) > 0 {
		sel, err := root.SelectServices(tsas, sc.TimestampAuthorityURLsConfig(), sign.TimestampAuthorityAPIVersions, now)
		if err != nil {
			return nil, fmt.Errorf("sigstore signing config: timestamp authorities: %w", err)
		}
		for _, s := range sel {
			opts.TimestampAuthorities = append(opts.TimestampAuthorities, sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: s.URL, Transport: k.Transport, Timeout: k.Timeout}))
		}
	}
	if logs := sc.RekorLogURLs(); len(logs) > 0 {
		sel, err := root.SelectServices(logs, sc.RekorLogURLsConfig(), sign.RekorAPIVersions, now)
		if err != nil {
			return nil, fmt.Errorf("sigstore signing config: Rekor logs: %w", err)
		}
		for _, s := range sel {
			opts.TransparencyLogs = append(opts.TransparencyLogs, sign.NewRekor(&sign.RekorOptions{BaseURL: s.URL, Version: s.MajorAPIVersion, Timeout: k.Timeout}))
		}
	}
	if len(opts.TransparencyLogs) == 0 {
		return nil, errors.New("sigstore signing config: it names no Rekor log valid now, and the sigstore method needs the signature's transparency-log entry (OMS v1.0 §4.1)")
	}
	if len(k.TrustedRoot) > 0 {
		tr, err := root.NewTrustedRootFromJSON(k.TrustedRoot)
		if err != nil {
			return nil, fmt.Errorf("sigstore trusted root: %w", err)
		}
		opts.TrustedRoot = tr
	}
	statement, err := omsStatement(m)
	if err != nil {
		return nil, err
	}
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		return nil, err
	}
	pb, err := sign.Bundle(&sign.DSSEData{Data: statement, PayloadType: PayloadType}, kp, opts)
	if err != nil {
		return nil, fmt.Errorf("keyless signing: %w", err)
	}
	raw, err := protojson.Marshal(pb)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, err
	}
	if err := CheckOMSBundle(out.Bytes()); err != nil {
		return nil, fmt.Errorf("the signature written does not pass the OMS v1.0 schemas: %w", err)
	}
	return out.Bytes(), nil
}
