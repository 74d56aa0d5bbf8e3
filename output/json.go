package output

import (
	"encoding/json"
	"io"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/gate"
)

// JSON writes the decision document as it is, indented.
func JSON(w io.Writer, d *decision.Decision) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
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

// indentedJSON is every document's json format.
func indentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
