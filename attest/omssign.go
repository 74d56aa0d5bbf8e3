package attest

import (
	"context"
	"encoding/json"
	"fmt"

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
	resources := make([]map[string]string, len(m.Files))
	for i, f := range m.Files {
		resources[i] = map[string]string{"name": f.Path, "algorithm": "sha256", "digest": f.SHA256}
	}
	serialization := map[string]any{"method": "files", "hash_type": "sha256", "allow_symlinks": false}
	ignore := append(append([]string{}, digest.OMSDefaultExclusions...), m.Ignore...)
	serialization["ignore_paths"] = ignore
	statement, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": m.Name, "digest": map[string]string{"sha256": m.Root}}},
		"predicateType": ModelSignatureType,
		"predicate":     map[string]any{"resources": resources, "serialization": serialization},
	})
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
