package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/keys"
)

func newAttestCmd() *cobra.Command {
	var typ, subjectArg, predicatePath, keyRef, out, storeSpec string
	var plainHTTP bool
	cmd := &cobra.Command{
		Use:   "attest --type TYPE --subject PATH|NAME@sha256:HEX --predicate FILE|- --key KEY",
		Short: "Sign a pipeline stage's predicate about a model as an in-toto attestation",
		Long: `Sign a predicate about one exact model as an in-toto Statement v1 in a DSSE envelope.

TYPE is one of data-validation, training, evaluation, approval, risk,
smoke-test, canary, waiver, or a full predicate type URI for custom evidence.
A modelgate predicate must match its JSON Schema; every fault is listed with
its JSON path and nothing is written. KEY is a PEM private key (password from
MODELGATE_KEY_PASSWORD) or a KMS URI (awskms://, gcpkms://, azurekms://,
hashivault://). The envelope goes to --out (default: standard output) and,
with --store, into the evidence store.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for flag, v := range map[string]string{"--type": typ, "--subject": subjectArg, "--predicate": predicatePath, "--key": keyRef} {
				if v == "" {
					return fmt.Errorf("%s is required (see 'modelgate attest --help')", flag)
				}
			}
			predicateType, err := attest.ResolveType(typ)
			if err != nil {
				return err
			}
			predicate, err := readBounded(predicatePath, attest.MaxPredicateSize, cmd.InOrStdin())
			if err != nil {
				return fmt.Errorf("predicate: %w", err)
			}
			if err := attest.CheckPredicateJSON(predicate); err != nil {
				return err
			}
			if err := attest.ValidatePredicate(predicateType, predicate); err != nil {
				return err
			}
			subject, err := digest.Resolve(subjectArg, digest.Options{})
			if err != nil {
				return err
			}
			var store evidence.Store
			if storeSpec != "" {
				if store, err = evidence.Open(storeSpec, evidence.Options{PlainHTTP: plainHTTP}); err != nil {
					return err
				}
			}
			signer, err := keys.LoadSigner(cmd.Context(), keyRef)
			if err != nil {
				return err
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
			return writeAtomic(out, env, 0o644)
		},
	}
	f := cmd.Flags()
	f.StringVar(&typ, "type", "", "predicate type: short name or full URI")
	f.StringVar(&subjectArg, "subject", "", "the model: a file or directory, or NAME@sha256:HEX")
	f.StringVar(&predicatePath, "predicate", "", "predicate JSON file, or - for standard input")
	f.StringVar(&keyRef, "key", "", "signing key: PEM file or KMS URI")
	f.StringVar(&out, "out", "", "write the envelope here (default: standard output unless --store)")
	f.StringVar(&storeSpec, "store", "", "also add the envelope to STORE (dir:PATH or oci://REGISTRY/REPO)")
	f.BoolVar(&plainHTTP, "plain-http", false, "talk to a non-loopback registry without TLS")
	return cmd
}

// readBounded reads a file (or stdin for "-") of at most limit bytes.
func readBounded(path string, limit int64, stdin io.Reader) ([]byte, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

// writeAtomic writes data to path through a synced temp file and a rename,
// so a reader never sees a torn file.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(dirOf(path), ".modelgate-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[:i+1]
		}
	}
	return "."
}
