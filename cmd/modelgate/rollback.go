package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/vsa"
)

// rollbackOptions are the flags of 'modelgate rollback'.
type rollbackOptions struct {
	ledger                      ledgerFlags
	model, env, to, key, reason string
}

func newRollbackCmd() *cobra.Command {
	var o rollbackOptions
	cmd := &cobra.Command{
		Use:   "rollback --model NAME --env ENV [--to DIGEST] --vsa-key KEY --reason TEXT",
		Short: "Re-admit the previous champion (or DIGEST) on its still-valid PASSED decision",
		Long: `Write a signed rollback record that makes the previous champion (or
--to DIGEST) the champion again, without new evidence; the rolled-back
digest loses its champion status, and the next verify of a challenger is
judged against the restored champion. The target must be admitted by the
ledger's one rule apart from having been rolled back from: refused (exit 2,
saying why) when it never passed in that environment, a newer FAILED
decision withdrew it, its PASSED decision is older than the tier's
max_vsa_age_days, or it was revoked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRollback(cmd, o) },
	}
	o.ledger.register(cmd, true)
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "the model's name")
	f.StringVar(&o.env, "env", "", "the environment")
	f.StringVar(&o.to, "to", "", "the digest to restore (default: the previous champion)")
	f.StringVar(&o.key, "vsa-key", "", "the gate's signing key: PEM file or KMS URI")
	hiddenAlias(f, &o.key, "key", "--vsa-key")
	f.StringVar(&o.reason, "reason", "", "why, for the ledger")
	return cmd
}

func runRollback(cmd *cobra.Command, o rollbackOptions) error {
	if err := requireFlags(cmd, [2]string{"--model", o.model}, [2]string{"--env", o.env}, [2]string{"--vsa-key", o.key}, [2]string{"--reason", o.reason}); err != nil {
		return err
	}
	target := ""
	if o.to != "" {
		target = digest.Hex(o.to)
		if !digest.IsHex64(target) {
			return fmt.Errorf("--to %q: give sha256:<64 lower-case hex>", o.to)
		}
	}
	ctx := cmd.Context()
	l, sv, err := o.ledger.openSigner(ctx, o.env, "--vsa-key", o.key, vsa.MayRecord[vsa.KindRollback]...)
	if err != nil {
		return err
	}
	defer closeLedger(ctx, l)
	now := time.Now().UTC()
	plan, err := l.PlanRollback(ctx, o.model, o.env, target, now)
	if err != nil {
		return err
	}
	a, err := l.Rollback(ctx, sv, plan, o.model, o.env, o.reason, nil, now)
	if err != nil {
		return err
	}
	from, to := plan.From.Subject.SHA256, plan.To.Subject.SHA256
	fmt.Fprintf(cmd.OutOrStdout(), "rolled back %s in %s from sha256:%s to sha256:%s (record %s, ledger index %d)\n", o.model, o.env, from, to, a.Record.ID, a.Index)
	return nil
}
