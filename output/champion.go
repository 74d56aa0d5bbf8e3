package output

import (
	"io"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/vsa"
)

// RowOf is a ledger record as history shows it.
func RowOf(r *vsa.Record) HistoryRow {
	row := HistoryRow{Time: attest.NormalTime(r.Time), Environment: r.Environment, Kind: r.Kind, Result: r.Result, Subject: r.Ref().String(), Digest: digest.Prefixed(r.Digest),
		Tier: r.Tier, Revision: r.Policy.Revision, Approvers: r.Approvers, SignedBy: r.Signer, Record: r.ID, Previous: r.Previous, VSA: r.Envelope, Index: r.Index}
	switch {
	case r.Rollback != nil:
		row.Reason, row.From = r.Rollback.Reason, r.Rollback.From
	case r.Revocation != nil:
		row.Reason = r.Revocation.Reason
	}
	return row
}

// HistoryOf is a model's ledger as history renders it.
func HistoryOf(model, env, log string, h *vsa.History) *History {
	out := &History{Model: model, Environment: env, Store: log, Notes: h.Notes}
	for _, r := range h.Records {
		row := RowOf(r)
		row.RepeatOf = h.RepeatOf[r.ID]
		out.Records = append(out.Records, row)
	}
	for _, sk := range h.Skipped {
		out.Skipped = append(out.Skipped, Skipped{ID: sk.ID, Reason: sk.Reason})
	}
	return out
}

// champions is the answer to "which digest was the champion at a time,
// and why", as history --at renders it.
type champions struct { // in the order its JSON has always had
	At           string         `json:"at"`
	Environments []championView `json:"environments"`
	Model        string         `json:"model"`
}

type championView struct {
	Environment string            `json:"environment"`
	Champion    *HistoryRow       `json:"champion"`
	Gates       []vsa.GateOutcome `json:"gates,omitempty"`
	Inputs      []vsa.Input       `json:"inputs,omitempty"`
	Missing     []string          `json:"missing_inputs,omitempty"`
}

// championFormats is the table of history --at's formats.
var championFormats = []format[*champions]{
	{"text", championsText},
	{"json", func(w io.Writer, c *champions) error { return indentedJSON(w, c) }},
}

// ChampionFormats lists what WriteChampions accepts.
var ChampionFormats = names(championFormats)

// WriteChampions renders "which digest was the champion at a time, and
// why", for each environment answered.
func WriteChampions(w io.Writer, model string, at time.Time, answers []vsa.ChampionAt, format string) error {
	c := &champions{Model: model, At: attest.NormalTime(at)}
	for _, a := range answers {
		v := championView{Environment: a.Environment, Gates: a.Gates, Inputs: a.Inputs, Missing: a.Missing}
		if a.Record != nil {
			row := RowOf(a.Record)
			v.Champion = &row
		}
		c.Environments = append(c.Environments, v)
	}
	return write(championFormats, format, w, c)
}

// typeName is a predicate type as a person reads it: modelgate's short
// names, "VSA" for a ledger record, else the type URI.
func typeName(t string) string {
	switch {
	case attest.ShortName(t) != "":
		return attest.ShortName(t)
	case t == attest.VSAType:
		return "VSA"
	}
	return Clean(t)
}

// cut19 is an id cut to sha256: and its first twelve hex digits.
func cut19(id string) string {
	if len(id) > 19 {
		return id[:19]
	}
	return id
}
