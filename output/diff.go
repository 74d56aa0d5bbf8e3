package output

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/gate"
)

// DiffFormats lists what WriteDiff accepts.
var DiffFormats = []string{"text", "markdown", "json", "html"}

// WriteDiff renders what changed between two bundles and, when replay
// is not nil, what the change would have done to the recorded decisions.
func WriteDiff(w io.Writer, d *bundles.DiffResult, format string, replay *gate.ReplayResult) error {
	switch format {
	case "json":
		return diffJSON(w, d, replay)
	case "text":
		if err := diffText(w, d); err != nil {
			return err
		}
		return replayText(w, replay)
	case "markdown":
		if err := diffMarkdown(w, d); err != nil {
			return err
		}
		return replayMarkdown(w, replay)
	case "html":
		return page().ExecuteTemplate(w, "diff.html", struct {
			Title  string
			CSS    template.CSS
			Diff   *bundles.DiffResult
			Replay *gate.ReplayResult
		}{"modelgate: policy change " + d.Old.Revision + " → " + d.New.Revision, CSS(), d, replay})
	}
	return fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(DiffFormats, ", "))
}

func diffJSON(w io.Writer, d *bundles.DiffResult, replay *gate.ReplayResult) error {
	changes := d.Changes
	if changes == nil {
		changes = []bundles.Change{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	doc := map[string]any{"old": d.Old.URI, "new": d.New.URI, "old_revision": d.Old.Revision, "new_revision": d.New.Revision,
		"equal": d.Equal(), "loosened_or_code": d.Loosened(), "changes": changes}
	if replay != nil {
		doc["replay"] = replay
	}
	return enc.Encode(doc)
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

func arrow(c bundles.Change) string {
	if c.From == "" && c.To == "" {
		return ""
	}
	return fmt.Sprintf(": %s → %s", Clean(orNone(c.From)), Clean(orNone(c.To)))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
