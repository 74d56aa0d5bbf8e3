// Command modelgate decides whether one exact ML model may be promoted, from
// signed evidence and versioned policy.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/gate"
	"github.com/modelgate/modelgate/tlog"
	"github.com/spf13/cobra"
)

// Exit codes: a contract with every pipeline that calls modelgate.
const (
	exitAllowed   = 0
	exitDenied    = 1
	exitUndecided = 2
)

// exitError carries an exit code up to main. Every error without one is
// "could not decide" (2): nothing that goes wrong exits 0.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// denied ends the command with exit 1 and no further message.
var errDenied = &exitError{code: exitDenied}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "modelgate",
		Short:         "Decide whether one exact ML model may be promoted, from signed evidence and versioned policy",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newKeygenCmd(),
		newDigestCmd(),
		newAttestCmd(),
		newEvidenceCmd(),
		newVerifyCmd(),
		newBundleCmd(),
		newReportCmd(),
		newHistoryCmd(),
		newRollbackCmd(),
		newRevokeCmd(),
		newServeCmd(),
		newLedgerCmd(),
		newSignCmd(),
	)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%v (see '%s --help')", err, c.CommandPath())
	})
	root.Version = version()
	root.SetVersionTemplate("modelgate {{.Version}}\n")
	strictGroups(root)
	explainArgs(root)
	return root
}

// explainArgs makes a wrong number of arguments say the command's usage.
func explainArgs(c *cobra.Command) {
	for _, sub := range c.Commands() {
		explainArgs(sub)
	}
	if c.Args == nil {
		return
	}
	check := c.Args
	c.Args = func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return fmt.Errorf("%v; usage: modelgate %s (see '%s --help')", err, strings.TrimPrefix(cmd.UseLine(), "modelgate "), cmd.CommandPath())
		}
		return nil
	}
}

// strictGroups makes a command that only groups others (bundle, evidence)
// refuse an unknown subcommand, or none, with exit 2 rather than print its
// help and succeed.
func strictGroups(c *cobra.Command) {
	for _, sub := range c.Commands() {
		strictGroups(sub)
	}
	if !c.HasSubCommands() || c.RunE != nil || c.Run != nil {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		var names []string
		for _, s := range cmd.Commands() {
			if s.IsAvailableCommand() {
				names = append(names, s.Name())
			}
		}
		if len(args) == 0 {
			return fmt.Errorf("'%s' needs a subcommand: one of %s (see '%s --help')", cmd.CommandPath(), strings.Join(names, ", "), cmd.CommandPath())
		}
		return fmt.Errorf("unknown command %q for '%s': use one of %s (see '%s --help')", args[0], cmd.CommandPath(), strings.Join(names, ", "), cmd.CommandPath())
	}
}

// Version is set at build time with -ldflags "-X main.Version=…"; otherwise
// the module's version from the build information.
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}

func main() {
	// A command lives for well under a second and holds little: collecting
	// garbage less often makes compiling a policy and verifying evidence
	// faster. GOGC, when set, still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int { return execute(args, os.Stdout, os.Stderr) }

// execute runs one command line and returns its exit code.
func execute(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitAllowed
	}
	code := exitUndecided
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if msg := err.Error(); msg != "" {
		if f := flagOf(err); f != "" {
			// The typed error may sit inside wrapping text: name the flag before it.
			msg = f + msg
		}
		fmt.Fprintln(stderr, "modelgate: "+msg+hint(err))
	}
	return code
}

// flagOf names the flag a library's error is about, when it is about one:
// libraries speak no CLI, the command line adds its words.
func flagOf(err error) string {
	var env *bundles.UnknownEnvironmentError
	var name *gate.NameError
	switch {
	case errors.As(err, &env):
		return "--env "
	case errors.As(err, &name):
		return "--subject "
	}
	return ""
}

// hint adds, to a library's error, the flags and commands that mend it.
func hint(err error) string {
	switch {
	case errors.Is(err, facts.ErrNoSigner):
		return "; give --policy DIR (or set MODELGATE_POLICY) naming your bundle, or make one with 'modelgate bundle init DIR --signer ID=PUBKEY:IDENTITY:ROLE'"
	case errors.Is(err, evidence.ErrNoStore):
		return "; check --store, or create it with 'modelgate attest --store' or 'modelgate evidence add'"
	case errors.Is(err, attest.ErrNoTrustedRoot):
		return "; add one with 'modelgate bundle signer add DIR --trusted-root FILE' ('cosign trusted-root create' makes one for a private Sigstore)"
	case errors.Is(err, tlog.ErrNoLog):
		return "; create it with 'modelgate ledger init LEDGER --origin ORIGIN --out PREFIX'"
	case errors.Is(err, tlog.ErrNoLogKey):
		return "; add the log's verifier key with 'modelgate bundle signer add DIR --signer log=PREFIX.ledger.pub:ORIGIN:ledger'"
	case errors.Is(err, tlog.ErrNoKey):
		return "; give --ledger-key PREFIX.ledger.key (or set MODELGATE_LEDGER_KEY), or append through the ledger's server with --ledger https://…"
	case errors.Is(err, evidence.ErrNotAStore):
		return "; check --store, or make the folder a store by adding evidence to it with 'modelgate attest --store' or 'modelgate evidence add --store'"
	case errors.Is(err, evidence.ErrCannotList):
		return "; give --subject"
	case errors.Is(err, bundles.ErrUnsigned):
		return "; sign it with 'modelgate bundle build --signing-key'"
	}
	return ""
}
