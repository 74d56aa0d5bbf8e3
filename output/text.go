package output

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/modelgate/modelgate/decision"
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
