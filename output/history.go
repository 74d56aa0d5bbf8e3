package output

import (
	"io"
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

// historyFormats is the table of the history's formats, in the order help
// lists them.
var historyFormats = []format[*History]{
	{"text", historyText},
	{"json", func(w io.Writer, h *History) error { return indentedJSON(w, h) }},
	{"markdown", historyMarkdown},
	{"csv", historyCSV},
	{"html", historyHTML},
}

// HistoryFormats lists what WriteHistory accepts.
var HistoryFormats = names(historyFormats)

// WriteHistory renders a model's ledger for a compliance officer.
func WriteHistory(w io.Writer, h *History, format string) error {
	if h.Records == nil {
		h.Records = []HistoryRow{}
	}
	if h.Skipped == nil {
		h.Skipped = []Skipped{}
	}
	return write(historyFormats, format, w, h)
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
