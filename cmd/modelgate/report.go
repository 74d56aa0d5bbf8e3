package main

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/gate"
	"github.com/modelgate/modelgate/internal/safeio"
	"github.com/modelgate/modelgate/output"
	"github.com/modelgate/modelgate/vsa"
)

// maxDecisionSize bounds a decision document read by report.
const maxDecisionSize = 16 << 20

// reportOptions are the flags of 'modelgate report'.
type reportOptions struct {
	out, subject, env string
	ledger            ledgerFlags
}

func newReportCmd() *cobra.Command {
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report DECISION.json|--subject NAME@sha256:HEX --env ENV --out FILE.html",
		Short: "Write a decision as one self-contained HTML page for people and auditors",
		Long: `Read a decision ('modelgate verify --format json') and write one HTML page
that works offline: the verdict first; the subject, environment, tier and
its source; every gate with its evidence (type, signer, time, envelope);
rejected envelopes; waivers with reason, ticket and expiry; the policy
revision and digest; and charts of each metric against its bounds and the
champion, each slice against its floor, each fairness value against its band.

With --subject and --env, the page is built from the ledger instead: the
newest recorded decision of that model in that environment, judged again on
its stored inputs as of its own time under --policy, which must reproduce
the recorded verdict gate by gate (else exit 2: give the bundle that decided).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runReport(cmd, args, o) },
	}
	o.ledger.register(cmd, false)
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "the HTML file to write")
	f.StringVar(&o.subject, "subject", "", "the model, NAME@sha256:HEX, to report from the ledger")
	f.StringVar(&o.env, "env", "", "the environment of the ledger's decision")
	return cmd
}

func runReport(cmd *cobra.Command, args []string, o reportOptions) error {
	if o.out == "" {
		return errors.New("--out FILE.html is required")
	}
	var d *decision.Decision
	switch {
	case len(args) == 1 && o.subject == "":
		data, err := safeio.ReadInput(args[0], maxDecisionSize, cmd.InOrStdin())
		if err != nil {
			return err
		}
		if d, err = decision.Parse(data); err != nil {
			return fmt.Errorf("%s: %w (write it with 'modelgate verify --format json')", args[0], err)
		}
	case len(args) == 0 && o.subject != "":
		if o.env == "" {
			return errors.New("--env is required with --subject")
		}
		s, err := digest.ParseRef(o.subject)
		if err != nil {
			return fmt.Errorf("--subject: %w", err)
		}
		if d, err = decisionFromLedger(cmd, o, s); err != nil {
			return err
		}
	default:
		return errors.New("give a DECISION.json, or --subject NAME@sha256:HEX --env ENV (not both)")
	}
	var buf bytes.Buffer
	if err := output.HTML(&buf, d); err != nil {
		return err
	}
	if err := safeio.WriteFile(cmd.Context(), o.out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s %s → %s)\n", o.out, d.Result(), d.Ref(), d.Environment)
	return nil
}

// decisionFromLedger judges the newest recorded decision of a model in an
// environment again on its stored inputs, and checks that it reproduces.
func decisionFromLedger(cmd *cobra.Command, o reportOptions, s digest.Subject) (*decision.Decision, error) {
	ctx := cmd.Context()
	b, l, err := o.ledger.openLedger(ctx)
	if err != nil {
		return nil, err
	}
	if err := b.CheckEnvironment(o.env); err != nil {
		return nil, err
	}
	records, _, err := l.Records(ctx, s.Name, o.env, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	var rec *vsa.Record
	for _, r := range records {
		if r.Kind == vsa.KindDecision && r.Digest == s.SHA256 {
			rec = r
		}
	}
	if rec == nil {
		book, _ := l.Book(ctx)
		return nil, fmt.Errorf("the ledger %s holds no decision of %s in %s", book.Log, s, o.env)
	}
	store, err := o.ledger.sf.open(ctx, false)
	if err != nil {
		return nil, err
	}
	return judgedAgain(cmd, b, store, l.Source, rec)
}

func judgedAgain(cmd *cobra.Command, b *bundles.Bundle, store evidence.Store, ledger vsa.Source, rec *vsa.Record) (*decision.Decision, error) {
	g, err := gate.New(cmd.Context(), b)
	if err != nil {
		return nil, err
	}
	d, err := gate.Reproduce(cmd.Context(), g, store, ledger, rec)
	var differs *gate.NotReproducedError
	if errors.As(err, &differs) {
		return nil, fmt.Errorf("%w: give --policy the bundle that decided", err)
	}
	return d, err
}
