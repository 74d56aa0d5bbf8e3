package decision

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/open-policy-agent/conftest/output"
)

// Formats lists what Write accepts.
var Formats = []string{"text", "json", "junit", "sarif", "github"}

// Write renders the decision in a format; colour applies to text only.
func Write(w io.Writer, d *Decision, format string, colour bool) error {
	switch format {
	case "text":
		return writeText(w, d, colour)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	case "junit":
		return output.NewJUnit(w, false).Output(checkResults(d))
	case "sarif":
		return output.NewSARIF(w).Output(checkResults(d))
	case "github":
		if err := output.NewGitHub(w, false).Output(checkResults(d)); err != nil {
			return err
		}
		if path := os.Getenv("GITHUB_STEP_SUMMARY"); path != "" {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
			}
			defer f.Close()
			return WriteMarkdown(f, d)
		}
		return nil
	default:
		return fmt.Errorf("unknown --format %q: use one of %s", format, strings.Join(Formats, ", "))
	}
}

// Clean makes a string from evidence safe to print on one line: control
// characters (escape sequences, newlines that would start a CI workflow
// command such as ::notice::) become visible \xNN or \uNNNN escapes.
func Clean(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) {
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
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0xfffd
}

// checkResults maps gates onto conftest's results: one check per gate.
func checkResults(d *Decision) output.CheckResults {
	var out output.CheckResults
	for _, g := range d.Gates {
		r := output.CheckResult{FileName: Clean(d.Ref()), Namespace: "modelgate.gates." + g.ID}
		res := output.Result{Message: Clean(fmt.Sprintf("%s [%s]: %s", g.Title, g.Code, g.Message)), Metadata: map[string]any{"code": g.Code, "status": g.Status}}
		switch g.Status {
		case Fail:
			r.Failures = []output.Result{res}
		case Warn:
			r.Warnings = []output.Result{res}
		case Waived:
			r.Exceptions = []output.Result{res}
		case Skipped:
			r.Skipped = []output.Result{res}
		default:
			r.Successes = 1
		}
		out = append(out, r)
	}
	for _, rj := range d.Rejected {
		out = append(out, output.CheckResult{
			FileName:  Clean(d.Ref()),
			Namespace: "modelgate.rejected",
			Warnings:  []output.Result{{Message: Clean(fmt.Sprintf("rejected %s (%s): %s", rj.ID, rj.Source, rj.Reason))}},
		})
	}
	return out
}

const (
	red    = "\033[31m"
	green  = "\033[32m"
	yellow = "\033[33m"
	grey   = "\033[90m"
	bold   = "\033[1m"
	reset  = "\033[0m"
)

func paint(s, c string, colour bool) string {
	if !colour {
		return s
	}
	return c + s + reset
}

var statusColour = map[string]string{Pass: green, Fail: red, Warn: yellow, Waived: yellow, Skipped: grey}

func writeText(w io.Writer, d *Decision, colour bool) error {
	verdict := paint("DENIED", bold+red, colour)
	if d.Allow {
		verdict = paint("ALLOWED", bold+green, colour)
	}
	fmt.Fprintf(w, "%s  %s → %s\n", verdict, Clean(d.Ref()), Clean(d.Environment))
	fmt.Fprintf(w, "tier %s (from %s); policy %s %s", Clean(d.Tier), Clean(d.TierSource), Clean(d.Policy.URI), Clean(d.Policy.Digest))
	if d.Policy.Revision != "" {
		fmt.Fprintf(w, " revision %s", Clean(d.Policy.Revision))
	}
	fmt.Fprintf(w, "\n\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tGATE\tCODE\tMESSAGE")
	gates := append([]Gate(nil), d.Gates...)
	order := map[string]int{Fail: 0, Warn: 1, Waived: 2, Pass: 3, Skipped: 4}
	sort.SliceStable(gates, func(i, j int) bool { return order[gates[i].Status] < order[gates[j].Status] })
	for _, g := range gates {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", paint(strings.ToUpper(Clean(g.Status)), statusColour[g.Status], colour), Clean(g.ID), Clean(g.Code), Clean(g.Message))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d verified envelope(s)", len(d.Evidence))
	if len(d.Rejected) > 0 {
		fmt.Fprintf(w, ", %d rejected:\n", len(d.Rejected))
		for _, r := range d.Rejected {
			id := r.ID
			if id == "" {
				id = "(unreadable)"
			}
			fmt.Fprintf(w, "  %s %s: %s\n", paint("REJECTED", red, colour), Clean(id), Clean(r.Reason))
			if r.Source != "" {
				fmt.Fprintf(w, "           from %s\n", Clean(r.Source))
			}
		}
	} else {
		fmt.Fprintln(w)
	}
	return nil
}

// WriteMarkdown writes a summary for a CI step page.
func WriteMarkdown(w io.Writer, d *Decision) error {
	verdict := "❌ denied"
	if d.Allow {
		verdict = "✅ allowed"
	}
	fmt.Fprintf(w, "### modelgate: %s\n\n`%s` → **%s**, tier **%s** (from %s)\n\n", verdict, md(d.Ref()), md(d.Environment), md(d.Tier), md(d.TierSource))
	fmt.Fprintln(w, "| status | gate | code | message |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, g := range d.Gates {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", md(g.Status), md(g.Title), md(g.Code), md(g.Message))
	}
	if len(d.Rejected) > 0 {
		fmt.Fprintf(w, "\n%d rejected envelope(s):\n\n", len(d.Rejected))
		for _, r := range d.Rejected {
			fmt.Fprintf(w, "- `%s`: %s\n", md(r.ID), md(r.Reason))
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}

// md makes a string from evidence safe inside a Markdown table cell: one
// line, no raw HTML, no table breaks.
func md(s string) string {
	return strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;", "`", "'").Replace(Clean(s))
}
