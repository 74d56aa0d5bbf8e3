package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/internal/safeio"
	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/output"
)

func newBundleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bundle",
		Short: "Build, sign, verify, ship, read and test policy bundles",
	}
	cmd.AddCommand(newBundleInitCmd(), newBundleSignerCmd(), newBundleBuildCmd(), newBundleVerifyCmd(), newBundlePushCmd(), newBundleInspectCmd(), newBundleDiffCmd(), newBundleTestCmd())
	return cmd
}

// policyFlags are how a command names and trusts its policy bundle.
type policyFlags struct {
	spec        string
	keys        []string
	minRevision string
	plainHTTP   bool
}

func (p *policyFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.spec, "policy", os.Getenv("MODELGATE_POLICY"), "policy bundle: directory, .tar.gz or oci://REGISTRY/REPO:TAG (default: $MODELGATE_POLICY, else the bundle built in, which trusts nobody)")
	var envKeys []string
	if v := os.Getenv("MODELGATE_POLICY_KEY"); v != "" {
		envKeys = strings.Split(v, ",")
	}
	f.StringArrayVar(&p.keys, "policy-key", envKeys, "require the bundle's .signatures.json to verify with this PEM public key (repeatable: any one, for rotation; default: $MODELGATE_POLICY_KEY, comma-separated)")
	f.StringVar(&p.minRevision, "min-revision", "", "refuse a bundle whose revision is older than this")
}

// options reads the verification keys.
func (p *policyFlags) options() (bundles.Options, error) {
	opts := bundles.Options{MinRevision: p.minRevision, PlainHTTP: p.plainHTTP}
	for _, path := range p.keys {
		k, err := readVerificationKey(path)
		if err != nil {
			return opts, fmt.Errorf("--policy-key %w", err)
		}
		opts.Keys = append(opts.Keys, k)
	}
	return opts, nil
}

func readVerificationKey(path string) (bundles.VerificationKey, error) {
	data, err := safeio.ReadInput(path, 64<<10, nil)
	if err != nil {
		return bundles.VerificationKey{}, err
	}
	return bundles.ParseVerificationKey(data, path)
}

// bundleInitOptions are the flags of the command.
type bundleInitOptions struct {
	signers     []string
	trustedRoot string
}

func newBundleInitCmd() *cobra.Command {
	var o bundleInitOptions
	cmd := &cobra.Command{
		Use:   "init DIR --signer ID=PUBKEY:IDENTITY:ROLE,ROLE ...",
		Short: "Write a copy of the built-in bundle to edit, trusting the given signers",
		Long: `Write the built-in policy bundle (gates, their Rego tests, thresholds,
tiers, environments) into DIR, a new or empty directory, with a trust list
of the given signers (at least one). PUBKEY is a PEM public key file
('modelgate keygen'); ROLE is one of ` + strings.Join(bundles.Roles, ", ") + `.
Change the trust list later with 'modelgate bundle signer add|remove'.

  modelgate bundle init policy --signer gate=keys/gate.pub:gate@example.com:gate`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runBundleInit(cmd, args, o) },
	}
	cmd.Flags().StringArrayVar(&o.signers, "signer", nil, "a trusted signer: ID=PUBKEY_FILE:IDENTITY:ROLE[,ROLE…] or ID=keyless:ISSUER:SUBJECT:ROLE[,ROLE…] (repeatable, at least one)")
	cmd.Flags().StringVar(&o.trustedRoot, "trusted-root", "", "the Sigstore trusted root keyless signers are verified against (protobuf-specs JSON, as 'cosign trusted-root create' writes it)")
	return cmd
}

func runBundleInit(cmd *cobra.Command, args []string, o bundleInitOptions) error {
	dir := args[0]
	if len(o.signers) == 0 {
		return errors.New("--signer is required: a bundle that trusts nobody decides nothing; e.g. --signer gate=keys/gate.pub:gate@example.com:gate")
	}
	var trust []bundles.Signer
	for _, s := range o.signers {
		signer, err := parseSignerFlag(s)
		if err != nil {
			return err
		}
		trust = append(trust, signer)
	}
	root, err := readTrustedRoot(o.trustedRoot)
	if err != nil {
		return err
	}
	if err := bundles.Init(dir, trust, root); errors.Is(err, bundles.ErrNotEmpty) {
		return fmt.Errorf("%s is not empty: give a new directory, or change its trust list with 'modelgate bundle signer add %s --signer …'", dir, dir)
	} else if err != nil {
		return err
	}
	abs, _ := filepath.Abs(dir)
	fmt.Fprintf(cmd.OutOrStdout(), "wrote the built-in bundle to %s with %d signer(s); edit it, 'modelgate bundle test %s', then 'modelgate bundle build %s --out bundle.tar.gz --signing-key KEY'\nto use it in every command of this shell:\n  export MODELGATE_POLICY=%s\n", dir, len(trust), dir, dir, abs)
	return nil
}

// readTrustedRoot reads a --trusted-root file (nil when none is given).
func readTrustedRoot(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := safeio.ReadInput(path, 4<<20, nil)
	if err != nil {
		return nil, fmt.Errorf("--trusted-root %w", err)
	}
	return raw, nil
}

func newBundleSignerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "signer",
		Short: "Add or remove a trusted signer of a bundle directory",
	}
	var ao signerAddOptions
	var ro signerRemoveOptions
	add := &cobra.Command{
		Use:   "add DIR --signer ID=PUBKEY:IDENTITY:ROLE,ROLE ... [--trusted-root FILE]",
		Short: "Trust a signer (or replace the signer of that id), or the Sigstore trusted root keyless signers are verified against",
		Long: `Add signers to a bundle directory's trust list, replacing a signer of the
same id. A signer is one of:

  ID=PUBKEY_FILE:IDENTITY:ROLE[,ROLE…]          a key (PEM, from 'modelgate keygen')
  ID=keyless:ISSUER:SUBJECT:ROLE[,ROLE…]        a keyless (Sigstore) identity
  ID=PREFIX.ledger.pub:ORIGIN:ledger            the ledger's transparency log

--trusted-root FILE sets the Sigstore trusted root keyless signers are
verified against (modelgate/trust/trusted_root.json; a built, signed or
pushed bundle carries it under its signature). A change that does not load
leaves the bundle as it was.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runSignerAdd(cmd, args, ao) },
	}
	add.Flags().StringArrayVar(&ao.signers, "signer", nil, "a trusted signer: ID=PUBKEY_FILE:IDENTITY:ROLE[,ROLE…], ID=keyless:ISSUER:SUBJECT:ROLE[,ROLE…] or ID=PREFIX.ledger.pub:ORIGIN:ledger (repeatable)")
	add.Flags().StringVar(&ao.trustedRoot, "trusted-root", "", "the Sigstore trusted root keyless signers are verified against (protobuf-specs JSON)")
	remove := &cobra.Command{
		Use:   "remove DIR --signer ID ...",
		Short: "Stop trusting a signer",
		Args:  cobra.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return runSignerRemove(cmd, args, ro) },
	}
	remove.Flags().StringArrayVar(&ro.ids, "signer", nil, "the id of a signer to remove (repeatable)")
	cmd.AddCommand(add, remove)
	return cmd
}

// signerAddOptions are the flags of 'bundle signer add'.
type signerAddOptions struct {
	signers     []string
	trustedRoot string
}

func runSignerAdd(cmd *cobra.Command, args []string, o signerAddOptions) error {
	if len(o.signers) == 0 && o.trustedRoot == "" {
		return errors.New("--signer is required: ID=PUBKEY_FILE:IDENTITY:ROLE[,ROLE…] (or --trusted-root FILE)")
	}
	root, err := readTrustedRoot(o.trustedRoot)
	if err != nil {
		return err
	}
	return editTrust(cmd, args[0], "; a change of trust is a LOOSENED line in 'modelgate bundle diff'", root, func(trust []bundles.Signer) ([]bundles.Signer, error) {
		for _, f := range o.signers {
			s, err := parseSignerFlag(f)
			if err != nil {
				return nil, err
			}
			trust = slices.DeleteFunc(trust, func(x bundles.Signer) bool { return x.ID == s.ID })
			trust = append(trust, s)
		}
		return trust, nil
	})
}

// signerRemoveOptions are the flags of 'bundle signer remove'.
type signerRemoveOptions struct{ ids []string }

func runSignerRemove(cmd *cobra.Command, args []string, o signerRemoveOptions) error {
	if len(o.ids) == 0 {
		return errors.New("--signer ID is required")
	}
	return editTrust(cmd, args[0], "", nil, func(trust []bundles.Signer) ([]bundles.Signer, error) {
		for _, id := range o.ids {
			id, _, _ = strings.Cut(id, "=")
			n := len(trust)
			trust = slices.DeleteFunc(trust, func(x bundles.Signer) bool { return x.ID == id })
			if len(trust) == n {
				return nil, fmt.Errorf("--signer %s: %s trusts no signer of that id", id, args[0])
			}
		}
		return trust, nil
	})
}

// editTrust changes a bundle directory's trust list through writeTrust's
// checks and says how many signers it now trusts.
func editTrust(cmd *cobra.Command, dir, note string, root []byte, edit func([]bundles.Signer) ([]bundles.Signer, error)) error {
	b, err := bundles.Load(dir)
	if err != nil {
		return err
	}
	trust, err := b.Signers()
	if err != nil {
		return err
	}
	if trust, err = edit(trust); err != nil {
		return err
	}
	if err := bundles.WriteTrust(dir, trust, root); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s now trusts %d signer(s)%s\n", dir, len(trust), note)
	return nil
}

// parseSignerFlag reads a --signer value (bundles.ParseSignerSpec).
func parseSignerFlag(s string) (bundles.Signer, error) {
	signer, err := bundles.ParseSignerSpec(s)
	if err != nil {
		return bundles.Signer{}, fmt.Errorf("--signer %w", err)
	}
	return signer, nil
}

// bundleBuildOptions are the flags of the command.
type bundleBuildOptions struct {
	out, signingKey, revision string
}

func newBundleBuildCmd() *cobra.Command {
	var o bundleBuildOptions
	cmd := &cobra.Command{
		Use:   "build DIR --out FILE [--signing-key KEY] [--revision REV]",
		Short: "Build a bundle directory into a .tar.gz, signed in OPA's format",
		Long: `Build DIR into an OPA bundle tarball with OPA's own bundle API: .manifest
(revision, roots), the Rego modules without their tests, the data, and with
--signing-key a .signatures.json (a JWS over every file's hash) that OPA
verifies with 'opa build --verification-key' or a bundle service's keys.
KEY is a PEM private key or a KMS URI. The bundle's data is checked against
its schemas first.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runBundleBuild(cmd, args, o) },
	}
	cmd.Flags().StringVar(&o.out, "out", "", "the bundle tarball to write")
	cmd.Flags().StringVar(&o.signingKey, "signing-key", "", "sign with this key: PEM file or KMS URI")
	cmd.Flags().StringVar(&o.revision, "revision", "", "the manifest's revision (default: the one in DIR/.manifest)")
	return cmd
}

func runBundleBuild(cmd *cobra.Command, args []string, o bundleBuildOptions) error {
	if o.out == "" {
		return errors.New("--out FILE is required, e.g. --out bundle.tar.gz")
	}
	// The trust list is prepared as every command will prepare it
	// (keys parsed, patterns compiled, identities checked): a bundle
	// that would not load is never built.
	if b, err := bundles.Load(args[0]); err != nil {
		return err
	} else if _, err := b.Trust(); err != nil && !errors.Is(err, facts.ErrNoSigner) {
		return err // (a bundle that trusts nobody builds: it decides nothing, as the built-in one)
	}
	opts := bundles.BuildOptions{Revision: o.revision}
	if o.signingKey != "" {
		sv, err := keys.LoadSigner(cmd.Context(), o.signingKey)
		if err != nil {
			return fmt.Errorf("--signing-key: %w", err)
		}
		opts.Signer = sv
	}
	data, err := bundles.Build(args[0], opts)
	if err != nil {
		return err
	}
	if err := safeio.WriteFile(cmd.Context(), o.out, data, 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	b, err := bundles.Load(o.out)
	if err != nil {
		return err
	}
	signed := "unsigned"
	if opts.Signer != nil {
		signed = "signed"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "built %s (%s): revision %s, digest %s\n", o.out, signed, b.Revision, b.Digest)
	return nil
}

// bundleVerifyOptions are the flags of the command.
type bundleVerifyOptions struct {
	keyPaths    []string
	minRevision string
	plainHTTP   bool
}

func newBundleVerifyCmd() *cobra.Command {
	var o bundleVerifyOptions
	cmd := &cobra.Command{
		Use:   "verify FILE|DIR|oci://REGISTRY/REPO:TAG --verification-key PUB",
		Short: "Check a bundle's signature, and that every file is the one that was signed",
		Long: `Verify a bundle's .signatures.json with the given public key(s): one must
verify the signature, and every file must be there with its signed hash, no
file added. Exits 0 when verified, 1 when not, 2 when it cannot be read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runBundleVerify(cmd, args, o) },
	}
	cmd.Flags().StringArrayVar(&o.keyPaths, "verification-key", nil, "PEM public key (repeatable: any one verifies, for rotation)")
	cmd.Flags().StringVar(&o.minRevision, "min-revision", "", "refuse a bundle whose revision is older than this")
	cmd.Flags().BoolVar(&o.plainHTTP, "plain-http", false, "talk to a non-loopback registry without TLS")
	return cmd
}

func runBundleVerify(cmd *cobra.Command, args []string, o bundleVerifyOptions) error {
	if len(o.keyPaths) == 0 {
		return errors.New("--verification-key PUB is required (repeatable)")
	}
	p := policyFlags{spec: args[0], keys: o.keyPaths, minRevision: o.minRevision, plainHTTP: o.plainHTTP}
	opts, err := p.options()
	if err != nil {
		return err
	}
	b, err := bundles.Open(cmd.Context(), args[0], opts)
	if err != nil {
		if errors.Is(err, bundles.ErrNotVerified) {
			return &exitError{code: exitDenied, err: err}
		}
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "verified %s: revision %s, digest %s\n", b.URI, b.Revision, b.Digest)
	return nil
}

// bundlePushOptions are the flags of the command.
type bundlePushOptions struct {
	plainHTTP bool
}

func newBundlePushCmd() *cobra.Command {
	var o bundlePushOptions
	cmd := &cobra.Command{
		Use:   "push FILE oci://REGISTRY/REPO:TAG",
		Short: "Push a bundle tarball to a registry, as OPA's OCI downloader reads it",
		Args:  cobra.ExactArgs(2),
		RunE:  func(cmd *cobra.Command, args []string) error { return runBundlePush(cmd, args, o) },
	}
	cmd.Flags().BoolVar(&o.plainHTTP, "plain-http", false, "talk to a non-loopback registry without TLS")
	return cmd
}

func runBundlePush(cmd *cobra.Command, args []string, o bundlePushOptions) error {
	if _, err := bundles.Load(args[0]); err != nil {
		return err
	}
	data, err := safeio.ReadFile(args[0], bundles.MaxBundleSize)
	if err != nil {
		return err
	}
	digest, err := bundles.Push(cmd.Context(), data, args[1], o.plainHTTP)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "pushed %s to %s (%s)\n", args[0], args[1], digest)
	return nil
}

// bundleTestOptions are the flags of the command.
type bundleTestOptions struct {
	minCoverage float64
}

func newBundleTestCmd() *cobra.Command {
	var o bundleTestOptions
	cmd := &cobra.Command{
		Use:   "test DIR",
		Short: "Run a policy bundle's Rego unit tests (*_test.rego) and report rule coverage",
		Long: `Run every test_ rule in DIR's *_test.rego files with OPA's tester, under the
same sandboxed built-ins as decisions. Exits 1 when a test fails or rule
coverage is below --min-coverage, 2 when the bundle cannot be loaded.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runBundleTest(cmd, args, o) },
	}
	cmd.Flags().Float64Var(&o.minCoverage, "min-coverage", 0, "fail when rule coverage is below this percentage")
	return cmd
}

func runBundleTest(cmd *cobra.Command, args []string, o bundleTestOptions) error {
	report, err := bundles.RunTests(cmd.Context(), args[0])
	if err != nil {
		return err
	}
	if err := output.WriteTestReport(cmd.OutOrStdout(), report); err != nil {
		return err
	}
	failed := report.Failed()
	if len(report.Results) == 0 {
		return &exitError{code: exitDenied, err: fmt.Errorf("no tests in %s: add *_test.rego files", args[0])}
	}
	if failed > 0 {
		return &exitError{code: exitDenied, err: fmt.Errorf("%d policy test(s) failed", failed)}
	}
	if report.RuleCoverage() < o.minCoverage {
		return &exitError{code: exitDenied, err: fmt.Errorf("rule coverage %.1f%% is below --min-coverage %.1f%%", report.RuleCoverage(), o.minCoverage)}
	}
	return nil
}

// bundleInspectOptions are the flags of the command.
type bundleInspectOptions struct {
	format string
}

func newBundleInspectCmd() *cobra.Command {
	var o bundleInspectOptions
	cmd := &cobra.Command{
		Use:   "inspect FILE|DIR|oci://… [--format text|markdown|json|html]",
		Short: "Say what a bundle demands: every gate per environment and tier, its thresholds in words, models, signers",
		Long: `Read a bundle as a compliance officer does: for each environment (in
promotion order) and tier, every gate that applies with its title, code
and description and its thresholds in words, merged with per-model
overrides; effective_on dates; the inventory; the metric names the
thresholds expect; the signers with identity, roles and key fingerprint.
Generated from the gates' METADATA and the bundle's data.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runBundleInspect(cmd, args, o) },
	}
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: "+strings.Join(output.InspectFormats, "|"))
	return cmd
}

func runBundleInspect(cmd *cobra.Command, args []string, o bundleInspectOptions) error {
	if !slices.Contains(output.InspectFormats, o.format) {
		return fmt.Errorf("--format %q: use one of %s", o.format, strings.Join(output.InspectFormats, ", "))
	}
	b, err := bundles.Open(cmd.Context(), args[0], bundles.Options{})
	if err != nil {
		return err
	}
	v, err := b.View()
	if err != nil {
		return err
	}
	return output.WriteInspection(cmd.OutOrStdout(), bundles.Inspect(v), o.format)
}
