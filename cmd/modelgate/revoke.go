package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/decision"
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
	book, err := l.Book(ctx)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	names, err := l.NamesOf(ctx, subject.SHA256, now)
	if err != nil {
		return err
	}
	switch {
	case len(names) == 0:
		return fmt.Errorf("--subject: the ledger %s holds no record of sha256:%s; revoke a digest that was decided, under the name it was decided as", book.Log, subject.SHA256)
	case !slices.Contains(names, subject.Name):
		return fmt.Errorf("--subject: the ledger holds sha256:%s as %s, not %q; nothing was written: revoke %s@sha256:%s", subject.SHA256, strings.Join(quote(names), " and "), subject.Name, names[0], subject.SHA256)
	}
	last, err := l.Last(ctx, subject.Name, o.env, now)
	if err != nil {
		return err
	}
	previous := ""
	if last != nil {
		previous = last.ID
	}
	b := l.View
	st, err := vsa.Statement(subject.Name, subject.SHA256, o.env, vsa.Failed, nil,
		decision.Policy{URI: b.URI, Digest: b.Digest, Revision: b.Revision}, nil,
		vsa.Entry{Kind: vsa.KindRevocation, Previous: previous, Revocation: &vsa.RevocationEntry{Digest: "sha256:" + subject.SHA256, Reason: o.reason}}, now)
	if err != nil {
		return err
	}
	a, err := l.Write(ctx, sv, st, "revocation")
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "revoked %s in %s (record %s, ledger index %d)\n", subject, o.env, a.Record.ID, a.Index)
	return nil
}

func quote(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
