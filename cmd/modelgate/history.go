package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/output"
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

func runHistory(cmd *cobra.Command, o historyOptions) error {
	if o.model == "" {
		return errors.New("--model NAME is required")
	}
	if !slices.Contains(output.HistoryFormats, o.format) {
		return fmt.Errorf("--format %q: use one of %s", o.format, strings.Join(output.HistoryFormats, ", "))
	}
	if o.at != "" && !slices.Contains(output.ChampionFormats, o.format) {
		return fmt.Errorf("--format %q: --at answers in %s", o.format, strings.Join(output.ChampionFormats, " or "))
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
		answers, err := l.ChampionsAt(ctx, store, o.model, o.env, t)
		if err != nil {
			return err
		}
		return output.WriteChampions(w, o.model, t, answers, o.format)
	}
	h, err := l.History(ctx, o.model, o.env, time.Now().UTC())
	if err != nil {
		return err
	}
	book, err := l.Book(ctx)
	if err != nil {
		return err
	}
	return output.WriteHistory(w, output.HistoryOf(o.model, o.env, book.Log, h), o.format)
}
