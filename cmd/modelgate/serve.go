package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/admission"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/internal/safeio"
	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/tlog"
	"github.com/modelgate/modelgate/vsa"
)

// serveOptions are the flags of 'modelgate serve'.
type serveOptions struct {
	lf                                                                     ledgerFlags
	listen, certFile, keyFile, stateDir                                    string
	gateKeys                                                               []string
	rollbackKey, tokenFile                                                 string
	cacheTTL, storeTimeout, rollbackWindow, poll, maxStaleness, auditEvery time.Duration
	cacheSize                                                              int
}

func (o *serveOptions) AddFlags(cmd *cobra.Command) {
	o.lf.register(cmd, true)
	f := cmd.Flags()
	f.DurationVar(&o.poll, "ledger-poll", time.Second, "how often to read the ledger's checkpoint")
	f.DurationVar(&o.maxStaleness, "max-staleness", 5*time.Minute, "answer from the last verified ledger state at most this long while the log cannot be read, then deny")
	f.StringVar(&o.stateDir, "state-dir", "", "where to remember the largest checkpoint seen across restarts (default: the user cache)")
	f.DurationVar(&o.auditEvery, "ledger-audit", 10*time.Minute, "read the whole log again this often, to find an entry or tile changed under the entries already followed (0: never)")
	f.StringVar(&o.listen, "listen", "", "address to listen on, e.g. :8443")
	f.StringVar(&o.certFile, "tls-cert", "", "TLS certificate (PEM), re-read when it changes")
	f.StringVar(&o.keyFile, "tls-key", "", "TLS private key (PEM), re-read when it changes")
	f.StringArrayVar(&o.gateKeys, "gate-key", nil, "public key whose VSAs admit models (repeatable)")
	f.DurationVar(&o.cacheTTL, "cache-ttl", 30*time.Second, "keep a verdict at most this long")
	f.DurationVar(&o.storeTimeout, "store-timeout", 2*time.Second, "deny when the ledger does not answer within this; keep it well inside the webhook's timeoutSeconds")
	f.IntVar(&o.cacheSize, "cache-size", 10000, "verdicts kept at most")
	f.StringVar(&o.rollbackKey, "rollback-key", "", "receive Alertmanager webhooks at /alerts/{environment} and roll back with this gate key (PEM or KMS URI)")
	f.StringVar(&o.tokenFile, "alert-token-file", "", "the bearer token Alertmanager presents (a file; required with --rollback-key)")
	f.DurationVar(&o.rollbackWindow, "rollback-window", 30*time.Minute, "an alert rolls back only a promotion younger than this")
}

func newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve --listen ADDR --tls-cert FILE --tls-key FILE --gate-key PUB [--policy BUNDLE] [--store STORE] [--rollback-key KEY --alert-token-file FILE [--rollback-window D]]",
		Short: "Serve the Kubernetes validating webhook: a pod serves only a model the ledger admits",
		Long: `Serve POST /validate/{environment} over HTTPS for a ValidatingWebhookConfiguration
(one webhook per environment, selected by the namespace label
modelgate.dev/environment), with /healthz, /readyz and Prometheus /metrics.

A model reference (the modelgate.dev/model annotation, an image volume, a
KServe oci:// storageUri) is allowed only when the ledger admits that name
and digest in the environment: a PASSED or rollback decision signed by a
--gate-key, within the tier's max_vsa_age_days, at a tier at least the
model's, not revoked, and promoted through the environments it requires.
Anything else is denied with what to do.

serve follows the ledger's transparency log (--ledger): it polls the
checkpoint every --ledger-poll, verifies the new entries against it and the
tiles, and answers reviews from the state it replayed, with no I/O. A log
that cannot be read is answered from the last verified state for at most
--max-staleness, then every review is denied; a log found rewritten (a
smaller or inconsistent checkpoint than one seen, kept in --state-dir
across restarts) is denied at once. /readyz, the modelgate_ledger_age_seconds
metric and every audit line say how old the state is. The certificate
files are re-read when they change.

With --rollback-key and --alert-token-file it also receives Prometheus
Alertmanager webhooks at POST /alerts/{environment}, authenticated by the
bearer token in the file: a firing alert whose label modelgate_model names
a model promoted in that environment within --rollback-window rolls it
back, with the same signed record as 'modelgate rollback' and the alert as
the reason. Resolved alerts, repeats of an alert group, promotions outside
the window and a second rollback within it write nothing; every call is
answered with what was done, logged and counted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, o) },
	}
	o.AddFlags(cmd)
	return cmd
}

func runServe(cmd *cobra.Command, o serveOptions) error {
	if err := requireFlags(cmd, [2]string{"--listen", o.listen}, [2]string{"--tls-cert", o.certFile}, [2]string{"--tls-key", o.keyFile}); err != nil {
		return err
	}
	switch {
	case len(o.gateKeys) == 0:
		return errors.New("--gate-key PUB is required: the public key(s) whose VSAs admit models")
	case o.cacheTTL <= 0 || o.storeTimeout <= 0:
		return errors.New("--cache-ttl and --store-timeout must be positive durations")
	case o.poll <= 0 || o.maxStaleness <= 0:
		return errors.New("--ledger-poll and --max-staleness must be positive durations")
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	b, trust, v, err := o.lf.bundle(ctx)
	if err != nil {
		return err
	}
	admitters, err := gateKeyIDs(trust, o.gateKeys)
	if err != nil {
		return err
	}
	spec, err := o.lf.lf.resolve(o.lf.sf.spec)
	if err != nil {
		return err
	}
	var seen tlog.Seen
	if o.stateDir != "" {
		seen = &tlog.SeenDir{Dir: o.stateDir}
	} else if seen, err = tlog.DefaultSeenDir(); err != nil {
		return err
	}
	metrics := admission.NewMetrics()
	follower := &vsa.Follower{Spec: spec, Reader: &vsa.Reader{Trust: trust, Admitters: admitters}, Seen: seen, MaxStaleness: o.maxStaleness}
	if err := follower.Update(ctx); err != nil {
		return err
	}
	ledger := vsa.NewLedger(follower, trust, v)
	ledger.Admitters = admitters
	validator := &admission.Validator{Ledger: ledger, View: v, Cache: admission.NewCache(o.cacheSize),
		TTL: o.cacheTTL, StoreTimeout: o.storeTimeout, Metrics: metrics, Now: time.Now}
	var alerts *admission.AlertReceiver
	if o.rollbackKey != "" || o.tokenFile != "" {
		if alerts, err = alertReceiver(ctx, ledger, o.rollbackKey, o.tokenFile, o.rollbackWindow); err != nil {
			return err
		}
		if ledger.Appender, err = o.lf.lf.appender(ctx, spec, trust); err != nil {
			return err
		}
		defer closeLedger(ctx, ledger)
		alerts.Timeout, alerts.Now, alerts.Metrics = 4*o.storeTimeout, time.Now, validator.Metrics
		alerts.Rolled = func() {
			follower.Update(ctx)
			validator.Cache.Purge()
		}
	}
	// One JSON line per review on stderr, for the audit trail.
	audit := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), nil))
	watch := &admission.LedgerWatch{Follower: follower, Validator: validator, Metrics: metrics, Audit: audit, Poll: o.poll, AuditEvery: o.auditEvery}
	watch.Start(ctx)
	srv, err := admission.NewServer(validator, o.certFile, o.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	srv.Audit, srv.LedgerAge, srv.Check = audit, watch.Age, watch.Ready
	if alerts != nil {
		alerts.Audit = audit
		srv.Alerts = alerts
	}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", o.listen, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "modelgate serve: https://%s/validate/{%s}, policy %s revision %s, ledger %s\n", l.Addr(), strings.Join(v.Order, ","), b.URI, b.Revision, spec)
	return srv.Serve(ctx, l)
}

// gateKeyIDs reads the --gate-key public keys, each of which must be a
// signer with the gate role in the bundle: they narrow whose PASSED
// decisions and rollbacks admit, never widen it.
func gateKeyIDs(trust *facts.Trust, gateKeys []string) (map[string]bool, error) {
	ids := map[string]bool{}
	for _, path := range gateKeys {
		pem, err := safeio.ReadInput(path, 64<<10, nil)
		if err != nil {
			return nil, fmt.Errorf("--gate-key %w", err)
		}
		id, err := trust.KeyWithRole(pem, "gate")
		if err != nil {
			return nil, fmt.Errorf("--gate-key %s: %w", path, err)
		}
		ids[id] = true
	}
	return ids, nil
}

// alertReceiver loads the rollback key and the bearer token, and names
// the flag of whatever admission.NewAlertReceiver refuses.
func alertReceiver(ctx context.Context, l *vsa.Ledger, keyRef, tokenFile string, window time.Duration) (*admission.AlertReceiver, error) {
	if keyRef == "" || tokenFile == "" {
		return nil, errors.New("--rollback-key and --alert-token-file go together: alerts roll back only with a key to sign and a token to check callers")
	}
	if window <= 0 {
		return nil, errors.New("--rollback-window must be a positive duration")
	}
	sv, err := keys.LoadSigner(ctx, keyRef)
	if err != nil {
		return nil, fmt.Errorf("--rollback-key: %w", err)
	}
	raw, err := safeio.ReadInput(tokenFile, 4<<10, nil)
	if err != nil {
		return nil, fmt.Errorf("--alert-token-file %w", err)
	}
	a, err := admission.NewAlertReceiver(l, sv, raw, window)
	switch {
	case errors.Is(err, admission.ErrWeakToken):
		return nil, fmt.Errorf("--alert-token-file %s: %w, e.g. from 'openssl rand -hex 32'", tokenFile, err)
	case errors.Is(err, admission.ErrNotAdmitter):
		return nil, fmt.Errorf("--rollback-key: %w: give its public key as a --gate-key too", err)
	case err != nil:
		return nil, fmt.Errorf("--rollback-key: %w", err)
	}
	return a, nil
}
