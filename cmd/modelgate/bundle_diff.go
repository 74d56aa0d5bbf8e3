package main

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/gate"
	"github.com/modelgate/modelgate/output"
	"github.com/modelgate/modelgate/vsa"
)

// bundleDiffOptions are the flags of 'modelgate bundle diff'.
type bundleDiffOptions struct {
	format       string
	replay       bool
	store        storeFlags
	ledger       logFlags
	model, since string
}

func newBundleDiffCmd() *cobra.Command {
	var o bundleDiffOptions
	cmd := &cobra.Command{
		Use:   "diff OLD NEW [--format text|markdown|json|html] [--replay [--store STORE] [--model NAME] [--since T]]",
		Short: "Compare two bundles: every file, each change labelled LOOSENED, TIGHTENED, CHANGED or CODE",
		Long: `Compare two bundles (directories, tarballs or oci:// references), every file
of them. Data is compared by meaning, against the value a model actually
gets (a model's override against its tier's value): a bound moved against
the metric's direction, higher_is_better flipped, a change limit raised or
removed, fewer approvals, a gate or its code removed or its tiers narrowed,
requires shortened, effective_on moved later, an inventory tier lowered,
a signer, key or role added are LOOSENED; the reverse TIGHTENED; the rest
CHANGED. Any Rego change outside the data is CODE, naming each rule added,
removed or changed: its effect is not judged here, review the code.

With --replay, every decision recorded in the store's ledger (of --model,
since --since) is judged again on its recorded inputs, as of its own time,
under both bundles, and each verdict that flips is listed with the gate
codes that differ: what the change would have done to the promotions made.
Exits 0 when equal, 1 when different (or any verdict flips), 2 on error
(a recorded input the store lacks included).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return runBundleDiff(cmd, args, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "output format: "+strings.Join(output.DiffFormats, "|"))
	f.BoolVar(&o.replay, "replay", false, "judge every recorded decision again under both bundles")
	o.store.register(cmd)
	o.ledger.register(cmd, false)
	f.StringVar(&o.model, "model", "", "replay only this model's decisions")
	f.StringVar(&o.since, "since", "", "replay only decisions at or after this RFC 3339 time")
	return cmd
}

func runBundleDiff(cmd *cobra.Command, args []string, o bundleDiffOptions) error {
	if !slices.Contains(output.DiffFormats, o.format) {
		return fmt.Errorf("--format %q: use one of %s", o.format, strings.Join(output.DiffFormats, ", "))
	}
	if !o.replay && (o.model != "" || o.since != "" || cmd.Flags().Changed("store")) {
		return errors.New("--store, --model and --since go with --replay")
	}
	ctx := cmd.Context()
	var bs [2]*bundles.Bundle
	var views [2]*bundles.View
	for i, spec := range args {
		b, err := bundles.Open(ctx, spec, bundles.Options{})
		if err != nil {
			return err
		}
		if views[i], err = b.View(); err != nil {
			return err
		}
		bs[i] = b
	}
	d := bundles.Diff(views[0], views[1])
	var replay *gate.ReplayResult
	if o.replay {
		var err error
		if replay, err = runReplay(cmd, bs, o); err != nil {
			var missing *gate.MissingInputs
			if errors.As(err, &missing) && replay != nil {
				output.WriteDiff(cmd.OutOrStdout(), d, o.format, replay)
			}
			return err
		}
	}
	if err := output.WriteDiff(cmd.OutOrStdout(), d, o.format, replay); err != nil {
		return err
	}
	if !d.Equal() || (replay != nil && len(replay.Flips) > 0) {
		return errDenied
	}
	return nil
}

// runReplay judges the ledger's recorded decisions under both bundles.
func runReplay(cmd *cobra.Command, bs [2]*bundles.Bundle, o bundleDiffOptions) (*gate.ReplayResult, error) {
	ctx := cmd.Context()
	var since time.Time
	if o.since != "" {
		t, err := attest.ParseTime(o.since)
		if err != nil {
			return nil, fmt.Errorf("--since: %w", err)
		}
		since = t
	}
	store, err := o.store.open(ctx, false)
	if err != nil {
		return nil, err
	}
	var gates [2]*gate.Gate
	for i, b := range bs {
		if gates[i], err = gate.New(ctx, b); err != nil {
			return nil, err
		}
	}
	src, err := o.ledger.source(o.store.spec, gates[0].Trust)
	if err != nil {
		return nil, err
	}
	l := gates[0].Ledger(src)
	models := []string{o.model}
	if o.model == "" {
		book, err := l.Book(ctx)
		if err != nil {
			return nil, err
		}
		models = nil
		seen := map[string]bool{}
		for _, r := range book.Records {
			if !seen[r.Model] {
				seen[r.Model] = true
				models = append(models, r.Model)
			}
		}
		sort.Strings(models)
	}
	now := time.Now().UTC()
	var records []*vsa.Record
	for _, m := range models {
		rs, _, err := l.Records(ctx, m, "", now)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if !r.Time.Before(since) {
				records = append(records, r)
			}
		}
	}
	return gate.Replay(ctx, gates[0], gates[1], store, src, records)
}
