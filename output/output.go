// Package output writes what modelgate answers for the people and machines
// that read it, one file per format: text for a terminal, json, junit and
// sarif for CI systems, github annotations with a Markdown step summary,
// csv, and self-contained HTML. Each document (a decision, a model's
// history, the champion at a time, a bundle's inspection, a policy change)
// has one table of its formats (output.go, history.go, champion.go,
// inspect.go, diff.go); a renderer never reads the environment or opens a
// file it was not given. Every string that came from evidence is escaped
// for the format it lands in.
package output

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/modelgate/modelgate/decision"
)

// Options tune a format.
type Options struct {
	Colour  bool      // text: ANSI colours
	Version string    // the modelgate version, named by SARIF and JUnit
	Summary io.Writer // github: where the Markdown step summary goes (nil: none)
}

// A Renderer writes a decision in one format.
type Renderer interface {
	Render(w io.Writer, d *decision.Decision) error
}

// RenderFunc is a function as a Renderer.
type RenderFunc func(w io.Writer, d *decision.Decision) error

func (f RenderFunc) Render(w io.Writer, d *decision.Decision) error { return f(w, d) }

// formats is the one table of decision formats, in the order help lists them.
var formats = []struct {
	name string
	new  func(Options) Renderer
}{
	{"text", func(o Options) Renderer {
		return RenderFunc(func(w io.Writer, d *decision.Decision) error { return Text(w, d, o.Colour) })
	}},
	{"json", func(Options) Renderer { return RenderFunc(JSON) }},
	{"junit", func(o Options) Renderer {
		return RenderFunc(func(w io.Writer, d *decision.Decision) error { return JUnit(w, d, o.Version) })
	}},
	{"sarif", func(o Options) Renderer {
		return RenderFunc(func(w io.Writer, d *decision.Decision) error { return SARIF(w, d, o.Version) })
	}},
	{"github", func(o Options) Renderer {
		return RenderFunc(func(w io.Writer, d *decision.Decision) error {
			if err := GitHub(w, d); err != nil || o.Summary == nil {
				return err
			}
			return Markdown(o.Summary, d)
		})
	}},
	{"markdown", func(Options) Renderer { return RenderFunc(Markdown) }},
	{"html", func(Options) Renderer { return RenderFunc(HTML) }},
}

// Formats lists what Get accepts.
var Formats = func() []string {
	var names []string
	for _, f := range formats {
		names = append(names, f.name)
	}
	return names
}()

// Get is the renderer of a format.
func Get(format string, opts Options) (Renderer, error) {
	for _, f := range formats {
		if f.name == format {
			return f.new(opts), nil
		}
	}
	return nil, fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(Formats, ", "))
}

// format is a row of a document's table of formats: its name and how it
// is written.
type format[T any] struct {
	name  string
	write func(io.Writer, T) error
}

// names lists a table's formats, in its order.
func names[T any](table []format[T]) []string {
	var out []string
	for _, f := range table {
		out = append(out, f.name)
	}
	return out
}

// write writes v in the named format of a table.
func write[T any](table []format[T], name string, w io.Writer, v T) error {
	for _, f := range table {
		if f.name == name {
			return f.write(w, v)
		}
	}
	return fmt.Errorf("unknown format %q: use one of %s", name, strings.Join(names(table), ", "))
}

// Write renders the decision in a format.
func Write(w io.Writer, d *decision.Decision, format string, opts Options) error {
	r, err := Get(format, opts)
	if err != nil {
		return err
	}
	return r.Render(w, d)
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
