package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/internal/safeio"
	"github.com/modelgate/modelgate/keys"
)

// signOptions are the flags of 'modelgate sign'.
type signOptions struct {
	key, out string
	ignore   []string
}

func newSignCmd() *cobra.Command {
	var o signOptions
	cmd := &cobra.Command{
		Use:   "sign DIR|FILE --key KEY [--out model.sig] [--ignore-paths P ...]",
		Short: "Write an OpenSSF model signature (OMS v1.0) over a model's files",
		Long: `Sign a model directory (or file) as the OpenSSF Model Signing
specification v1.0 says, with the key method: every file's SHA-256 ("files"
serialization), their root digest as the subject, in a DSSE envelope inside
a Sigstore bundle. The top-level .git, .gitignore, .gitattributes and
.github, each --ignore-paths (exact relative paths from the model root) and
the signature file itself are left out. 'modelgate verify --subject DIR'
counts it (gate MG-SIGNED) when the key is a trusted signer with the
training role; model_signing's verifiers read it too.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runSign(cmd, o, args[0]) },
	}
	f := cmd.Flags()
	f.StringVar(&o.key, "key", "", "the signing key: PEM file or KMS URI")
	f.StringVar(&o.out, "out", "model.sig", "where to write the signature")
	f.StringArrayVar(&o.ignore, "ignore-paths", nil, "a path to leave out, relative to the model root (repeatable)")
	return cmd
}

func runSign(cmd *cobra.Command, o signOptions, model string) error {
	if err := requireFlags(cmd, [2]string{"--key", o.key}); err != nil {
		return err
	}
	for _, p := range o.ignore {
		if p == "" || p[0] == '/' || containsAny(p, "*?[") || p == ".." || len(p) > 2 && p[:3] == "../" {
			return fmt.Errorf("--ignore-paths %q: give a path relative to the model root, without globs, a leading / or ../", p)
		}
	}
	ctx := cmd.Context()
	sv, err := keys.LoadSigner(ctx, o.key)
	if err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	opts, done := progressOptions(model)
	opts.Context = ctx
	m, err := digest.OMS(model, o.ignore, o.out, opts)
	done()
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if len(m.Files) == 0 {
		return fmt.Errorf("sign: %s holds no file to sign once its exclusions are left out", model)
	}
	sig, err := attest.SignModel(ctx, sv, m)
	if err != nil {
		return err
	}
	if err := safeio.WriteFile(ctx, o.out, append(sig, '\n'), 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "signed %d file(s) of %s (root sha256:%s) into %s\n", len(m.Files), model, m.Root, o.out)
	return nil
}

func containsAny(s, chars string) bool {
	for _, c := range chars {
		for _, d := range s {
			if c == d {
				return true
			}
		}
	}
	return false
}
