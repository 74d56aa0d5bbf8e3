// Package output writes a decision for the people and machines that read
// it, one file per format: text for a terminal, json, junit and sarif for
// CI systems, github annotations with a Markdown step summary, and a
// self-contained HTML report. Every string that came from evidence is
// escaped for the format it lands in.
package output

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/modelgate/modelgate/decision"
)

// Formats lists what Write accepts.
var Formats = []string{"text", "json", "junit", "sarif", "github", "markdown", "html"}

// Options tune a format.
type Options struct {
	Colour  bool   // text: ANSI colours
	Version string // the modelgate version, named by SARIF and JUnit
}

// Write renders the decision in a format.
func Write(w io.Writer, d *decision.Decision, format string, opts Options) error {
	switch format {
	case "text":
		return Text(w, d, opts.Colour)
	case "json":
		return JSON(w, d)
	case "junit":
		return JUnit(w, d, opts.Version)
	case "sarif":
		return SARIF(w, d, opts.Version)
	case "github":
		if err := GitHub(w, d); err != nil {
			return err
		}
		if path := os.Getenv("GITHUB_STEP_SUMMARY"); path != "" {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
			}
			defer f.Close()
			return Markdown(f, d)
		}
		return nil
	case "markdown":
		return Markdown(w, d)
	case "html":
		return HTML(w, d)
	default:
		return fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(Formats, ", "))
	}
}

// Clean makes a string from evidence safe to print on one line: control
// characters (escape sequences, newlines that would start a CI workflow
// command such as ::notice::) and bidirectional overrides become visible
// \xNN or \uNNNN escapes.
func Clean(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) && strings.ToValidUTF8(s, "") == s {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		case unsafeRune(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// verdict is the decision in one word.
func verdict(d *decision.Decision) string {
	if d.Allow {
		return "ALLOWED"
	}
	return "DENIED"
}

// sourceOf returns the source of the first piece of a gate's evidence that
// is a file on this machine, or "".
func sourceOf(d *decision.Decision, g decision.Gate) string {
	for _, id := range g.Evidence {
		for _, e := range d.Evidence {
			if e.ID == id && e.Source != "" && !strings.Contains(e.Source, "://") {
				if info, err := os.Stat(e.Source); err == nil && info.Mode().IsRegular() {
					return e.Source
				}
			}
		}
	}
	return ""
}
