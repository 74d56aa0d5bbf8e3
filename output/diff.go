package output

import (
	"fmt"
	"io"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/gate"
)

// policyChange is what bundle diff renders: what changed between two
// bundles and, when not nil, what it would have done to the ledger.
type policyChange struct {
	d      *bundles.DiffResult
	replay *gate.ReplayResult
}

// diffFormats is the table of bundle diff's formats.
var diffFormats = []format[policyChange]{
	{"text", func(w io.Writer, c policyChange) error {
		if err := diffText(w, c.d); err != nil {
			return err
		}
		return replayText(w, c.replay)
	}},
	{"markdown", func(w io.Writer, c policyChange) error {
		if err := diffMarkdown(w, c.d); err != nil {
			return err
		}
		return replayMarkdown(w, c.replay)
	}},
	{"json", func(w io.Writer, c policyChange) error { return diffJSON(w, c.d, c.replay) }},
	{"html", diffHTML},
}

// DiffFormats lists what WriteDiff accepts.
var DiffFormats = names(diffFormats)

// WriteDiff renders what changed between two bundles and, when replay
// is not nil, what the change would have done to the recorded decisions.
func WriteDiff(w io.Writer, d *bundles.DiffResult, format string, replay *gate.ReplayResult) error {
	return write(diffFormats, format, w, policyChange{d, replay})
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
