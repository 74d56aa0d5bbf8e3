package output

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
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

// ChampionFormats lists what WriteChampions accepts.
var ChampionFormats = []string{"text", "json"}

// WriteChampions renders "which digest was the champion at a time, and
// why", for each environment answered.
func WriteChampions(w io.Writer, model string, at time.Time, answers []vsa.ChampionAt, format string) error {
	type answer struct {
		Environment string            `json:"environment"`
		Champion    *HistoryRow       `json:"champion"`
		Gates       []vsa.GateOutcome `json:"gates,omitempty"`
		Inputs      []vsa.Input       `json:"inputs,omitempty"`
		Missing     []string          `json:"missing_inputs,omitempty"`
	}
	var out []answer
	for _, a := range answers {
		v := answer{Environment: a.Environment, Gates: a.Gates, Inputs: a.Inputs, Missing: a.Missing}
		if a.Record != nil {
			row := RowOf(a.Record)
			v.Champion = &row
		}
		out = append(out, v)
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"model": model, "at": attest.NormalTime(at), "environments": out})
	}
	for _, a := range out {
		if a.Champion == nil {
			fmt.Fprintf(w, "%s: no champion of %s at %s\n", a.Environment, model, attest.NormalTime(at))
			continue
		}
		c := a.Champion
		fmt.Fprintf(w, "%s: at %s the champion of %s was %s\n", a.Environment, attest.NormalTime(at), model, c.Subject)
		fmt.Fprintf(w, "  by %s %s of %s, signed by %s (tier %s, policy revision %s)\n", c.Kind, c.Record, c.Time, Clean(c.SignedBy), c.Tier, Clean(c.Revision))
		if c.Kind == vsa.KindRollback {
			fmt.Fprintf(w, "  rolled back from %s: %s\n", c.From, Clean(c.Reason))
		}
		if len(c.Approvers) > 0 {
			fmt.Fprintf(w, "  approved by %s\n", Clean(strings.Join(c.Approvers, ", ")))
		}
		var gates []string
		for _, g := range a.Gates {
			gates = append(gates, g.Code+" "+g.Status)
		}
		fmt.Fprintf(w, "  gates: %s\n", strings.Join(gates, ", "))
		for _, in := range a.Inputs {
			fmt.Fprintf(w, "  rested on %s %s signed by %s: %s", typeName(in.Type), cut19(in.ID), Clean(in.Signer), Clean(in.Summary))
			if len(in.Metrics) > 0 {
				var ms []string
				for _, k := range slices.Sorted(maps.Keys(in.Metrics)) {
					ms = append(ms, fmt.Sprintf("%s %v", k, in.Metrics[k]))
				}
				fmt.Fprintf(w, "; metrics %s", strings.Join(ms, ", "))
			}
			fmt.Fprintln(w)
		}
		for _, m := range a.Missing {
			fmt.Fprintf(w, "  input %s could not be found again or verified\n", Clean(m))
		}
	}
	return nil
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
