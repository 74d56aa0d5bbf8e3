package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/gate"
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

func historyMarkdown(w io.Writer, h *History) error {
	fmt.Fprintf(w, "### Promotion ledger of %s%s\n\n", md(h.Model), md(inEnvironment(h.Environment)))
	if len(h.Records) == 0 {
		_, err := fmt.Fprintln(w, "No records.")
		return err
	}
	fmt.Fprintln(w, "| time | environment | record | digest | tier | revision | approvers | signed by |\n|---|---|---|---|---|---|---|---|")
	for _, r := range h.Records {
		fmt.Fprintf(w, "| %s | %s | %s | `%s` | %s | %s | %s | %s |\n", r.Time, md(r.Environment), md(r.What()), shortDigest(r.Digest), r.Tier, md(r.Revision), md(strings.Join(r.Approvers, ", ")), md(r.SignedBy))
	}
	for _, n := range h.Notes {
		fmt.Fprintf(w, "\n**Note:** %s\n", md(n))
	}
	return nil
}

func inspectMarkdown(w io.Writer, in *bundles.Inspection) error {
	fmt.Fprintf(w, "# Policy bundle %s\n\nRevision **%s**, digest `%s`.\n\nEnvironments, in promotion order: %s.\n", md(in.URI), md(in.Revision), in.Digest, md(in.OrderWords()))
	for _, st := range in.Stages {
		fmt.Fprintf(w, "\n## %s, %s tier\n\n", md(st.Environment), st.Tier)
		if st.MaxVSAAge != nil {
			fmt.Fprintf(w, "A PASSED decision admits the model for %s days.\n\n", fnum(*st.MaxVSAAge))
		}
		fmt.Fprintln(w, "| code | gate | demands |")
		fmt.Fprintln(w, "|---|---|---|")
		for _, r := range st.Rules {
			demands := r.Description
			if len(r.Thresholds) > 0 {
				demands = strings.Join(r.Thresholds, "; ")
			}
			if r.EffectiveOn != "" {
				demands += " (denies from " + r.EffectiveOn + ")"
			}
			fmt.Fprintf(w, "| %s | %s | %s |\n", r.Code, md(r.Title), md(demands))
		}
	}
	fmt.Fprintf(w, "\n## Models\n\nUnknown models are **%s** tier.\n\n| model | tier | overrides |\n|---|---|---|\n", in.Inventory.Default)
	for _, m := range in.Models {
		fmt.Fprintf(w, "| %s | %s | %s |\n", md(m.Name), m.Tier, md(strings.Join(m.Overrides, "; ")))
	}
	fmt.Fprintf(w, "\nMetric names the thresholds expect: %s.\n\n## Signers\n\n| id | identity | roles | key |\n|---|---|---|---|\n", md(strings.Join(in.Metrics, ", ")))
	for _, s := range in.Signers {
		fmt.Fprintf(w, "| %s | %s | %s | `%s` |\n", md(s.ID), md(s.Identity), md(strings.Join(s.Roles, ", ")), s.KeyID)
	}
	fmt.Fprintf(w, "\n## Rego modules\n\n| module | package | rules |\n|---|---|---|\n")
	for _, m := range in.Modules {
		fmt.Fprintf(w, "| %s | %s | %s |\n", md(m.Path), md(m.Package), md(strings.Join(m.Rules, ", ")))
	}
	fmt.Fprintf(w, "\n## Files\n\n| file | bytes | digest |\n|---|---|---|\n")
	for _, f := range in.Files {
		fmt.Fprintf(w, "| %s | %d | `%s` |\n", md(f.Path), f.Size, f.Digest)
	}
	return nil
}

func diffMarkdown(w io.Writer, d *bundles.DiffResult) error {
	fmt.Fprintf(w, "### Policy bundle changes: %s → %s\n\n", md(d.Old.Revision), md(d.New.Revision))
	if d.Equal() {
		_, err := fmt.Fprintln(w, "No change: both demand the same.")
		return err
	}
	fmt.Fprintf(w, "%d change(s), %d loosened or code.\n\n| change | area | what | from | to |\n|---|---|---|---|---|\n", len(d.Changes), d.Loosened())
	for _, c := range d.Changes {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", strings.ToUpper(c.Kind), c.Area, md(c.What), md(c.From), md(c.To))
	}
	return nil
}

func replayMarkdown(w io.Writer, r *gate.ReplayResult) error {
	if r == nil {
		return nil
	}
	fmt.Fprintf(w, "\n#### Replay\n\n%d recorded decision(s) judged again under both bundles; %d verdict(s) flip.\n\n", r.Judged, len(r.Flips))
	if len(r.Flips) == 0 {
		return nil
	}
	fmt.Fprintln(w, "| model | environment | decided | before | after | gates |\n|---|---|---|---|---|---|")
	for _, f := range r.Flips {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", md(f.Subject), md(f.Environment), f.At.Format("2006-01-02T15:04:05Z07:00"), f.Old, f.New, md(strings.Join(f.Gates, ", ")))
	}
	return nil
}
