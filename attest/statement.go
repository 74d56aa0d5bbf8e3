package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	ita1 "github.com/in-toto/attestation/go/v1"
	intoto "github.com/in-toto/in-toto-golang/in_toto"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/modelgate/modelgate/digest"
)

// PayloadType is the DSSE payload type of every in-toto statement.
const PayloadType = "application/vnd.in-toto+json"

// Statement versions accepted by Parse.
const (
	StatementV1  = intoto.StatementInTotoV1
	StatementV01 = intoto.StatementInTotoV01
)

// MaxPredicateSize bounds a predicate read from a file or standard input.
const MaxPredicateSize = 1 << 20

// Statement is a parsed in-toto statement (v1 or v0.1).
type Statement struct {
	intoto.StatementHeader
	Predicate json.RawMessage `json:"predicate"`
}

// Version returns "v1" or "v0.1".
func (s *Statement) Version() string {
	if s.Type == StatementV01 {
		return "v0.1"
	}
	return "v1"
}

// ErrWeakDigest marks a statement whose subjects carry no sha256.
var ErrWeakDigest = errors.New("subject has only weak digests (md5/sha1); a sha256 digest is required")

// ParseStatement parses and checks an in-toto statement: its type, a
// predicate type, a predicate object, and a sha256 on every subject.
func ParseStatement(payload []byte) (*Statement, error) {
	if err := noDuplicateKeys(payload); err != nil {
		return nil, err
	}
	var s Statement
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("statement is not JSON: %w", err)
	}
	if s.Type != StatementV1 && s.Type != StatementV01 {
		return nil, fmt.Errorf("statement _type %q is not in-toto Statement v1 or v0.1", s.Type)
	}
	if s.PredicateType == "" {
		return nil, errors.New("statement has no predicateType")
	}
	if len(s.Subject) == 0 {
		return nil, errors.New("statement has no subject")
	}
	if len(s.Subject) > MaxSubjects {
		return nil, fmt.Errorf("statement names %d subjects, over the limit of %d; attest each model on its own", len(s.Subject), MaxSubjects)
	}
	if t := bytes.TrimSpace(s.Predicate); len(t) == 0 || t[0] != '{' {
		return nil, errors.New("statement predicate is not a JSON object")
	}
	for _, sub := range s.Subject {
		sha, ok := sub.Digest["sha256"]
		if !ok {
			if _, md5 := sub.Digest["md5"]; md5 {
				return nil, ErrWeakDigest
			}
			if _, sha1 := sub.Digest["sha1"]; sha1 {
				return nil, ErrWeakDigest
			}
			return nil, fmt.Errorf("subject %q has no sha256 digest", sub.Name)
		}
		if !digest.IsHex64(strings.ToLower(sha)) {
			return nil, fmt.Errorf("subject %q has a malformed sha256 digest", sub.Name)
		}
	}
	return &s, nil
}

// Names reports whether the statement is about the given sha256 digest.
func (s *Statement) Names(sha256Hex string) bool {
	for _, sub := range s.Subject {
		if strings.EqualFold(sub.Digest["sha256"], sha256Hex) {
			return true
		}
	}
	return false
}

// NamesOf returns the distinct names under which the statement names the
// sha256 digest, in order of appearance.
func (s *Statement) NamesOf(sha256Hex string) []string {
	var out []string
	for _, sub := range s.Subject {
		if strings.EqualFold(sub.Digest["sha256"], sha256Hex) && !slices.Contains(out, sub.Name) {
			out = append(out, sub.Name)
		}
	}
	return out
}

// SubjectDigests lists the sha256 digests the statement is about.
func (s *Statement) SubjectDigests() []string {
	out := make([]string, 0, len(s.Subject))
	for _, sub := range s.Subject {
		out = append(out, strings.ToLower(sub.Digest["sha256"]))
	}
	return out
}

// NewStatement builds an in-toto Statement v1 about subject and returns its
// JSON, serialised with protojson as the in-toto Go types require.
func NewStatement(subject digest.Subject, predicateType string, predicate []byte) ([]byte, error) {
	pred := &structpb.Struct{}
	if err := protojson.Unmarshal(predicate, pred); err != nil {
		return nil, fmt.Errorf("predicate is not a JSON object: %w", err)
	}
	st := &ita1.Statement{
		Type:          ita1.StatementTypeUri,
		Subject:       []*ita1.ResourceDescriptor{{Name: subject.Name, Digest: map[string]string{"sha256": subject.SHA256}}},
		PredicateType: predicateType,
		Predicate:     pred,
	}
	return MarshalStatement(st)
}

// MarshalStatement validates an in-toto v1 statement and serialises it with
// protojson, compacted, as the in-toto Go types require.
func MarshalStatement(st *ita1.Statement) ([]byte, error) {
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	raw, err := protojson.Marshal(st)
	if err != nil {
		return nil, err
	}
	// protojson's spacing is deliberately unstable; compact it.
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ReadPredicate checks that data is one JSON object within the size bound.
func CheckPredicateJSON(data []byte) error {
	if len(data) > MaxPredicateSize {
		return fmt.Errorf("predicate is larger than %d bytes", MaxPredicateSize)
	}
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("predicate is not a JSON object: %w", err)
	}
	if dec.More() {
		return errors.New("predicate has data after its JSON object")
	}
	return nil
}

// noDuplicateKeys refuses JSON in which an object names one key twice:
// parsers disagree on which one counts (this one took the last, others the
// first), so a signed statement must not leave it open. It scans the bytes
// once, without decoding values; what is not JSON is left to the parse
// that follows.
func noDuplicateKeys(data []byte) error {
	type object struct {
		keys      map[string]struct{}
		expectKey bool
	}
	var stack []*object // nil entries are arrays
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{':
			stack = append(stack, &object{expectKey: true})
			if len(stack) > MaxDepth {
				return nil
			}
		case '[':
			stack = append(stack, nil)
			if len(stack) > MaxDepth {
				return nil
			}
		case '}', ']':
			if len(stack) == 0 {
				return nil
			}
			stack = stack[:len(stack)-1]
		case ',':
			if n := len(stack); n > 0 && stack[n-1] != nil {
				stack[n-1].expectKey = true
			}
		case '"':
			start := i + 1
			escaped := false
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					escaped = true
					i++
				}
			}
			if i >= len(data) {
				return nil
			}
			n := len(stack)
			if n == 0 || stack[n-1] == nil || !stack[n-1].expectKey {
				continue
			}
			top := stack[n-1]
			top.expectKey = false
			key := string(data[start:i])
			if escaped {
				var k string
				if json.Unmarshal(data[start-1:i+1], &k) != nil {
					return nil
				}
				key = k
			}
			if top.keys == nil {
				top.keys = map[string]struct{}{}
			}
			if _, dup := top.keys[key]; dup {
				return fmt.Errorf("the key %q appears twice in one object; parsers disagree on which counts", key)
			}
			top.keys[key] = struct{}{}
		}
	}
	return nil
}

// PeekStatement reads an envelope's statement without verifying it: what
// a listing shows, never what a decision rests on.
func PeekStatement(data []byte) (*Statement, error) {
	env, err := ParseEnvelope(data)
	if err != nil {
		return nil, err
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return nil, err
	}
	return ParseStatement(payload)
}
