package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/modelgate/modelgate/decision"
)

// GitHub writes workflow commands that annotate the run: an error per
// failed gate, a warning per warning, a notice per waiver and rejected
// envelope, and the verdict. An annotation names a file only when the
// gate's evidence came from a file that is there to point at.
func GitHub(w io.Writer, d *decision.Decision) error {
	for _, g := range d.Gates {
		level := map[string]string{decision.Fail: "error", decision.Warn: "warning", decision.Waived: "notice"}[g.Status]
		if level == "" {
			continue
		}
		props := "title=" + ghProperty(fmt.Sprintf("modelgate %s %s", g.Code, g.Status))
		if src := sourceOf(d, g); src != "" {
			props = "file=" + ghProperty(src) + "," + props
		}
		fmt.Fprintf(w, "::%s %s::%s\n", level, props, ghData(g.Title+": "+g.Message))
	}
	for _, r := range d.Rejected {
		fmt.Fprintf(w, "::notice title=%s::%s\n", ghProperty("modelgate rejected evidence"), ghData(r.ID+": "+r.Reason))
	}
	level := "notice"
	if !d.Allow {
		level = "error"
	}
	_, err := fmt.Fprintf(w, "::%s title=%s::%s\n", level, ghProperty("modelgate "+verdict(d)), ghData(fmt.Sprintf("%s → %s, tier %s (from %s)", d.Ref(), d.Environment, d.Tier, d.TierSource)))
	return err
}

// ghData escapes a workflow command's message as GitHub's toolkit does,
// after making control characters visible.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(Clean(s))
}

// ghProperty escapes a workflow command's property value.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(Clean(s))
}
