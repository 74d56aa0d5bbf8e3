package digest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Subject names one exact model: a name and its SHA-256.
type Subject struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	// Files, when the subject was digested from a path, lists its files
	// (one for a file model): what a model signature is checked against.
	Files *Manifest `json:"-"`
	// Root is the path it was digested from ("" for NAME@sha256): a
	// model signature in shards is checked against the files' bytes.
	Root string `json:"-"`
	// Recorded marks a subject judged again from a ledger record: a model
	// signature among the record's inputs was held against the model's
	// files when the record was made, and is taken as it was recorded.
	Recorded bool `json:"-"`
}

// String formats the subject as NAME@sha256:HEX.
func (s Subject) String() string { return s.Name + "@sha256:" + s.SHA256 }

var refPattern = regexp.MustCompile(`^([^@\s]+)@sha256:([0-9a-f]{64})$`)

// IsHex64 reports whether s is a lower-case hex SHA-256.
func IsHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ValidName reports whether s can name a model: no space or '@', at most 256 bytes.
func ValidName(s string) bool { return len(s) <= 256 && namePattern.MatchString(s) }

var namePattern = regexp.MustCompile(`^[^@\s]+$`)

// ParseRef parses NAME@sha256:HEX.
func ParseRef(ref string) (Subject, error) {
	m := refPattern.FindStringSubmatch(ref)
	if m == nil || len(m[1]) > 256 {
		return Subject{}, fmt.Errorf("%q is not NAME@sha256:<64 lower-case hex>", ref)
	}
	return Subject{Name: m[1], SHA256: m[2]}, nil
}

// Resolve turns a --subject argument into a Subject: NAME@sha256:HEX as
// given, or an existing file or directory, named by its base name and digested.
func Resolve(arg string, opts Options) (Subject, error) {
	if s, err := ParseRef(arg); err == nil {
		return s, nil
	}
	if _, err := os.Stat(arg); err != nil {
		if strings.Contains(arg, "@") {
			return Subject{}, fmt.Errorf("subject %q is neither an existing path nor NAME@sha256:<64 lower-case hex>", arg)
		}
		return Subject{}, fmt.Errorf("subject %q: no such file or directory; give a model path or NAME@sha256:HEX", arg)
	}
	r, err := Path(arg, opts)
	if err != nil {
		return Subject{}, fmt.Errorf("subject %s: %w", arg, err)
	}
	abs, _ := filepath.Abs(arg)
	files := r.Manifest
	if files == nil {
		files = &Manifest{Files: []File{{Path: filepath.Base(abs), SHA256: r.SHA256, Size: r.Size}}}
	}
	return Subject{Name: filepath.Base(abs), SHA256: r.SHA256, Files: files, Root: abs}, nil
}

// Prefixed formats a SHA-256 in hex as sha256:HEX, the form every digest
// takes in references, records and evidence ids.
func Prefixed(hex string) string { return "sha256:" + hex }

// Hex is the hex of a sha256:HEX digest (a bare hex stays as it is).
func Hex(d string) string { return strings.TrimPrefix(d, "sha256:") }

// Digest is the subject's digest, sha256:HEX.
func (s Subject) Digest() string { return Prefixed(s.SHA256) }
