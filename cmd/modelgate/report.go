package main

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/internal/safeio"
	"github.com/modelgate/modelgate/output"
)

// maxDecisionSize bounds a decision document read by report.
const maxDecisionSize = 16 << 20

func newReportCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "report DECISION.json --out FILE.html",
		Short: "Write a decision as one self-contained HTML page for people and auditors",
		Long: `Read a decision ('modelgate verify --format json') and write one HTML page
that works offline: the verdict first; the subject, environment, tier and
its source; every gate with its evidence (type, signer, time, envelope);
rejected envelopes; waivers with reason, ticket and expiry; the policy
revision and digest; and charts of each metric against its bounds and the
champion, each slice against its floor, each fairness value against its band.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("--out FILE.html is required")
			}
			data, err := safeio.ReadInput(args[0], maxDecisionSize, cmd.InOrStdin())
			if err != nil {
				return err
			}
			d, err := decision.Parse(data)
			if err != nil {
				return fmt.Errorf("%s: %w (write it with 'modelgate verify --format json')", args[0], err)
			}
			var buf bytes.Buffer
			if err := output.HTML(&buf, d); err != nil {
				return err
			}
			if err := safeio.WriteFile(cmd.Context(), out, buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s %s → %s)\n", out, d.Result(), d.Ref(), d.Environment)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the HTML file to write")
	return cmd
}
