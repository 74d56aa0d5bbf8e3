package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/keys"
)

// keygenOptions are the flags of the command.
type keygenOptions struct {
	out, algorithm string
}

func newKeygenCmd() *cobra.Command {
	var o keygenOptions
	cmd := &cobra.Command{
		Use:   "keygen --out PREFIX [--algorithm ecdsa-p256|ed25519]",
		Short: "Generate a signing key pair: PREFIX.key (0600) and PREFIX.pub",
		Long: `Generate a signing key pair for a pipeline stage, an approver or the gate.

PREFIX.key holds the private key (mode 0600), encrypted when the environment
variable MODELGATE_KEY_PASSWORD is set; PREFIX.pub holds the PKIX public key
that goes into the policy bundle's trust list.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runKeygen(cmd, args, o) },
	}
	cmd.Flags().StringVar(&o.out, "out", "", "path prefix of the key files")
	cmd.Flags().StringVar(&o.algorithm, "algorithm", "ecdsa-p256", "key algorithm: "+strings.Join(keys.Algorithms, "|"))
	return cmd
}

func runKeygen(cmd *cobra.Command, args []string, o keygenOptions) error {
	if o.out == "" {
		return fmt.Errorf("--out PREFIX is required, e.g. --out keys/training")
	}
	priv, pub, err := keys.Generate(o.algorithm, []byte(os.Getenv(keys.PasswordEnv)))
	if err != nil {
		return err
	}
	for _, p := range []string{o.out + ".key", o.out + ".pub"} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s already exists: remove it or choose another --out", p)
		}
	}
	if dir := filepath.Dir(o.out); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("--out %s: %w", o.out, err)
		}
	}
	if err := writeNew(o.out+".key", priv, 0o600); err != nil {
		return err
	}
	if err := writeNew(o.out+".pub", pub, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s.key and %s.pub\n", o.out, o.out)
	return nil
}

// writeNew creates path with mode, failing if it exists, and syncs it.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
