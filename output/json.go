package output

import (
	"encoding/json"
	"io"

	"github.com/modelgate/modelgate/decision"
)

// JSON writes the decision document as it is, indented.
func JSON(w io.Writer, d *decision.Decision) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}
