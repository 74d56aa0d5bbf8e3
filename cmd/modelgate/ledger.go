package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/mod/sumdb/note"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/tlog"
	"github.com/modelgate/modelgate/vsa"
)

// logFlags name the ledger's transparency log and, for commands that
// append to a dir: or mysql:// log, its signing key.
type logFlags struct {
	spec, key string
	write     bool
}

func (l *logFlags) register(cmd *cobra.Command, write bool) {
	l.write = write
	cmd.Flags().StringVar(&l.spec, "ledger", "", "the ledger's log: dir:PATH, mysql://USER@HOST:PORT/DB or https://HOST/PREFIX (default $MODELGATE_LEDGER, else dir:STORE/tlog beside a dir: store)")
	if write {
		cmd.Flags().StringVar(&l.key, "ledger-key", "", "the log's signing key, to append to a dir: or mysql:// log (default $MODELGATE_LEDGER_KEY)")
	}
}

// resolve names the log: the flag, $MODELGATE_LEDGER, or beside a dir: store.
func (l *logFlags) resolve(storeSpec string) (tlog.Spec, error) {
	spec := l.spec
	if spec == "" {
		spec = os.Getenv("MODELGATE_LEDGER")
	}
	if spec == "" {
		if storeSpec == "" {
			storeSpec = evidence.DefaultStore
		}
		dir, ok := strings.CutPrefix(storeSpec, "dir:")
		if !ok {
			return tlog.Spec{}, fmt.Errorf("the ledger is kept beside a dir: store, and %s is not one: give --ledger dir:PATH|mysql://…|https://… (or set MODELGATE_LEDGER)", storeSpec)
		}
		spec = "dir:" + strings.TrimSuffix(dir, "/") + "/tlog"
	}
	return tlog.ParseSpec(spec)
}

// source is the ledger's log read once, whole, verified, and checked
// against the checkpoints this user has seen.
func (l *logFlags) source(storeSpec string, trust *facts.Trust) (*vsa.LogSource, error) {
	spec, err := l.resolve(storeSpec)
	if err != nil {
		return nil, err
	}
	seen, err := tlog.DefaultSeenDir()
	if err != nil {
		return nil, err
	}
	return &vsa.LogSource{Spec: spec, Reader: &vsa.Reader{Trust: trust}, Seen: seen}, nil
}

// appender opens the log to append to it.
func (l *logFlags) appender(ctx context.Context, spec tlog.Spec, trust *facts.Trust) (tlog.Appender, error) {
	var signer note.Signer
	if spec.Kind != "https" {
		path := l.key
		if path == "" {
			path = os.Getenv(tlog.KeyEnv)
		}
		if path == "" {
			return nil, fmt.Errorf("appending to ledger %s needs its signing key: give --ledger-key PREFIX.ledger.key (or set %s), or append through its server with --ledger https://…", spec, tlog.KeyEnv)
		}
		s, err := tlog.LoadSigner(path)
		if err != nil {
			return nil, fmt.Errorf("--ledger-key %w", err)
		}
		if trust.Logs()[s.Name()] == nil {
			return nil, fmt.Errorf("--ledger-key signs for the log %s, which the policy bundle does not trust: add its verifier key with 'modelgate bundle signer add DIR --signer log=PREFIX.ledger.pub:%s:ledger'", s.Name(), s.Name())
		}
		signer = s
	}
	return tlog.OpenAppender(ctx, spec, signer, tlog.Options{Verifiers: trust.Logs()})
}

// open gives a ledger as the bundle trusts it; with write, one that
// appends (the caller closes it with closeLedger).
func (l *logFlags) open(ctx context.Context, storeSpec string, trust *facts.Trust, view *bundles.View, write bool) (*vsa.Ledger, error) {
	src, err := l.source(storeSpec, trust)
	if err != nil {
		return nil, err
	}
	led := vsa.NewLedger(src, trust, view)
	if write {
		if led.Appender, err = l.appender(ctx, src.Spec, trust); err != nil {
			return nil, err
		}
	}
	return led, nil
}

// closeLedger flushes a ledger's appender, if it has one.
func closeLedger(ctx context.Context, l *vsa.Ledger) {
	if l != nil && l.Appender != nil {
		l.Appender.Close(ctx)
	}
}

// ledgerFlags are what the ledger commands share: the bundle whose trust
// list says who may sign records, the store that holds evidence, and the
// log that holds the records.
type ledgerFlags struct {
	sf storeFlags
	pf policyFlags
	lf logFlags
}

func (l *ledgerFlags) register(cmd *cobra.Command, write bool) {
	l.sf.register(cmd)
	l.pf.register(cmd)
	l.lf.register(cmd, write)
}

// bundle loads the bundle, its trust list and its view.
func (l *ledgerFlags) bundle(ctx context.Context) (*bundles.Bundle, *facts.Trust, *bundles.View, error) {
	l.pf.plainHTTP = l.sf.plainHTTP
	opts, err := l.pf.options()
	if err != nil {
		return nil, nil, nil, err
	}
	b, err := bundles.Open(ctx, l.pf.spec, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	trust, err := b.Trust()
	if err != nil {
		return nil, nil, nil, err
	}
	v, err := b.View()
	if err != nil {
		return nil, nil, nil, err
	}
	return b, trust, v, nil
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

// openSigner opens the ledger to append a record about env, with a key
// that must hold one of roles in the bundle's trust list.
func (l *ledgerFlags) openSigner(ctx context.Context, env, flag, keyRef string, roles ...string) (*vsa.Ledger, signature.SignerVerifier, error) {
	b, trust, v, err := l.bundle(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := b.CheckEnvironment(env); err != nil {
		return nil, nil, err
	}
	sv, _, err := trust.Signer(ctx, keyRef, roles...)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", flag, err)
	}
	ledger, err := l.lf.open(ctx, l.sf.spec, trust, v, true)
	if err != nil {
		return nil, nil, err
	}
	return ledger, sv, nil
}

// openLedger loads the bundle and opens the ledger as the bundle trusts
// it, to read it.
func (l *ledgerFlags) openLedger(ctx context.Context) (*bundles.Bundle, *vsa.Ledger, error) {
	b, trust, v, err := l.bundle(ctx)
	if err != nil {
		return nil, nil, err
	}
	// The store named is there: a typo'd one would answer "no records".
	if _, err := l.sf.open(ctx, false); err != nil {
		return nil, nil, err
	}
	ledger, err := l.lf.open(ctx, l.sf.spec, trust, v, false)
	if err != nil {
		return nil, nil, err
	}
	return b, ledger, nil
}

// hiddenAlias adds a hidden flag that sets the same value as the one named
// for: rollback's --vsa-key and revoke's --key both sign a ledger record with
// a gate key, and either command takes the other's name for it.
func hiddenAlias(f *pflag.FlagSet, p *string, name, of string) {
	f.StringVar(p, name, "", "same as "+of)
	f.MarkHidden(name)
}
