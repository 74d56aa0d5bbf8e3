package output

import (
	"encoding/csv"
	"io"
	"strings"
)

func historyCSV(w io.Writer, h *History) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "environment", "kind", "result", "subject", "tier", "policy_revision", "approvers", "signed_by", "reason", "from", "record", "previous", "vsa"})
	for _, r := range h.Records {
		cw.Write([]string{r.Time, r.Environment, r.Kind, r.Result, r.Subject, r.Tier, r.Revision, strings.Join(r.Approvers, " "), r.SignedBy, csvCell(r.Reason), r.From, r.Record, r.Previous, r.VSA})
	}
	cw.Flush()
	return cw.Error()
}

// csvCell keeps a spreadsheet from reading a cell as a formula.
func csvCell(s string) string {
	s = Clean(s)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
