package main

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/gate"
	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/policy"
)

var envPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func newVerifyCmd() *cobra.Command {
	var (
		sf                                              storeFlags
		subjectArg, env, policySpec, tier, championArg  string
		format, vsaKey, vsaOut, inputOut, effectiveTime string
		evidenceFiles                                   []string
	)
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
With --vsa-key the decision is signed as a SLSA VSA v1 and stored next to the
evidence, together with the verified --evidence files it rests on.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if subjectArg == "" || env == "" {
				return fmt.Errorf("--subject and --env are required (see 'modelgate verify --help')")
			}
			if !envPattern.MatchString(env) {
				return fmt.Errorf("--env %q: use lower-case letters, digits and '-', e.g. staging or production", env)
			}
			if tier != "" && tier != "low" && tier != "medium" && tier != "high" {
				return fmt.Errorf("--tier %q: use low, medium or high", tier)
			}
			if !slices.Contains(decision.Formats, format) {
				return fmt.Errorf("--format %q: use one of %s", format, strings.Join(decision.Formats, ", "))
			}
			// Compiling the predicate schemas takes as long as loading the
			// policy: do both at once.
			go attest.PrepareSchemas()
			now := time.Now().UTC()
			if effectiveTime != "" {
				t, err := time.Parse(time.RFC3339, effectiveTime)
				if err != nil {
					return fmt.Errorf("--effective-time %q: use RFC 3339, e.g. 2026-01-31T00:00:00Z", effectiveTime)
				}
				now = t.UTC()
			}
			subject, err := digest.Resolve(subjectArg, digest.Options{})
			if err != nil {
				return err
			}
			var champion *digest.Subject
			if championArg != "" {
				c, err := digest.ParseRef(championArg)
				if err != nil {
					return fmt.Errorf("--champion: %w", err)
				}
				champion = &c
			}
			extra := make([]evidence.Envelope, 0, len(evidenceFiles))
			for _, path := range evidenceFiles {
				data, err := readBounded(path, attest.MaxEnvelopeSize, nil)
				if err != nil {
					return fmt.Errorf("--evidence %s: %w", path, err)
				}
				extra = append(extra, evidence.Envelope{ID: attest.EnvelopeID(data), Source: path, Data: data})
			}
			store, err := sf.open()
			if err != nil {
				return err
			}
			var vsaSigner signature.SignerVerifier
			if vsaKey != "" {
				// Load the key before deciding, so a bad key costs nothing.
				sv, err := keys.LoadSigner(ctx, vsaKey)
				if err != nil {
					return fmt.Errorf("--vsa-key: %w", err)
				}
				vsaSigner = sv
			}
			bundle, err := policy.Load(policySpec)
			if err != nil {
				return err
			}
			g, err := gate.New(ctx, bundle)
			if err != nil {
				return err
			}
			out, err := g.Decide(ctx, gate.Request{
				Subject: subject, Environment: env, RequestedTier: tier,
				Store: store, Extra: extra, Champion: champion, Now: now,
			})
			if err != nil {
				return err
			}
			if inputOut != "" {
				input, err := out.InputJSON()
				if err != nil {
					return fmt.Errorf("--input-out: %w", err)
				}
				if err := writeAtomic(inputOut, append(input, '\n'), 0o644); err != nil {
					return fmt.Errorf("--input-out: %w", err)
				}
			}
			d := out.Decision
			if vsaSigner != nil {
				if err := storeVSA(cmd, store, out, extra, vsaSigner, vsaOut, now); err != nil {
					return err
				}
			}
			colour := format == "text" && isTerminal(os.Stdout) && os.Getenv("NO_COLOR") == ""
			if err := decision.Write(cmd.OutOrStdout(), d, format, colour); err != nil {
				return err
			}
			if !d.Allow {
				return errDenied
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&subjectArg, "subject", "", "the model: a file or directory, or NAME@sha256:HEX")
	f.StringVar(&env, "env", "", "target environment, e.g. staging or production")
	f.StringVar(&policySpec, "policy", "", "policy bundle: directory or .tar.gz (default: the bundle built in)")
	sf.register(cmd)
	f.StringArrayVar(&evidenceFiles, "evidence", nil, "envelope file to judge besides the store's (repeatable)")
	f.StringVar(&tier, "tier", "", "raise the model's tier: low|medium|high (never lowers it)")
	f.StringVar(&championArg, "champion", "", "champion NAME@sha256:HEX, used only where the store knows none")
	f.StringVar(&format, "format", "text", "report format: "+strings.Join(decision.Formats, "|"))
	f.StringVar(&vsaKey, "vsa-key", "", "sign the decision as a SLSA VSA with this key (PEM or KMS URI)")
	f.StringVar(&vsaOut, "vsa-out", "", "write the signed VSA envelope here")
	f.StringVar(&inputOut, "input-out", "", "write the exact Rego input judged, to replay with opa eval or conftest")
	f.StringVar(&effectiveTime, "effective-time", "", "decide as of this RFC 3339 time (replay)")
	return cmd
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
