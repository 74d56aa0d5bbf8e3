package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/internal/safeio"
	"github.com/modelgate/modelgate/keys"
)

func newAttestCmd() *cobra.Command {
	var typ, subjectArg, name, predicatePath, keyRef, out, storeSpec string
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
with --store, into the evidence store.

The model's name is signed with the evidence and picks its tier, thresholds
and champion: for a path it is the base name unless --name gives it.`,
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
			predicate, err := safeio.ReadInput(predicatePath, attest.MaxPredicateSize, cmd.InOrStdin())
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
			return safeio.WriteFile(out, append(env, '\n'), 0o644)
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
	return cmd
}
