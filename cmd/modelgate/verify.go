package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"golang.org/x/term"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/gate"
	"github.com/modelgate/modelgate/internal/safeio"
	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/output"
	"github.com/modelgate/modelgate/vsa"
)

// verifyOptions are the flags of 'modelgate verify'.
type verifyOptions struct {
	sf                                              storeFlags
	pf                                              policyFlags
	lf                                              logFlags
	subject, env, tier, champion                    string
	format, vsaKey, vsaOut, inputOut, effectiveTime string
	decisionOut                                     string
	evidence                                        []string
	timeout                                         time.Duration
}

func (o *verifyOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.subject, "subject", "", "the model: a file or directory, or NAME@sha256:HEX")
	f.StringVar(&o.env, "env", "", "target environment, e.g. staging or production")
	o.pf.register(cmd)
	o.sf.register(cmd)
	o.lf.register(cmd, true)
	f.StringArrayVar(&o.evidence, "evidence", nil, "envelope file to judge besides the store's (repeatable)")
	f.StringVar(&o.tier, "tier", "", "raise the model's tier: "+strings.Join(bundles.Tiers, "|")+" (never lowers it)")
	f.StringVar(&o.champion, "champion", "", "champion NAME@sha256:HEX, used only where the store knows none")
	f.StringVar(&o.format, "format", "text", "report format: "+strings.Join(output.Formats, "|"))
	f.StringVar(&o.vsaKey, "vsa-key", "", "sign the decision as a SLSA VSA with this key (PEM or KMS URI)")
	f.StringVar(&o.vsaOut, "vsa-out", "", "write the signed VSA envelope here")
	f.StringVar(&o.decisionOut, "out", "", "also write the decision as JSON here (for 'modelgate report' and later steps), whatever --format prints")
	f.StringVar(&o.inputOut, "input-out", "", "write the exact Rego input judged: 'opa eval -b BUNDLE -i FILE data.modelgate.decision' replays it, 'conftest test FILE -p BUNDLE -d BUNDLE' reports the failed gates")
	f.StringVar(&o.effectiveTime, "effective-time", "", "replay the decision as of this RFC 3339 time; writes nothing")
	f.DurationVar(&o.timeout, "timeout", 60*time.Second, "deadline for the whole decision")
}

func newVerifyCmd() *cobra.Command {
	var o verifyOptions
	cmd := &cobra.Command{
		Use:   "verify --subject PATH|NAME@sha256:HEX --env ENV [flags]",
		Short: "Decide whether a model may be promoted to an environment",
		Long: `Verify every envelope about the model, judge the verified facts with the
policy bundle, print the decision, and exit:

  0  allowed
  1  denied
  2  could not decide (bad input, unreadable bundle, store unreachable, policy error)

The tier is the highest of the bundle's inventory, a valid signed risk
attestation, and --tier: a flag can raise the tier, never lower it.
With --vsa-key the decision is signed as a SLSA VSA v1 and appended to the
ledger's transparency log (--ledger), and the verified --evidence files it
rests on are stored in the evidence store; the key must belong to a signer
with the gate role in the bundle. verify exits only once the log has
integrated the record under a signed checkpoint: a failed append is exit 2
and admits nothing.

The model's name is the one its signed evidence names: a --subject whose
name differs cannot be decided. --effective-time replays a decision as of a
past time and writes nothing (no VSA, nothing to the store).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runVerify(cmd, o) },
	}
	o.AddFlags(cmd)
	return cmd
}

// check refuses flags that cannot be decided on, before anything is read.
func (o *verifyOptions) check() error {
	switch {
	case o.timeout <= 0:
		return fmt.Errorf("--timeout %s: give a positive duration, e.g. 60s", o.timeout)
	case o.subject == "" || o.env == "":
		return fmt.Errorf("--subject and --env are required (see 'modelgate verify --help')")
	case !bundles.ValidEnvironmentName(o.env):
		return fmt.Errorf("--env %q: use lower-case letters, digits and '-', e.g. staging or production", o.env)
	case o.tier != "" && bundles.TierRank(o.tier) == 0:
		return fmt.Errorf("--tier %q: use %s", o.tier, strings.Join(bundles.Tiers, ", "))
	case !slices.Contains(output.Formats, o.format):
		return fmt.Errorf("--format %q: use one of %s", o.format, strings.Join(output.Formats, ", "))
	case o.vsaOut != "" && o.vsaKey == "":
		return fmt.Errorf("--vsa-out needs --vsa-key: a VSA is signed by the gate's key")
	case o.effectiveTime != "" && o.vsaKey != "":
		return fmt.Errorf("--effective-time replays a past decision and writes nothing: drop --vsa-key, or drop --effective-time to decide now")
	}
	return nil
}

func runVerify(cmd *cobra.Command, o verifyOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
	defer cancel()
	// Compiling the predicate schemas takes as long as loading the
	// policy: do both at once.
	go attest.PrepareSchemas()
	now := time.Now().UTC()
	if o.effectiveTime != "" {
		t, err := attest.ParseTime(o.effectiveTime)
		if err != nil {
			return fmt.Errorf("--effective-time: %w", err)
		}
		now = t
	}
	// The model's digest is part of the decision: it runs inside the
	// deadline, with progress on a terminal.
	dopts, done := progressOptions(o.subject)
	dopts.Context = ctx
	subject, err := digest.Resolve(o.subject, dopts)
	done()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w (the decision's deadline of %s passed while hashing the model; raise --timeout)", err, o.timeout)
		}
		return err
	}
	var champion *digest.Subject
	if o.champion != "" {
		c, err := digest.ParseRef(o.champion)
		if err != nil {
			return fmt.Errorf("--champion: %w", err)
		}
		champion = &c
	}
	extra, err := readEvidence(o.evidence, cmd.InOrStdin())
	if err != nil {
		return err
	}
	store, err := o.sf.open(ctx, false)
	if err != nil {
		return err
	}
	var vsaSigner signature.SignerVerifier
	if o.vsaKey != "" {
		// Load the key before deciding, so a bad key costs nothing.
		if vsaSigner, err = keys.LoadSigner(ctx, o.vsaKey); err != nil {
			return fmt.Errorf("--vsa-key: %w", err)
		}
	}
	o.pf.plainHTTP = o.sf.plainHTTP
	popts, err := o.pf.options()
	if err != nil {
		return err
	}
	bundle, err := bundles.Open(ctx, o.pf.spec, popts)
	if err != nil {
		return err
	}
	g, err := gate.New(ctx, bundle)
	if err != nil {
		return err
	}
	if vsaSigner != nil {
		if err := g.CheckGateKey(vsaSigner); err != nil {
			return fmt.Errorf("--vsa-key: %w", err)
		}
	}
	src, err := o.lf.source(o.sf.spec, g.Trust)
	if err != nil {
		return err
	}
	var ledger *vsa.Ledger
	if vsaSigner != nil {
		// Open the appender before deciding, so a missing ledger key
		// costs nothing; read the log meanwhile.
		go src.Book(ctx)
		ledger = g.Ledger(src)
		if ledger.Appender, err = o.lf.appender(ctx, src.Spec, g.Trust); err != nil {
			return err
		}
		defer closeLedger(ctx, ledger)
	}
	var writeInput func([]byte) error
	if o.inputOut != "" {
		writeInput = func(input []byte) error {
			if err := safeio.WriteFile(ctx, o.inputOut, append(input, '\n'), 0o644); err != nil {
				return fmt.Errorf("--input-out: %w", err)
			}
			return nil
		}
	}
	out, err := g.Decide(ctx, gate.Request{
		Subject: subject, Environment: o.env, RequestedTier: o.tier,
		Store: store, Ledger: src, Extra: extra, Champion: champion, Now: now,
		WriteInput: writeInput,
	})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w (the decision's deadline of %s passed; raise --timeout)", err, o.timeout)
		}
		return err
	}
	d := out.Decision
	if vsaSigner != nil {
		signed, a, err := gate.Record(ctx, store, ledger, out, extra, vsaSigner, now)
		if err != nil {
			return err
		}
		if o.vsaOut != "" {
			if err := safeio.WriteFile(ctx, o.vsaOut, append(signed, '\n'), 0o644); err != nil {
				return fmt.Errorf("--vsa-out: %w", err)
			}
		}
		name := ""
		if book, _ := ledger.Book(ctx); book != nil {
			name = book.Log
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "VSA %s (%s) appended to the ledger %s at index %d\n", a.Record.ID, d.Result(), name, a.Index)
	}
	opts := output.Options{Colour: o.format == "text" && isTerminal(os.Stdout) && os.Getenv("NO_COLOR") == "", Version: version()}
	if path := os.Getenv("GITHUB_STEP_SUMMARY"); o.format == "github" && path != "" {
		// GitHub Actions shows this file as the step's summary.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
		}
		defer f.Close()
		opts.Summary = f
	}
	if err := output.Write(cmd.OutOrStdout(), d, o.format, opts); err != nil {
		return err
	}
	if o.decisionOut != "" {
		var buf bytes.Buffer
		if err := output.Write(&buf, d, "json", output.Options{Version: version()}); err != nil {
			return err
		}
		if err := safeio.WriteFile(ctx, o.decisionOut, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	if !d.Allow {
		return errDenied
	}
	return nil
}

// readEvidence reads the --evidence files several at a time, standard input
// ("-") in its turn; the envelopes keep the order given, and so does the
// error reported: the first file's that fails.
func readEvidence(paths []string, stdin io.Reader) ([]evidence.Envelope, error) {
	envs := make([]evidence.Envelope, len(paths))
	errs := make([]error, len(paths))
	var g errgroup.Group
	g.SetLimit(4)
	for i, path := range paths {
		read := func() error {
			data, err := safeio.ReadInput(path, attest.MaxEnvelopeSize, stdin)
			if err != nil {
				errs[i] = fmt.Errorf("--evidence %s: %w", path, err)
			} else {
				envs[i] = evidence.Envelope{ID: attest.EnvelopeID(data), Source: path, Data: data}
			}
			return nil
		}
		if path == "-" {
			read()
			continue
		}
		g.Go(read)
	}
	g.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return envs, nil
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
