package testkit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
)

// ModelSignatureStatement is the in-toto statement OpenSSF model signing
// (model_signing v1.0, method files) makes for a model directory: every
// file with its sha256 in the predicate, and as subject the model's name
// with the SHA-256 of those digests in order.
func ModelSignatureStatement(t testing.TB, dir string) []byte {
	return ModelSignatureStatementIgnoring(t, dir, []string{"model.sig", ".git"})
}

// ModelSignatureStatementIgnoring is the statement over dir's files, its
// top-level ignore paths (exact relative paths) and .git left out, as
// model_signing writes it with --ignore-paths.
func ModelSignatureStatementIgnoring(t testing.TB, dir string, ignore []string) []byte {
	t.Helper()
	m, err := digest.Dir(dir, digest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	var resources []any
	for _, f := range m.Files {
		top, _, _ := strings.Cut(f.Path, "/")
		if slices.Contains(ignore, f.Path) || slices.Contains(ignore, top) || top == ".git" {
			continue
		}
		raw, _ := hex.DecodeString(f.SHA256)
		h.Write(raw)
		resources = append(resources, map[string]any{"name": f.Path, "algorithm": "sha256", "digest": f.SHA256})
	}
	st, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": filepath.Base(dir), "digest": map[string]any{"sha256": hex.EncodeToString(h.Sum(nil))}}},
		"predicateType": attest.ModelSignatureType,
		"predicate": map[string]any{
			"serialization": map[string]any{"method": "files", "hash_type": "sha256", "allow_symlinks": false, "ignore_paths": ignore},
			"resources":     resources,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// KeySignedBundle wraps a statement signed by p in a Sigstore bundle with
// a public-key hint, as model signing's key-based signer writes it.
func (p *Party) KeySignedBundle(statement []byte) []byte {
	var env json.RawMessage = p.SignStatement(statement)
	out, _ := json.Marshal(map[string]any{
		"mediaType":            "application/vnd.dev.sigstore.bundle.v0.3+json",
		"verificationMaterial": map[string]any{"publicKey": map[string]any{"hint": p.ID}},
		"dsseEnvelope":         env,
	})
	return out
}
