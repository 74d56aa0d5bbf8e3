// Command modelgate decides whether one exact ML model may be promoted, from
// signed evidence and versioned policy.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

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
	)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%v (see 'modelgate %s --help')", err, c.Name())
	})
	return root
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
		fmt.Fprintln(stderr, "modelgate: "+msg)
	}
	return code
}
