package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/output"
	"github.com/modelgate/modelgate/vsa"
)

// historyOptions are the flags of 'modelgate history'.
type historyOptions struct {
	ledger         ledgerFlags
	model, env, at string
	format         string
}

func newHistoryCmd() *cobra.Command {
	var o historyOptions
	cmd := &cobra.Command{
		Use:   "history --model NAME [--env ENV] [--at TIME] [--format text|json|markdown|csv|html]",
		Short: "The promotion ledger of a model: every promotion, denial, rollback and revocation",
		Long: `List a model's ledger, newest first, from signed records alone: time, digest,
environment, result, tier, policy revision, approvers, and who signed it.

With --at TIME, answer "which digest was the champion at TIME, and why":
the digest the ledger's one rule admitted then, its VSA, its gates, the
approvals and the evaluation metrics it rested on (the input envelopes,
found again in the store and verified).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runHistory(cmd, o) },
	}
	o.ledger.register(cmd, false)
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "the model's name")
	f.StringVar(&o.env, "env", "", "only this environment")
	f.StringVar(&o.at, "at", "", "which digest was the champion at this RFC 3339 time, and why")
	f.StringVar(&o.format, "format", "text", "output format: "+strings.Join(output.HistoryFormats, "|"))
	return cmd
}

func rowOf(r *vsa.Record) output.HistoryRow {
	row := output.HistoryRow{Time: attest.NormalTime(r.Time), Environment: r.Environment, Kind: r.Kind, Result: r.Result, Subject: r.Ref().String(), Digest: digest.Prefixed(r.Digest),
		Tier: r.Tier, Revision: r.Policy.Revision, Approvers: r.Approvers, SignedBy: r.Signer, Record: r.ID, Previous: r.Previous, VSA: r.Envelope, Index: r.Index}
	switch {
	case r.Rollback != nil:
		row.Reason, row.From = r.Rollback.Reason, r.Rollback.From
	case r.Revocation != nil:
		row.Reason = r.Revocation.Reason
	}
	return row
}

func runHistory(cmd *cobra.Command, o historyOptions) error {
	if o.model == "" {
		return errors.New("--model NAME is required")
	}
	if !slices.Contains(output.HistoryFormats, o.format) {
		return fmt.Errorf("--format %q: use one of %s", o.format, strings.Join(output.HistoryFormats, ", "))
	}
	if o.at != "" && o.format != "text" && o.format != "json" {
		return fmt.Errorf("--format %q: --at answers in text or json", o.format)
	}
	ctx := cmd.Context()
	b, l, err := o.ledger.openLedger(ctx)
	if err != nil {
		return err
	}
	if o.env != "" {
		if err := b.CheckEnvironment(o.env); err != nil {
			return err
		}
	}
	now := time.Now().UTC()
	records, skipped, err := l.Records(ctx, o.model, o.env, now)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if o.at != "" {
		t, err := attest.ParseTime(o.at)
		if err != nil {
			return fmt.Errorf("--at: %w", err)
		}
		store, err := o.ledger.sf.open(ctx, false)
		if err != nil {
			return err
		}
		return championAt(ctx, w, l, store, o.model, o.env, t, o.format)
	}
	book, err := l.Book(ctx)
	if err != nil {
		return err
	}
	h := &output.History{Model: o.model, Environment: o.env, Store: book.Log}
	// A rollback an alert already made, written again, counts once: the
	// later ones are marked.
	first := map[string]string{}
	repeatOf := map[string]string{}
	for _, r := range records {
		if r.Kind == vsa.KindRollback && r.Rollback.Alert != nil {
			k := r.Environment + "\x00" + r.Rollback.Alert.Key()
			if f, ok := first[k]; ok {
				repeatOf[r.ID] = f
			} else {
				first[k] = r.ID
			}
		}
	}
	for i := len(records) - 1; i >= 0; i-- {
		row := rowOf(records[i])
		row.RepeatOf = repeatOf[records[i].ID]
		h.Records = append(h.Records, row)
	}
	for _, sk := range skipped {
		h.Skipped = append(h.Skipped, output.Skipped{ID: sk.ID, Reason: sk.Reason})
	}
	envs := l.View.Order
	if o.env != "" {
		envs = []string{o.env}
	}
	for _, e := range envs {
		p, err := l.Promoted(ctx, o.model, e, now)
		if err != nil {
			return err
		}
		if p == nil {
			continue
		}
		a, err := l.Admits(ctx, p.Ref(), e, now)
		if err != nil {
			return err
		}
		if a.Refusal == vsa.OutOfOrder {
			h.Notes = append(h.Notes, fmt.Sprintf("%s's newest promotion, %s (%s %s), is not admitted: %s (%s); promote a model through %s again, or roll %s back to a digest %s admits",
				e, p.Ref(), p.Kind, p.ID, a.Reason(), requiresWhy(ctx, l, p.Ref(), a.Requires, now), a.Requires, e, a.Requires))
		}
	}
	return output.WriteHistory(w, h, o.format)
}

func short(id string) string {
	if len(id) > 19 {
		return id[:19]
	}
	return id
}

// championAt shows, for each environment (or env), the champion at a
// time by the ledger's one rule, and what its decision rested on.
func championAt(ctx context.Context, w io.Writer, l *vsa.Ledger, store evidence.Store, model, env string, at time.Time, format string) error {
	envs := []string{env}
	if env == "" {
		envs = l.View.Order
	}
	type inputView struct {
		ID      string         `json:"id"`
		Type    string         `json:"type"`
		Signer  string         `json:"signer"`
		Summary string         `json:"summary"`
		Metrics map[string]any `json:"metrics,omitempty"`
	}
	type answer struct {
		Environment string             `json:"environment"`
		Champion    *output.HistoryRow `json:"champion"`
		Gates       []vsa.GateOutcome  `json:"gates,omitempty"`
		Inputs      []inputView        `json:"inputs,omitempty"`
		Missing     []string           `json:"missing_inputs,omitempty"`
	}
	var answers []answer
	for _, e := range envs {
		a := answer{Environment: e}
		adm, _, err := l.Champion(ctx, model, e, "", at)
		if err != nil {
			return err
		}
		if adm != nil {
			row := rowOf(adm.Record)
			a.Champion = &row
			// A rollback rests on the PASSED decision it restored.
			basis := adm.Decision
			a.Gates = basis.Gates
			var envs []evidence.Envelope
			for _, id := range basis.Inputs {
				data, err := store.Get(ctx, id)
				if err != nil {
					a.Missing = append(a.Missing, id)
					continue
				}
				envs = append(envs, evidence.Envelope{ID: id, Source: id, Data: data})
			}
			res := facts.Collect(ctx, l.Trust, basis.Digest, envs, at.Add(facts.MaxFuture))
			for _, f := range res.Facts {
				iv := inputView{ID: f.ID, Type: f.Type, Signer: f.Signer.Identity}
				p, _ := f.Predicate.(map[string]any)
				if f.Type == attest.VSAType {
					// A promotion rests on PASSED records alone (its order
					// through the environments); a FAILED one is no basis.
					r, err := vsa.ParseRaw(f.Raw, f.Subjects)
					if err != nil || !r.Admits() {
						continue
					}
					iv.Summary = fmt.Sprintf("%s %s in %s at %s", r.Kind, r.Result, r.Environment, attest.NormalTime(r.Time))
					a.Inputs = append(a.Inputs, iv)
					continue
				}
				switch attest.ShortName(f.Type) {
				case "evaluation":
					iv.Metrics, _ = p["metrics"].(map[string]any)
					iv.Summary = fmt.Sprintf("evaluated at %v", p["evaluated_at"])
				case "approval":
					iv.Summary = fmt.Sprintf("%v for %v at %v: %v", p["decision"], p["environment"], p["approved_at"], p["justification"])
				default:
					if t, ok := attest.EventTimeOf(f.Type, f.Predicate); ok {
						iv.Summary = "at " + attest.NormalTime(t)
					}
				}
				a.Inputs = append(a.Inputs, iv)
			}
			for _, r := range res.Rejected {
				a.Missing = append(a.Missing, r.ID+" ("+r.Reason+")")
			}
			// A promotion rests on the ledger's PASSED records of the
			// environments it requires, as the rule admitted them then.
			for _, req := range l.View.Environments[e].Requires {
				ra, err := l.Admits(ctx, adm.Subject, req, at)
				if err != nil {
					return err
				}
				if ra.Admitted() {
					r := ra.Record
					a.Inputs = append(a.Inputs, inputView{ID: r.ID, Type: attest.VSAType, Signer: r.Signer,
						Summary: fmt.Sprintf("%s %s in %s at %s", r.Kind, r.Result, r.Environment, attest.NormalTime(r.Time))})
				}
			}
		}
		answers = append(answers, a)
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"model": model, "at": attest.NormalTime(at), "environments": answers})
	}
	for _, a := range answers {
		if a.Champion == nil {
			fmt.Fprintf(w, "%s: no champion of %s at %s\n", a.Environment, model, attest.NormalTime(at))
			continue
		}
		c := a.Champion
		fmt.Fprintf(w, "%s: at %s the champion of %s was %s\n", a.Environment, attest.NormalTime(at), model, c.Subject)
		fmt.Fprintf(w, "  by %s %s of %s, signed by %s (tier %s, policy revision %s)\n", c.Kind, c.Record, c.Time, output.Clean(c.SignedBy), c.Tier, output.Clean(c.Revision))
		if c.Kind == vsa.KindRollback {
			fmt.Fprintf(w, "  rolled back from %s: %s\n", c.From, output.Clean(c.Reason))
		}
		if len(c.Approvers) > 0 {
			fmt.Fprintf(w, "  approved by %s\n", output.Clean(strings.Join(c.Approvers, ", ")))
		}
		var gates []string
		for _, g := range a.Gates {
			gates = append(gates, g.Code+" "+g.Status)
		}
		fmt.Fprintf(w, "  gates: %s\n", strings.Join(gates, ", "))
		for _, in := range a.Inputs {
			fmt.Fprintf(w, "  rested on %s %s signed by %s: %s", inputTypeName(in.Type), short(in.ID), output.Clean(in.Signer), output.Clean(in.Summary))
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
			fmt.Fprintf(w, "  input %s could not be found again or verified\n", output.Clean(m))
		}
	}
	return nil
}

// inputTypeName is a predicate type as a person reads it: modelgate's short
// names, "VSA" for a ledger record, else the type URI.
func inputTypeName(t string) string {
	switch {
	case attest.ShortName(t) != "":
		return attest.ShortName(t)
	case t == attest.VSAType:
		return "VSA"
	}
	return output.Clean(t)
}

// requiresWhy says why the environment a promotion requires refuses it.
func requiresWhy(ctx context.Context, l *vsa.Ledger, s digest.Subject, env string, now time.Time) string {
	a, err := l.Admits(ctx, s, env, now)
	if err != nil {
		return err.Error()
	}
	return a.Reason()
}
