package main

import (
	"encoding/json"
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

func newAttestCmd() *cobra.Command {
	var typ, subjectArg, name, predicatePath, keyRef, out, storeSpec string
	var from, fromFile, datasetPath, datasetName, role, lossMetric, environment, validatedAt string
	var trafficPercent float64
	var datasetDigests []string
	var plainHTTP bool
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			predicateFlag := [2]string{"--predicate", predicatePath}
			if from != "" {
				predicateFlag[1] = "(from " + from + ")"
			}
			if err := requireFlags(cmd, [2]string{"--type", typ}, [2]string{"--subject", subjectArg}, predicateFlag, [2]string{"--key", keyRef}); err != nil {
				return err
			}
			predicateType, err := attest.ResolveType(typ)
			if err != nil {
				err = fmt.Errorf("--type: %w", err)
			}
			if err != nil {
				return err
			}
			var predicate []byte
			if from != "" {
				if predicatePath != "" {
					return fmt.Errorf("--from builds the predicate: drop --predicate")
				}
				opts := importers.Options{DatasetName: datasetName, Role: role, LossMetric: lossMetric, Digests: map[string]string{}, Environment: environment, ValidatedAt: validatedAt,
					Warn: func(msg string) { fmt.Fprintln(cmd.ErrOrStderr(), "warning:", msg) }}
				if trafficPercent >= 0 {
					opts.TrafficPercent = &trafficPercent
				}
				if datasetPath != "" {
					s, err := digest.Resolve(datasetPath, digest.Options{})
					if err != nil {
						return fmt.Errorf("--dataset: %w", err)
					}
					opts.DatasetDigest = digest.Prefixed(s.SHA256)
				}
				for _, d := range datasetDigests {
					if n, v, ok := strings.Cut(d, "="); ok {
						opts.Digests[n] = v
					} else {
						opts.DatasetDigest = d
					}
				}
				if predicate, err = importTool(from, fromFile, predicateType, opts, cmd); err != nil {
					return importerFlags(err)
				}
			} else if predicate, err = safeio.ReadInput(predicatePath, attest.MaxPredicateSize, cmd.InOrStdin()); err != nil {
				return fmt.Errorf("predicate: %w", err)
			}
			if err := attest.CheckPredicateJSON(predicate); err != nil {
				return err
			}
			if err := attest.ValidatePredicate(predicateType, predicate); err != nil {
				return err
			}
			// verify rejects evidence dated more than facts.MaxFuture ahead: say so now.
			var decoded any
			if json.Unmarshal(predicate, &decoded) == nil {
				if at, ok := attest.EventTimeOf(predicateType, decoded); ok && at.After(time.Now().Add(facts.MaxFuture)) {
					return fmt.Errorf("predicate: its time %s is more than %s in the future; verify would reject it as dated in the future: give the time the event happened", attest.NormalTime(at), facts.MaxFuture)
				}
				// An expiry already past: signed, the evidence would count
				// for nothing; say so now, not at verify.
				if m, ok := decoded.(map[string]any); ok {
					for _, field := range []string{"expires_at", "valid_until"} {
						if v, ok := m[field].(string); ok {
							if t, err := attest.ParseTime(v); err == nil && !t.After(time.Now()) {
								fmt.Fprintf(cmd.ErrOrStderr(), "warning: the predicate's %s %s has passed: verify will not count this evidence; give a later %s\n", field, attest.NormalTime(t), field)
							}
						}
					}
				}
			}
			subject, err := digest.Resolve(subjectArg, digest.Options{})
			if err != nil {
				return err
			}
			if name != "" {
				if !digest.ValidName(name) {
					return fmt.Errorf("--name %q: use the model's name without spaces or '@', e.g. fraud-scorer", name)
				}
				if ref, refErr := digest.ParseRef(subjectArg); refErr == nil && ref.Name != name {
					return fmt.Errorf("--name %q differs from the name in --subject %s; give the name once", name, subjectArg)
				}
				subject.Name = name
			}
			var store evidence.Store
			if storeSpec != "" {
				if store, err = evidence.Open(storeSpec, evidence.Options{PlainHTTP: plainHTTP, Create: true}); err != nil {
					return err
				}
			}
			signer, err := keys.LoadSigner(cmd.Context(), keyRef)
			if err != nil {
				return fmt.Errorf("--key: %w", err)
			}
			statement, err := attest.NewStatement(subject, predicateType, predicate)
			if err != nil {
				return err
			}
			env, err := attest.Sign(cmd.Context(), signer, statement)
			if err != nil {
				return err
			}
			if store != nil {
				id, _, err := store.Add(cmd.Context(), env)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "stored %s in %s\n", id, store)
			}
			if out == "" || out == "-" {
				if store != nil && out == "" {
					return nil
				}
				_, err = cmd.OutOrStdout().Write(append(env, '\n'))
				return err
			}
			return safeio.WriteFile(cmd.Context(), out, append(env, '\n'), 0o644)
		},
	}
	f := cmd.Flags()
	f.StringVar(&typ, "type", "", "predicate type: short name or full URI")
	f.StringVar(&subjectArg, "subject", "", "the model: a file or directory, or NAME@sha256:HEX")
	f.StringVar(&name, "name", "", "the model's name, signed with the evidence (default: the path's base name)")
	f.StringVar(&predicatePath, "predicate", "", "predicate JSON file, or - for standard input")
	f.StringVar(&keyRef, "key", "", "signing key: PEM file or KMS URI")
	f.StringVar(&out, "out", "", "write the envelope here (default: standard output unless --store)")
	f.StringVar(&storeSpec, "store", "", "also add the envelope to STORE (dir:PATH or oci://REGISTRY/REPO)")
	f.BoolVar(&plainHTTP, "plain-http", false, "talk to a non-loopback registry without TLS")
	f.StringVar(&from, "from", "", "build the predicate from a tool's output: "+strings.Join(importers.Tools, "|")+" (the output file is the argument)")
	f.StringVar(&datasetPath, "dataset", "", "with --from: the data file the tool checked, digested here")
	f.StringVar(&datasetName, "dataset-name", "", "with --from great-expectations: the dataset's name, when the result lacks it")
	f.StringArrayVar(&datasetDigests, "dataset-digest", nil, "with --from: sha256:HEX of the data (great-expectations), or NAME=sha256:HEX per dataset (mlflow)")
	f.StringVar(&role, "role", "", "with --from great-expectations: training|evaluation|holdout|serving")
	f.StringVar(&lossMetric, "loss-metric", "loss", "with --from mlflow: the metric that is the final training loss")
	f.StringVar(&validatedAt, "validated-at", "", "with --from great-expectations: when the validation ran (RFC 3339), for a result that carries no time of its own")
	f.StringVar(&environment, "environment", "", "with --from argo-rollouts: the environment the canary ran in")
	f.Float64Var(&trafficPercent, "traffic-percent", -1, "with --from argo-rollouts: the canary's share of traffic, the rollout step's setWeight")
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		if from == "" {
			return cobra.NoArgs(cmd, args)
		}
		if len(args) != 1 {
			return fmt.Errorf("--from %s needs the tool's output file as its argument, e.g. --from %s result.json", from, from)
		}
		fromFile = args[0]
		return nil
	}
	return cmd
}

// importTool builds a predicate from a tool's output file.
func importTool(tool, path, predicateType string, opts importers.Options, cmd *cobra.Command) ([]byte, error) {
	raw, err := safeio.ReadInput(path, attest.MaxPredicateSize*4, cmd.InOrStdin())
	if err != nil {
		return nil, fmt.Errorf("--from %s: %w", tool, err)
	}
	var pred map[string]any
	switch tool {
	case "great-expectations":
		if attest.ShortName(predicateType) != "data-validation" {
			return nil, fmt.Errorf("--from great-expectations builds --type data-validation, not %s", typeName(predicateType))
		}
		pred, err = importers.GreatExpectations(raw, opts)
	case "mlflow":
		pred, err = importers.MLflow(raw, predicateType, opts)
	case "argo-rollouts":
		if attest.ShortName(predicateType) != "canary" {
			return nil, fmt.Errorf("--from argo-rollouts builds --type canary, not %s", typeName(predicateType))
		}
		pred, err = importers.ArgoRollouts(raw, opts)
	default:
		return nil, fmt.Errorf("--from %q: use one of %s", tool, strings.Join(importers.Tools, ", "))
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(pred)
}

func typeName(uri string) string {
	if s := attest.ShortName(uri); s != "" {
		return s
	}
	return uri
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
