package output

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/gate"
	"github.com/modelgate/modelgate/vsa"
)

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

var statusColour = map[string]string{decision.Pass: green, decision.Fail: red, decision.Warn: yellow, decision.Waived: yellow, decision.Skipped: grey}

// Text writes the decision for a terminal; colour adds ANSI colours.
func Text(w io.Writer, d *decision.Decision, colour bool) error {
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
	gates := append([]decision.Gate(nil), d.Gates...)
	order := map[string]int{decision.Fail: 0, decision.Warn: 1, decision.Waived: 2, decision.Pass: 3, decision.Skipped: 4}
	sort.SliceStable(gates, func(i, j int) bool { return order[gates[i].Status] < order[gates[j].Status] })
	for _, g := range gates {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", paint(strings.ToUpper(Clean(g.Status)), statusColour[g.Status], colour), Clean(g.ID), Clean(g.Code), Clean(g.Message))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range d.Provenance {
		fmt.Fprintf(w, "\nbuilt by %s from %s", Clean(p.Builder), Clean(p.Source))
		if p.Run != "" {
			fmt.Fprintf(w, " (run %s)", Clean(p.Run))
		}
		fmt.Fprintf(w, ", attested by %s", Clean(p.Signer))
	}
	if len(d.Provenance) > 0 {
		fmt.Fprintln(w)
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

func historyText(w io.Writer, h *History) error {
	if len(h.Records) == 0 {
		_, err := fmt.Fprintf(w, "no ledger records for %s%s in %s\n", h.Model, inEnvironment(h.Environment), h.Store)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tENV\tRECORD\tDIGEST\tTIER\tREVISION\tAPPROVERS\tSIGNED BY")
	for _, r := range h.Records {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time, r.Environment, r.What(), shortDigest(r.Digest),
			r.Tier, Clean(r.Revision), Clean(strings.Join(r.Approvers, ",")), Clean(r.SignedBy))
	}
	for _, s := range h.Skipped {
		fmt.Fprintf(tw, "skipped\t\t%s\t%s\n", shortDigest(s.ID), Clean(s.Reason))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range h.Notes {
		if _, err := fmt.Fprintf(w, "note: %s\n", Clean(n)); err != nil {
			return err
		}
	}
	return nil
}

func inspectText(w io.Writer, in *bundles.Inspection) error {
	fmt.Fprintf(w, "bundle %s, revision %s\ndigest %s\n", in.URI, in.Revision, in.Digest)
	fmt.Fprintf(w, "environments, in promotion order: %s\n", in.OrderWords())
	for _, st := range in.Stages {
		fmt.Fprintf(w, "\n%s, %s tier", st.Environment, st.Tier)
		if st.MaxVSAAge != nil {
			fmt.Fprintf(w, " (a PASSED decision admits the model for %s days)", fnum(*st.MaxVSAAge))
		}
		fmt.Fprintln(w)
		for _, r := range st.Rules {
			fmt.Fprintf(w, "  %-14s %s\n", r.Code, r.Title)
			if r.EffectiveOn != "" {
				fmt.Fprintf(w, "  %-14s denies from %s; warns before\n", "", r.EffectiveOn)
			}
			for _, t := range r.Thresholds {
				fmt.Fprintf(w, "  %-14s - %s\n", "", t)
			}
		}
	}
	fmt.Fprintf(w, "\nmodels (unknown models are %s tier)\n", in.Inventory.Default)
	for _, m := range in.Models {
		src := "inventory"
		if !m.Listed {
			src = "default"
		}
		fmt.Fprintf(w, "  %s: %s (%s)\n", m.Name, m.Tier, src)
		for _, o := range m.Overrides {
			fmt.Fprintf(w, "    - %s\n", o)
		}
	}
	fmt.Fprintf(w, "\nmetric names the thresholds expect: %s\n", strings.Join(in.Metrics, ", "))
	fmt.Fprintf(w, "\nsigners\n")
	if len(in.Signers) == 0 {
		fmt.Fprintln(w, "  none: the bundle trusts no key; add signers to modelgate/trust/data.yaml")
	}
	for _, s := range in.Signers {
		roles := append([]string(nil), s.Roles...)
		sort.Strings(roles)
		fmt.Fprintf(w, "  %-12s %-28s roles %-24s key %s\n", s.ID, s.Identity, strings.Join(roles, ","), s.KeyID)
	}
	fmt.Fprintf(w, "\nRego modules that decide, with the rules each defines\n")
	for _, m := range in.Modules {
		fmt.Fprintf(w, "  %s (%s)\n", m.Path, m.Package)
		for _, r := range m.Rules {
			fmt.Fprintf(w, "    %s\n", r)
		}
	}
	fmt.Fprintf(w, "\nfiles\n")
	for _, f := range in.Files {
		fmt.Fprintf(w, "  %s  %7d  %s\n", f.Digest, f.Size, f.Path)
	}
	return nil
}

func diffText(w io.Writer, d *bundles.DiffResult) error {
	if d.Equal() {
		_, err := fmt.Fprintf(w, "%s and %s demand the same\n", Clean(d.Old.URI), Clean(d.New.URI))
		return err
	}
	fmt.Fprintf(w, "%s (revision %s) → %s (revision %s): %d change(s), %d loosened or code\n", Clean(d.Old.URI), Clean(d.Old.Revision), Clean(d.New.URI), Clean(d.New.Revision), len(d.Changes), d.Loosened())
	for _, c := range d.Changes {
		fmt.Fprintf(w, "%-10s %-12s %s%s\n", strings.ToUpper(c.Kind), c.Area, Clean(c.What), arrow(c))
	}
	return nil
}

func replayText(w io.Writer, r *gate.ReplayResult) error {
	if r == nil {
		return nil
	}
	fmt.Fprintf(w, "\nreplay: %d recorded decision(s) judged again under both bundles; %d verdict(s) flip\n", r.Judged, len(r.Flips))
	for _, f := range r.Flips {
		fmt.Fprintln(w, Clean(f.String()))
	}
	return nil
}

func championsText(w io.Writer, c *champions) error {
	for _, a := range c.Environments {
		if a.Champion == nil {
			fmt.Fprintf(w, "%s: no champion of %s at %s\n", a.Environment, c.Model, c.At)
			continue
		}
		ch := a.Champion
		fmt.Fprintf(w, "%s: at %s the champion of %s was %s\n", a.Environment, c.At, c.Model, ch.Subject)
		fmt.Fprintf(w, "  by %s %s of %s, signed by %s (tier %s, policy revision %s)\n", ch.Kind, ch.Record, ch.Time, Clean(ch.SignedBy), ch.Tier, Clean(ch.Revision))
		if ch.Kind == vsa.KindRollback {
			fmt.Fprintf(w, "  rolled back from %s: %s\n", ch.From, Clean(ch.Reason))
		}
		if len(ch.Approvers) > 0 {
			fmt.Fprintf(w, "  approved by %s\n", Clean(strings.Join(ch.Approvers, ", ")))
		}
		var gates []string
		for _, g := range a.Gates {
			gates = append(gates, g.Code+" "+g.Status)
		}
		fmt.Fprintf(w, "  gates: %s\n", strings.Join(gates, ", "))
		for _, in := range a.Inputs {
			fmt.Fprintf(w, "  rested on %s %s signed by %s: %s", typeName(in.Type), cut19(in.ID), Clean(in.Signer), Clean(in.Summary))
			if len(in.Metrics) > 0 {
				var ms []string
				for _, k := range slices.Sorted(maps.Keys(in.Metrics)) {
					ms = append(ms, fmt.Sprintf("%s %v", k, in.Metrics[k]))
				}
				fmt.Fprintf(w, "; metrics %s", strings.Join(ms, ", "))
			}
			fmt.Fprintln(w)
		}
		for _, m := range a.Missing {
			fmt.Fprintf(w, "  input %s could not be found again or verified\n", Clean(m))
		}
	}
	return nil
}
