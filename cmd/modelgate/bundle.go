package main

import (
	"fmt"

	"github.com/modelgate/modelgate/bundles"
	"github.com/spf13/cobra"
)

func newBundleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bundle",
		Short: "Work with policy bundles",
	}
	cmd.AddCommand(newBundleTestCmd())
	return cmd
}

func newBundleTestCmd() *cobra.Command {
	var minCoverage float64
	cmd := &cobra.Command{
		Use:   "test DIR",
		Short: "Run a policy bundle's Rego unit tests (*_test.rego) and report rule coverage",
		Long: `Run every test_ rule in DIR's *_test.rego files with OPA's tester, under the
same sandboxed built-ins as decisions. Exits 1 when a test fails or rule
coverage is below --min-coverage, 2 when the bundle cannot be loaded.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			report, err := bundles.RunTests(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			for _, r := range report.Results {
				status := "PASS"
				if !r.Passed {
					status = "FAIL"
				}
				fmt.Fprintf(w, "%s  %s", status, r.Name)
				if r.Detail != "" && !r.Passed {
					fmt.Fprintf(w, ": %s", r.Detail)
				}
				fmt.Fprintln(w)
			}
			for _, u := range report.Uncovered {
				fmt.Fprintf(w, "UNCOVERED  %s\n", u)
			}
			failed := report.Failed()
			fmt.Fprintf(w, "%d passed, %d failed; rule coverage %.1f%% (%d rules), line coverage %.1f%%\n",
				len(report.Results)-failed, failed, report.RuleCoverage(), report.Rules, report.LineCoverage)
			if len(report.Results) == 0 {
				return &exitError{code: exitDenied, err: fmt.Errorf("no tests in %s: add *_test.rego files", args[0])}
			}
			if failed > 0 {
				return &exitError{code: exitDenied, err: fmt.Errorf("%d policy test(s) failed", failed)}
			}
			if report.RuleCoverage() < minCoverage {
				return &exitError{code: exitDenied, err: fmt.Errorf("rule coverage %.1f%% is below --min-coverage %.1f%%", report.RuleCoverage(), minCoverage)}
			}
			return nil
		},
	}
	cmd.Flags().Float64Var(&minCoverage, "min-coverage", 0, "fail when rule coverage is below this percentage")
	return cmd
}
