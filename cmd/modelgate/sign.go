package main

import (
	"context"
	"fmt"
	"os"
	"strings"

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
	keyless  bool
	// keyless: the Sigstore signing config, the identity token's file
	// (else $SIGSTORE_ID_TOKEN) and the trusted root to check the result
	signingConfig, tokenFile, trustedRoot string
}

func newSignCmd() *cobra.Command {
	var o signOptions
	cmd := &cobra.Command{
		Use:   "sign DIR|FILE (--key KEY | --keyless --signing-config FILE) [--out model.sig] [--ignore-paths P ...]",
		Short: "Write an OpenSSF model signature (OMS v1.0) over a model's files",
		Long: `Sign a model directory (or file) as the OpenSSF Model Signing
specification v1.0 says, with the key method: every file's SHA-256 ("files"
serialization), their root digest as the subject, in a DSSE envelope inside
a Sigstore bundle. The top-level .git, .gitignore, .gitattributes and
.github, each --ignore-paths (exact relative paths from the model root) and
the signature file itself are left out. 'modelgate verify --subject DIR'
counts it (gate MG-SIGNED) when the key is a trusted signer with the
training role; model_signing's verifiers read it too.

--keyless signs with the sigstore method instead: an ephemeral key, a
certificate from the Fulcio named in --signing-config (a Sigstore signing
config, the protobuf-specs JSON sigstore's TUF repository publishes as
signing_config.v0.2.json) for the OIDC identity token in $SIGSTORE_ID_TOKEN
or --identity-token-file, and the timestamps and log entries of the
authorities it names. The signer is trusted as keyless:<ISSUER>:SUBJECT.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runSign(cmd, o, args[0]) },
	}
	f := cmd.Flags()
	f.StringVar(&o.key, "key", "", "the signing key: PEM file or KMS URI")
	f.BoolVar(&o.keyless, "keyless", false, "sign with a short-lived certificate for an OIDC identity (needs --signing-config)")
	f.StringVar(&o.signingConfig, "signing-config", "", "keyless: the Sigstore signing config naming Fulcio, timestamp authorities and Rekor logs")
	f.StringVar(&o.tokenFile, "identity-token-file", "", "keyless: a file holding the OIDC identity token (default: $SIGSTORE_ID_TOKEN)")
	f.StringVar(&o.trustedRoot, "trusted-root", "", "keyless: check the new signature against this Sigstore trusted root before writing it")
	cmd.MarkFlagsMutuallyExclusive("key", "keyless")
	f.StringVar(&o.out, "out", "model.sig", "where to write the signature")
	f.StringArrayVar(&o.ignore, "ignore-paths", nil, "a path to leave out, relative to the model root (repeatable)")
	return cmd
}

func runSign(cmd *cobra.Command, o signOptions, model string) error {
	if !o.keyless {
		if err := requireFlags(cmd, [2]string{"--key", o.key}); err != nil {
			return err
		}
	} else if err := requireFlags(cmd, [2]string{"--signing-config", o.signingConfig}); err != nil {
		return err
	}
	for _, p := range o.ignore {
		if p == "" || p[0] == '/' || containsAny(p, "*?[") || p == ".." || len(p) > 2 && p[:3] == "../" {
			return fmt.Errorf("--ignore-paths %q: give a path relative to the model root, without globs, a leading / or ../", p)
		}
	}
	ctx := cmd.Context()
	sign, err := o.signer(ctx)
	if err != nil {
		return err
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
	sig, err := sign(m)
	if err != nil {
		return err
	}
	if err := safeio.WriteFile(ctx, o.out, append(sig, '\n'), 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "signed %d file(s) of %s (root sha256:%s) into %s\n", len(m.Files), model, m.Root, o.out)
	return nil
}

// signer is how the model signature is made: with --key, or keyless with
// the signing config, the identity token and the optional trusted root.
func (o signOptions) signer(ctx context.Context) (func(*digest.OMSManifest) ([]byte, error), error) {
	if !o.keyless {
		sv, err := keys.LoadSigner(ctx, o.key)
		if err != nil {
			return nil, fmt.Errorf("--key: %w", err)
		}
		return func(m *digest.OMSManifest) ([]byte, error) { return attest.SignModel(ctx, sv, m) }, nil
	}
	k := attest.KeylessSigning{IDToken: strings.TrimSpace(os.Getenv("SIGSTORE_ID_TOKEN"))}
	var err error
	if k.SigningConfig, err = safeio.ReadInput(o.signingConfig, 1<<20, nil); err != nil {
		return nil, fmt.Errorf("--signing-config %w", err)
	}
	if o.tokenFile != "" {
		raw, err := safeio.ReadInput(o.tokenFile, 64<<10, nil)
		if err != nil {
			return nil, fmt.Errorf("--identity-token-file %w", err)
		}
		k.IDToken = strings.TrimSpace(string(raw))
	}
	if k.IDToken == "" {
		return nil, fmt.Errorf("%w: set $SIGSTORE_ID_TOKEN or give --identity-token-file (in GitHub Actions: permissions id-token: write, then request one with audience sigstore)", attest.ErrNoIDToken)
	}
	if k.TrustedRoot, err = readTrustedRoot(o.trustedRoot); err != nil {
		return nil, err
	}
	return func(m *digest.OMSManifest) ([]byte, error) { return attest.SignModelKeyless(ctx, m, k) }, nil
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
