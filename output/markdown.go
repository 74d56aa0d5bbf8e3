package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/modelgate/modelgate/decision"
)

// Markdown writes a summary for a CI step page or a pull request comment.
func Markdown(w io.Writer, d *decision.Decision) error {
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
