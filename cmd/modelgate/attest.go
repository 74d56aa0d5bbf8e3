package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/importers"
	"github.com/modelgate/modelgate/internal/safeio"
	"github.com/modelgate/modelgate/keys"
)

// attestOptions are the flags of 'modelgate attest'.
type attestOptions struct {
	typ, subject, name, predicate, key, out, store string
	plainHTTP                                      bool
	// --from: a tool's output builds the predicate
	from, fromFile, dataset, datasetName, role, lossMetric, environment, validatedAt string
	datasetDigests                                                                   []string
	trafficPercent                                                                   float64
}

func (o *attestOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.typ, "type", "", "predicate type: short name or full URI")
	f.StringVar(&o.subject, "subject", "", "the model: a file or directory, or NAME@sha256:HEX")
	f.StringVar(&o.name, "name", "", "the model's name, signed with the evidence (default: the path's base name)")
	f.StringVar(&o.predicate, "predicate", "", "predicate JSON file, or - for standard input")
	f.StringVar(&o.key, "key", "", "signing key: PEM file or KMS URI")
	f.StringVar(&o.out, "out", "", "write the envelope here (default: standard output unless --store)")
	f.StringVar(&o.store, "store", "", "also add the envelope to STORE (dir:PATH or oci://REGISTRY/REPO)")
	f.BoolVar(&o.plainHTTP, "plain-http", false, "talk to a non-loopback registry without TLS")
	f.StringVar(&o.from, "from", "", "build the predicate from a tool's output: "+strings.Join(importers.Tools, "|")+" (the output file is the argument)")
	f.StringVar(&o.dataset, "dataset", "", "with --from: the data file the tool checked, digested here")
	f.StringVar(&o.datasetName, "dataset-name", "", "with --from great-expectations: the dataset's name, when the result lacks it")
	f.StringArrayVar(&o.datasetDigests, "dataset-digest", nil, "with --from: sha256:HEX of the data (great-expectations), or NAME=sha256:HEX per dataset (mlflow)")
	f.StringVar(&o.role, "role", "", "with --from great-expectations: training|evaluation|holdout|serving")
	f.StringVar(&o.lossMetric, "loss-metric", "loss", "with --from mlflow: the metric that is the final training loss")
	f.StringVar(&o.validatedAt, "validated-at", "", "with --from great-expectations: when the validation ran (RFC 3339), for a result that carries no time of its own")
	f.StringVar(&o.environment, "environment", "", "with --from argo-rollouts: the environment the canary ran in")
	f.Float64Var(&o.trafficPercent, "traffic-percent", -1, "with --from argo-rollouts: the canary's share of traffic, the rollout step's setWeight")
}

func newAttestCmd() *cobra.Command {
	var o attestOptions
	cmd := &cobra.Command{
		Use:   "attest --type TYPE --subject PATH|NAME@sha256:HEX (--predicate FILE|- | --from TOOL RESULT.json) --key KEY",
		Short: "Sign a pipeline stage's predicate about a model as an in-toto attestation",
		Long: `Sign a predicate about one exact model as an in-toto Statement v1 in a DSSE envelope.

TYPE is one of ` + strings.Join(attest.ShortNames, ", ") + `,
or a full predicate type URI for custom evidence.
A modelgate predicate must match its JSON Schema; every fault is listed with
its JSON path and nothing is written. KEY is a PEM private key (password from
MODELGATE_KEY_PASSWORD) or a KMS URI (awskms://, gcpkms://, azurekms://,
hashivault://). The envelope goes to --out (default: standard output) and,
with --store, into the evidence store.

The model's name is signed with the evidence and picks its tier, thresholds
and champion: for a path it is the base name unless --name gives it.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.from == "" {
				return cobra.NoArgs(cmd, args)
			}
			if len(args) != 1 {
				return fmt.Errorf("--from %s needs the tool's output file as its argument, e.g. --from %s result.json", o.from, o.from)
			}
			o.fromFile = args[0]
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return runAttest(cmd, o) },
	}
	o.AddFlags(cmd)
	return cmd
}

func runAttest(cmd *cobra.Command, o attestOptions) error {
	ctx := cmd.Context()
	predicateFlag := [2]string{"--predicate", o.predicate}
	if o.from != "" {
		predicateFlag[1] = "(from " + o.from + ")"
	}
	if err := requireFlags(cmd, [2]string{"--type", o.typ}, [2]string{"--subject", o.subject}, predicateFlag, [2]string{"--key", o.key}); err != nil {
		return err
	}
	predicateType, err := attest.ResolveType(o.typ)
	if err != nil {
		return fmt.Errorf("--type: %w", err)
	}
	var predicate []byte
	switch {
	case o.from != "" && o.predicate != "":
		return fmt.Errorf("--from builds the predicate: drop --predicate")
	case o.from != "":
		if predicate, err = o.imported(cmd, predicateType); err != nil {
			return err
		}
	default:
		if predicate, err = safeio.ReadInput(o.predicate, attest.MaxPredicateSize, cmd.InOrStdin()); err != nil {
			return fmt.Errorf("predicate: %w", err)
		}
	}
	warnings, err := facts.CheckPredicate(predicateType, predicate, time.Now())
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
	subject, err := digest.Resolve(o.subject, digest.Options{})
	if err != nil {
		return err
	}
	if o.name != "" {
		if !digest.ValidName(o.name) {
			return fmt.Errorf("--name %q: use the model's name without spaces or '@', e.g. fraud-scorer", o.name)
		}
		if ref, refErr := digest.ParseRef(o.subject); refErr == nil && ref.Name != o.name {
			return fmt.Errorf("--name %q differs from the name in --subject %s; give the name once", o.name, o.subject)
		}
		subject.Name = o.name
	}
	var store evidence.Store
	if o.store != "" {
		if store, err = evidence.Open(o.store, evidence.Options{PlainHTTP: o.plainHTTP, Create: true}); err != nil {
			return err
		}
	}
	signer, err := keys.LoadSigner(ctx, o.key)
	if err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	statement, err := attest.NewStatement(subject, predicateType, predicate)
	if err != nil {
		return err
	}
	env, err := attest.Sign(ctx, signer, statement)
	if err != nil {
		return err
	}
	if store != nil {
		id, _, err := store.Add(ctx, env)
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "stored %s in %s\n", id, store)
	}
	if o.out == "" || o.out == "-" {
		if store != nil && o.out == "" {
			return nil
		}
		_, err = cmd.OutOrStdout().Write(append(env, '\n'))
		return err
	}
	return safeio.WriteFile(ctx, o.out, append(env, '\n'), 0o644)
}

// imported builds the predicate from the --from tool's output file.
func (o attestOptions) imported(cmd *cobra.Command, predicateType string) ([]byte, error) {
	opts := importers.Options{DatasetName: o.datasetName, Role: o.role, LossMetric: o.lossMetric, Digests: map[string]string{}, Environment: o.environment, ValidatedAt: o.validatedAt,
		Warn: func(msg string) { fmt.Fprintln(cmd.ErrOrStderr(), "warning:", msg) }}
	if o.trafficPercent >= 0 {
		opts.TrafficPercent = &o.trafficPercent
	}
	if o.dataset != "" {
		s, err := digest.Resolve(o.dataset, digest.Options{})
		if err != nil {
			return nil, fmt.Errorf("--dataset: %w", err)
		}
		opts.DatasetDigest = s.Digest()
	}
	for _, d := range o.datasetDigests {
		if n, v, ok := strings.Cut(d, "="); ok {
			opts.Digests[n] = v
		} else {
			opts.DatasetDigest = d
		}
	}
	raw, err := safeio.ReadInput(o.fromFile, attest.MaxPredicateSize*4, cmd.InOrStdin())
	if err != nil {
		return nil, fmt.Errorf("--from %s: %w", o.from, err)
	}
	pred, err := importers.Import(o.from, raw, predicateType, opts)
	var unknown *importers.UnknownToolError
	var wrong *importers.WrongKindError
	switch {
	case errors.As(err, &unknown):
		return nil, fmt.Errorf("--from %q: use one of %s", o.from, strings.Join(importers.Tools, ", "))
	case errors.As(err, &wrong):
		return nil, fmt.Errorf("--from %s builds --type %s, not %s", wrong.Tool, strings.Join(wrong.Builds, " or --type "), wrong.Asked)
	case err != nil:
		return nil, importerFlags(err)
	}
	return pred, nil
}

// importerFlags names the flag that supplies what a tool's output lacks.
func importerFlags(err error) error {
	var miss *importers.MissingError
	if !errors.As(err, &miss) {
		return err
	}
	flag := map[string]string{
		importers.OptDatasetName:    "--dataset-name NAME",
		importers.OptDatasetDigest:  "--dataset-digest sha256:HEX (or --dataset FILE)",
		importers.OptRole:           "--role training|evaluation|holdout|serving",
		importers.OptLossMetric:     "--loss-metric NAME",
		importers.OptValidatedAt:    "--validated-at TIME (RFC 3339)",
		importers.OptEnvironment:    "--environment ENV",
		importers.OptTrafficPercent: "--traffic-percent PCT (the rollout step's setWeight)",
	}[miss.Option]
	if miss.Dataset != "" {
		flag = "--dataset-digest " + miss.Dataset + "=sha256:HEX"
	}
	return fmt.Errorf("%s: give %s", miss.What, flag)
}
