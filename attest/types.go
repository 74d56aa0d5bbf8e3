// Package attest builds, signs, validates and verifies in-toto attestations
// about a model digest, wrapped in DSSE envelopes.
package attest

import (
	"fmt"
	"sort"
	"strings"
)

// PredicateBase prefixes every modelgate predicate type URI.
const PredicateBase = "https://modelgate.dev/attestation/"

// Predicate types from elsewhere that are accepted and passed to policy as they are.
const (
	TestResultType = "https://in-toto.io/attestation/test-result/v0.1"
	ProvenanceType = "https://slsa.dev/provenance/v1"
	VSAType        = "https://slsa.dev/verification_summary/v1"
	// ModelSignatureType is an OpenSSF model signature (model_signing
	// v1.0): a statement whose predicate lists every file of the model.
	ModelSignatureType = "https://model_signing/signature/v1.0"
)

// TypeURI returns the predicate type URI for a short name.
func TypeURI(short string) string { return PredicateBase + short + "/v1" }

// ShortName returns the short name of a modelgate predicate type URI, or "".
func ShortName(uri string) string {
	rest, ok := strings.CutPrefix(uri, PredicateBase)
	if !ok {
		return ""
	}
	name, ok := strings.CutSuffix(rest, "/v1")
	if !ok {
		return ""
	}
	if _, known := schemaFiles[name]; !known {
		return ""
	}
	return name
}

// IsModelgateType reports whether uri is one of modelgate's own predicate types.
func IsModelgateType(uri string) bool { return ShortName(uri) != "" }

// ResolveType turns a --type argument (short name, short/v1, or a full URI)
// into a predicate type URI.
func ResolveType(arg string) (string, error) {
	if strings.Contains(arg, "://") {
		if strings.HasPrefix(arg, PredicateBase) && !IsModelgateType(arg) {
			return "", fmt.Errorf("unknown modelgate predicate type %q: use one of %s", arg, strings.Join(ShortNames, ", "))
		}
		return arg, nil
	}
	name := strings.TrimSuffix(arg, "/v1")
	if _, ok := schemaFiles[name]; !ok {
		names := append([]string(nil), ShortNames...)
		sort.Strings(names)
		return "", fmt.Errorf("unknown type %q: use one of %s, or a full predicate type URI", arg, strings.Join(names, ", "))
	}
	return TypeURI(name), nil
}
