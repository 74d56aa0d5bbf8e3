// Package evidence keeps signed envelopes about model digests: a store
// interface, a directory backend and an OCI registry backend.
package evidence

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/internal/registry"
)

// DefaultStore is where evidence lives when --store is not given.
const DefaultStore = "dir:.modelgate/evidence"

// Envelope is one stored envelope.
type Envelope struct {
	ID     string // sha256:HEX of Data
	Source string // where it came from: a store path, a registry reference, a file
	Data   []byte
}

// Problem is something in a store that could not be read as evidence.
type Problem struct {
	Source string
	Reason string
}

// Store holds envelopes, found again by the digest of their subjects.
type Store interface {
	// Add stores an envelope under every subject it names; adding it again is a no-op.
	Add(ctx context.Context, data []byte) (id string, added bool, err error)
	// AddAlso is Add that also indexes the envelope under more sha256
	// subjects: a model signature, whose own subject is its file list's
	// root, under the model's digest.
	AddAlso(ctx context.Context, data []byte, also []string) (id string, added bool, err error)
	// Subject returns the envelopes that name the sha256 subject digest, and
	// whatever could not be read along the way.
	Subject(ctx context.Context, sha256Hex string) ([]Envelope, []Problem, error)
	// Get returns one envelope by its id (sha256:HEX).
	Get(ctx context.Context, id string) ([]byte, error)
	// All returns every envelope, for listing.
	All(ctx context.Context) ([]Envelope, []Problem, error)
	// String names the store as it was given.
	String() string
	// Check reports whether the store is there and can be read now: an
	// error wrapping ErrNoStore or ErrNotAStore when it is not there, or
	// the reason it cannot be read. Readers ask it before trusting an empty
	// answer, which a typo'd store would also give.
	Check(ctx context.Context) error
	// Ledger is the same store seen through its ledger index: only
	// envelopes whose statement is a VSA are indexed there, so evidence of
	// any other kind, however much, never reaches a ledger reader. Add
	// through either view indexes an envelope in both where it belongs.
	Ledger() Store
}

// Lister is a store that can list the ids under a subject, in the order
// they were added, without reading them; the ledger reads a long history
// from its newest end through it.
type Lister interface {
	IDs(ctx context.Context, sha256Hex string) ([]string, error)
	// Envelope reads one envelope by id, as Subject would.
	Envelope(ctx context.Context, id string) (Envelope, error)
}

// Options tune Open.
type Options struct {
	PlainHTTP bool // talk to a non-loopback registry without TLS
	Create    bool // create a dir: store that does not exist (commands that write)
}

// Limits on what one subject's evidence may amount to (DESIGN.md, Limits).
// Going over is an error, never a silent cut: a cut could hide a veto.
const (
	MaxPerSubject    = 10000                     // envelopes indexed under one subject
	MaxSubjectBytes  = 256 << 20                 // their bytes in all
	MaxIndexLine     = 1 << 10                   // one index line
	MaxReferrerPages = registry.MaxReferrerPages // referrers pages read from a registry
)

// A store that is not there, or is not a store.
var (
	ErrNoStore   = errors.New("does not exist")
	ErrNotAStore = errors.New("is not an evidence store (no objects/ inside)")
	// ErrCannotList is a registry asked to list every envelope.
	ErrCannotList = errors.New("a registry cannot list every envelope: ask by subject")
)

// ErrLimit marks a store that holds more for one subject than the limits allow.
var ErrLimit = registry.ErrLimit

// Open returns the store named by spec: dir:PATH or oci://REGISTRY/REPO.
func Open(spec string, opts Options) (Store, error) {
	switch {
	case spec == "":
		return Open(DefaultStore, opts)
	case strings.HasPrefix(spec, "dir:"):
		path := strings.TrimPrefix(spec, "dir:")
		if path == "" {
			return nil, fmt.Errorf("store %q names no directory: use dir:PATH", spec)
		}
		if !opts.Create {
			return OpenExistingDir(path)
		}
		return OpenDir(path)
	case strings.HasPrefix(spec, "oci://"):
		return OpenOCI(strings.TrimPrefix(spec, "oci://"), opts)
	default:
		return nil, fmt.Errorf("store %q: use dir:PATH or oci://REGISTRY/REPO", spec)
	}
}

// Subjects reads, without verifying, the sha256 subjects an envelope names;
// stores index envelopes by them. Verification happens when evidence is used.
func Subjects(data []byte) ([]string, error) {
	subjects, _, err := indexing(data)
	return subjects, err
}

// indexing reads, without verifying, what a store indexes an envelope by:
// its subjects, and whether it belongs in the ledger index (a VSA).
func indexing(data []byte) (subjects []string, record bool, err error) {
	env, err := attest.ParseEnvelope(data)
	if err != nil {
		return nil, false, err
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return nil, false, fmt.Errorf("%w: payload is not base64", attest.ErrMalformed)
	}
	st, err := attest.ParseStatement(payload)
	if err != nil {
		return nil, false, err
	}
	return st.SubjectDigests(), st.PredicateType == attest.VSAType, nil
}

// ParseID accepts sha256:HEX (or bare HEX) and returns HEX.
func ParseID(id string) (string, error) {
	hex := digest.Hex(id)
	if len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
		return "", fmt.Errorf("envelope id %q is not sha256:<64 lower-case hex>", id)
	}
	return hex, nil
}
