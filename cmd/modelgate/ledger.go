package main

import (
	"context"
	"fmt"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/gate"
	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/vsa"
)

// ledgerFlags are what the ledger commands share: the bundle whose trust
// list says who may sign records, and the store that holds them.
type ledgerFlags struct {
	sf storeFlags
	pf policyFlags
}

func (l *ledgerFlags) register(cmd *cobra.Command) {
	l.sf.register(cmd)
	l.pf.register(cmd)
}

// open loads the bundle and its trust list, and the store.
func (l *ledgerFlags) open(ctx context.Context, create bool) (*bundles.Bundle, *facts.Trust, evidence.Store, error) {
	l.pf.plainHTTP = l.sf.plainHTTP
	opts, err := l.pf.options()
	if err != nil {
		return nil, nil, nil, err
	}
	b, err := bundles.Open(ctx, l.pf.spec, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	trust, err := gate.TrustOf(b)
	if err != nil {
		return nil, nil, nil, err
	}
	store, err := l.sf.open(ctx, create)
	if err != nil {
		return nil, nil, nil, err
	}
	return b, trust, store, nil
}

// requireFlags refuses a command line that lacks a required flag, naming
// the first missing in the order given.
func requireFlags(cmd *cobra.Command, flags ...[2]string) error {
	for _, f := range flags {
		if f[1] == "" {
			return fmt.Errorf("%s is required (see '%s --help')", f[0], cmd.CommandPath())
		}
	}
	return nil
}

// openSigner opens the ledger for a record about env, with a key that must
// hold one of roles in the bundle's trust list.
func (l *ledgerFlags) openSigner(ctx context.Context, env, flag, keyRef string, roles ...string) (*vsa.Ledger, signature.SignerVerifier, error) {
	b, ledger, err := l.openLedger(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := b.CheckEnvironment(env); err != nil {
		return nil, nil, err
	}
	sv, err := keys.LoadSigner(ctx, keyRef)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", flag, err)
	}
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", flag, err)
	}
	if _, err := ledger.Trust.SignerOfKey(pub, roles...); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", flag, err)
	}
	return ledger, sv, nil
}

// openLedger loads the bundle and opens the store's ledger as the bundle
// trusts it.
func (l *ledgerFlags) openLedger(ctx context.Context) (*bundles.Bundle, *vsa.Ledger, error) {
	b, trust, store, err := l.open(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	v, err := b.View()
	if err != nil {
		return nil, nil, err
	}
	return b, &vsa.Ledger{Store: store, Trust: trust, View: v}, nil
}

// hiddenAlias adds a hidden flag that sets the same value as the one named
// for: rollback's --vsa-key and revoke's --key both sign a ledger record with
// a gate key, and either command takes the other's name for it.
func hiddenAlias(f *pflag.FlagSet, p *string, name, of string) {
	f.StringVar(p, name, "", "same as "+of)
	f.MarkHidden(name)
}
