package output

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"text/tabwriter"
)

// HistoryRow is one ledger record as history shows it.
type HistoryRow struct {
	Time        string   `json:"time"`
	Environment string   `json:"environment"`
	Kind        string   `json:"kind"`
	Result      string   `json:"result"`
	Subject     string   `json:"subject"`
	Digest      string   `json:"-"`
	Tier        string   `json:"tier"`
	Revision    string   `json:"policy_revision,omitempty"`
	Approvers   []string `json:"approvers,omitempty"`
	SignedBy    string   `json:"signed_by"`
	Reason      string   `json:"reason,omitempty"`
	From        string   `json:"from,omitempty"`
	Record      string   `json:"record"`
	Previous    string   `json:"previous,omitempty"`
	VSA         string   `json:"vsa"`
	Index       uint64   `json:"index"` // the record's place in the ledger's log
	// RepeatOf is, for a rollback an alert already made (a re-sent
	// notification, another replica), the rollback that counted: this one
	// changes nothing.
	RepeatOf string `json:"repeat_of,omitempty"`
}

// What says what the record did, in a few words.
func (r HistoryRow) What() string {
	switch r.Kind {
	case "rollback":
		if r.RepeatOf != "" {
			return "ROLLBACK REPEATED (changes nothing; " + shortDigest(r.RepeatOf) + " counted): " + Clean(r.Reason)
		}
		return "ROLLBACK from " + shortDigest(r.From) + ": " + Clean(r.Reason)
	case "revocation":
		return "REVOKED: " + Clean(r.Reason)
	}
	return r.Result
}

// Skipped is a ledger envelope that does not count, and why.
type Skipped struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// History is a model's ledger, newest first.
type History struct {
	Model       string       `json:"model"`
	Environment string       `json:"environment,omitempty"`
	Store       string       `json:"-"`
	Records     []HistoryRow `json:"records"`
	Skipped     []Skipped    `json:"skipped"`
	// Notes say what the records alone do not: a newest promotion the
	// ledger's rule no longer admits, because an environment it requires
	// rolled back from it.
	Notes []string `json:"notes,omitempty"`
}

// HistoryFormats lists what WriteHistory accepts.
var HistoryFormats = []string{"text", "json", "markdown", "csv", "html"}

// WriteHistory renders a model's ledger for a compliance officer.
func WriteHistory(w io.Writer, h *History, format string) error {
	if h.Records == nil {
		h.Records = []HistoryRow{}
	}
	if h.Skipped == nil {
		h.Skipped = []Skipped{}
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(h)
	case "text":
		return historyText(w, h)
	case "markdown":
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
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"time", "environment", "kind", "result", "subject", "tier", "policy_revision", "approvers", "signed_by", "reason", "from", "record", "previous", "vsa"})
		for _, r := range h.Records {
			cw.Write([]string{r.Time, r.Environment, r.Kind, r.Result, r.Subject, r.Tier, r.Revision, strings.Join(r.Approvers, " "), r.SignedBy, csvCell(r.Reason), r.From, r.Record, r.Previous, r.VSA})
		}
		cw.Flush()
		return cw.Error()
	case "html":
		return page().ExecuteTemplate(w, "history.html", struct {
			Title string
			CSS   template.CSS
			H     *History
		}{"modelgate: promotion ledger of " + h.Model + inEnvironment(h.Environment), CSS(), h})
	}
	return fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(HistoryFormats, ", "))
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

func inEnvironment(env string) string {
	if env == "" {
		return ""
	}
	return " in " + env
}

func shortDigest(id string) string {
	if len(id) > 19 {
		return id[:19]
	}
	return id
}

// csvCell keeps a spreadsheet from reading a cell as a formula.
func csvCell(s string) string {
	s = Clean(s)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
