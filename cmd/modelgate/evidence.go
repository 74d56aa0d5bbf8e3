package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/internal/safeio"
	"github.com/modelgate/modelgate/output"
)

type storeFlags struct {
	spec      string
	plainHTTP bool
}

func (s *storeFlags) register(cmd *cobra.Command) {
	def := os.Getenv("MODELGATE_STORE")
	if def == "" {
		def = evidence.DefaultStore
	}
	cmd.Flags().StringVar(&s.spec, "store", def, "evidence store: dir:PATH or oci://REGISTRY/REPO ($MODELGATE_STORE when set)")
	cmd.Flags().BoolVar(&s.plainHTTP, "plain-http", false, "talk to a non-loopback registry without TLS")
}

// checkTimeout bounds the check that a store is there.
const checkTimeout = 10 * time.Second

// open opens the store; create is for commands that write, and only they
// make a store that does not exist. Commands that only read first check
// that it is there: a typo'd store answers "nothing", as an empty one would.
func (s *storeFlags) open(ctx context.Context, create bool) (evidence.Store, error) {
	store, err := evidence.Open(s.spec, evidence.Options{PlainHTTP: s.plainHTTP, Create: create})
	if err != nil || create {
		return store, err
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	if err := store.Check(ctx); err != nil {
		return nil, err
	}
	return store, nil
}

func newEvidenceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Add, list and fetch signed envelopes in an evidence store",
	}
	cmd.AddCommand(newEvidenceAddCmd(), newEvidenceListCmd(), newEvidenceGetCmd())
	return cmd
}

// evidenceAddOptions are the flags of the command.
type evidenceAddOptions struct {
	sf        storeFlags
	modelPath string
}

func newEvidenceAddCmd() *cobra.Command {
	var o evidenceAddOptions
	cmd := &cobra.Command{
		Use:   "add [--store STORE] [--model DIR] ENVELOPE_FILE ...",
		Short: "Add DSSE envelope files to the store (adding one twice is a no-op)",
		Long: `Add envelopes (DSSE, or Sigstore bundles) to the store, each indexed under
the digests of the subjects it names. With --model DIR, a model signature
(OMS v1.0) whose file list is exactly DIR's files is also indexed under
DIR's digest, so that 'verify --subject DIR' finds it in the store.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runEvidenceAdd(cmd, args, o) },
	}
	o.sf.register(cmd)
	cmd.Flags().StringVar(&o.modelPath, "model", "", "the model's directory (or file): index a model signature of it under its digest too")
	return cmd
}

func runEvidenceAdd(cmd *cobra.Command, args []string, o evidenceAddOptions) error {
	var model *digest.Subject
	if o.modelPath != "" {
		opts, done := progressOptions(o.modelPath)
		opts.Context = cmd.Context()
		m, err := digest.Resolve(o.modelPath, opts)
		done()
		if err != nil {
			return fmt.Errorf("--model: %w", err)
		}
		if m.Files == nil {
			return fmt.Errorf("--model %s: give the model's directory or file", o.modelPath)
		}
		model = &m
	}
	store, err := o.sf.open(cmd.Context(), true)
	if err != nil {
		return err
	}
	for _, path := range args {
		data, err := safeio.ReadInput(path, attest.MaxEnvelopeSize, cmd.InOrStdin())
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		var also []string
		if model != nil {
			if st, err := attest.PeekStatement(data); err == nil && st.PredicateType == attest.ModelSignatureType {
				if err := facts.MatchModelSignature(st, *model, digest.Hex(attest.EnvelopeID(data))); err != nil {
					return fmt.Errorf("%s: not stored: %w", path, err)
				}
				also = []string{model.SHA256}
			}
		}
		id, added, err := store.AddAlso(cmd.Context(), data, also)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		state := "added"
		if !added {
			state = "already stored"
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s  %s  %s\n", id, state, path)
	}
	return nil
}

// evidenceListOptions are the flags of the command.
type evidenceListOptions struct {
	sf                 storeFlags
	subjectArg, format string
}

func newEvidenceListCmd() *cobra.Command {
	var o evidenceListOptions
	cmd := &cobra.Command{
		Use:   "list [--store STORE] [--subject PATH|NAME@sha256:HEX] [--format text|json]",
		Short: "List the envelopes in the store, or those about one model",
		Long: `List stored envelopes (unverified: 'modelgate verify' checks signatures).
Files in the store that cannot be read as envelopes are listed with the problem.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runEvidenceList(cmd, args, o) },
	}
	o.sf.register(cmd)
	cmd.Flags().StringVar(&o.subjectArg, "subject", "", "only envelopes about this model")
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text|json")
	return cmd
}

func runEvidenceList(cmd *cobra.Command, args []string, o evidenceListOptions) error {
	if !slices.Contains(output.EvidenceFormats, o.format) {
		return fmt.Errorf("--format %q: use %s", o.format, strings.Join(output.EvidenceFormats, " or "))
	}
	store, err := o.sf.open(cmd.Context(), false)
	if err != nil {
		return err
	}
	var envs []evidence.Envelope
	var problems []evidence.Problem
	if o.subjectArg != "" {
		subject, err := digest.Resolve(o.subjectArg, digest.Options{})
		if err != nil {
			return err
		}
		envs, problems, err = store.Subject(cmd.Context(), subject.SHA256)
		if err != nil {
			return err
		}
	} else if envs, problems, err = store.All(cmd.Context()); err != nil {
		return err
	}
	return output.WriteEvidence(cmd.OutOrStdout(), envs, problems, o.format)
}

// evidenceGetOptions are the flags of the command.
type evidenceGetOptions struct {
	sf storeFlags
}

func newEvidenceGetCmd() *cobra.Command {
	var o evidenceGetOptions
	cmd := &cobra.Command{
		Use:   "get [--store STORE] sha256:ENVELOPE_DIGEST",
		Short: "Print one stored envelope",
		Args:  cobra.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return runEvidenceGet(cmd, args, o) },
	}
	o.sf.register(cmd)
	return cmd
}

func runEvidenceGet(cmd *cobra.Command, args []string, o evidenceGetOptions) error {
	store, err := o.sf.open(cmd.Context(), false)
	if err != nil {
		return err
	}
	data, err := store.Get(cmd.Context(), args[0])
	if err != nil {
		return err
	}
	_, err = cmd.OutOrStdout().Write(append(data, '\n'))
	return err
}
