package output

import (
	"fmt"
	"io"

	"github.com/modelgate/modelgate/bundles"
)

// WriteTestReport renders a bundle's Rego test run: each test's result,
// each rule no test reached, and the coverage.
func WriteTestReport(w io.Writer, report *bundles.TestReport) error {
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
	_, err := fmt.Fprintf(w, "%d passed, %d failed; rule coverage %.1f%% (%d rules), line coverage %.1f%%\n",
		len(report.Results)-failed, failed, report.RuleCoverage(), report.Rules, report.LineCoverage)
	return err
}
