package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/vsa"
)

// revokeOptions are the flags of 'modelgate revoke'.
type revokeOptions struct {
	ledger                    ledgerFlags
	subject, env, key, reason string
}

func newRevokeCmd() *cobra.Command {
	var o revokeOptions
	cmd := &cobra.Command{
		Use:   "revoke --subject NAME@sha256:HEX --env ENV --key KEY --reason TEXT",
		Short: "Record a signed revocation: the digest is never champion again and admission denies it",
		Long: `Write a signed revocation of a digest in an environment. KEY must belong to
a signer with the gate or waiver role. NAME must be the name the ledger
holds for that digest: otherwise nothing is written and the name it holds
is shown. From then on the digest is never the champion, a rollback to it
is refused, verify denies it (MG-REVOKED), and admission denies it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRevoke(cmd, o) },
	}
	o.ledger.register(cmd, true)
	f := cmd.Flags()
	f.StringVar(&o.subject, "subject", "", "the model: NAME@sha256:HEX")
	f.StringVar(&o.env, "env", "", "the environment")
	f.StringVar(&o.key, "key", "", "a gate or waiver key: PEM file or KMS URI")
	hiddenAlias(f, &o.key, "vsa-key", "--key")
	f.StringVar(&o.reason, "reason", "", "why, for the ledger")
	return cmd
}

func runRevoke(cmd *cobra.Command, o revokeOptions) error {
	if err := requireFlags(cmd, [2]string{"--subject", o.subject}, [2]string{"--env", o.env}, [2]string{"--key", o.key}, [2]string{"--reason", o.reason}); err != nil {
		return err
	}
	subject, err := digest.ParseRef(o.subject)
	if err != nil {
		return fmt.Errorf("--subject: %w", err)
	}
	ctx := cmd.Context()
	l, sv, err := o.ledger.openSigner(ctx, o.env, "--key", o.key, vsa.MayRecord[vsa.KindRevocation]...)
	if err != nil {
		return err
	}
	defer closeLedger(ctx, l)
	a, err := l.Revoke(ctx, sv, subject, o.env, o.reason, time.Now().UTC())
	if err != nil {
		return fmt.Errorf("--subject: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "revoked %s in %s (record %s, ledger index %d)\n", subject, o.env, a.Record.ID, a.Index)
	return nil
}
