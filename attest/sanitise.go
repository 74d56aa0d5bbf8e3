package attest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Limits on what one statement may hold (DESIGN.md, Evidence: Limits).
const (
	MaxSignatures = 16 // signatures per envelope
	MaxSubjects   = 64 // subjects per statement
	MaxDepth      = 64 // JSON nesting of a predicate
)

// ErrBadTime marks a time that the strict parser refuses.
var ErrBadTime = errors.New("bad time")

// Times policy can hold: OPA counts nanoseconds in an int64.
var (
	minTime = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ParseTime is the one strict RFC 3339 parser: upper-case T and Z, seconds
// 00-59 (no leap second), an optional fraction, a zone, and a year that
// policy can hold in nanoseconds (1678-2261).
func ParseTime(s string) (time.Time, error) {
	if len(s) < 20 || len(s) > 35 {
		return time.Time{}, fmt.Errorf("%w %q: use RFC 3339, e.g. 2026-01-31T12:00:00Z", ErrBadTime, s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w %q: use RFC 3339, e.g. 2026-01-31T12:00:00Z", ErrBadTime, s)
	}
	if t.Before(minTime) || !t.Before(maxTime) {
		return time.Time{}, fmt.Errorf("%w %q: outside the years 1678-2261", ErrBadTime, s)
	}
	return t.UTC(), nil
}

// NormalTime is the one form in which times reach policy.
func NormalTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// NormaliseTime parses s strictly and returns its normal form.
func NormaliseTime(s string) (string, error) {
	t, err := ParseTime(s)
	if err != nil {
		return "", err
	}
	return NormalTime(t), nil
}

// checkValue refuses JSON nested deeper than MaxDepth and numbers that are
// not finite float64 values (1e400, 1e100000), which policy would otherwise
// compare as exact big numbers.
func checkValue(v any, depth int, path string) error {
	if depth > MaxDepth {
		return fmt.Errorf("%s: nested deeper than %d levels", orRoot(path), MaxDepth)
	}
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("%s: number %.40s is not a finite float64", orRoot(path), string(x))
		}
	case map[string]any:
		for k, e := range x {
			if err := checkValue(e, depth+1, path+"/"+k); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := checkValue(e, depth+1, path+"/"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func orRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// normaliseTimes rewrites a modelgate predicate's time fields into their
// normal form; a time the strict parser refuses rejects the predicate.
func normaliseTimes(short string, pred any) error {
	m, ok := pred.(map[string]any)
	if !ok {
		return nil
	}
	for _, field := range TimeFields[short] {
		raw, present := m[field]
		if !present {
			continue
		}
		s, ok := raw.(string)
		if !ok {
			return fmt.Errorf("%w: /%s is not a string", ErrBadTime, field)
		}
		n, err := NormaliseTime(s)
		if err != nil {
			return fmt.Errorf("/%s: %w", field, err)
		}
		m[field] = n
	}
	return nil
}

// EventTimeOf returns the normalised event time of a decoded predicate of a
// modelgate type (or a VSA's timeVerified), if it has one.
func EventTimeOf(predicateType string, pred any) (time.Time, bool) {
	m, ok := pred.(map[string]any)
	if !ok {
		return time.Time{}, false
	}
	field := EventTime[ShortName(predicateType)]
	if predicateType == VSAType {
		field = "timeVerified"
	}
	if field == "" {
		return time.Time{}, false
	}
	s, ok := m[field].(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := ParseTime(s)
	return t, err == nil
}
