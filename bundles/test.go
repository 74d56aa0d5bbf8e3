package bundles

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/modelgate/modelgate/internal/safeio"
	"github.com/modelgate/modelgate/policy"
)

// TestResult is one Rego test.
type TestResult struct {
	Name   string
	Passed bool
	Detail string
}

// TestReport is the outcome of a bundle's Rego tests.
type TestReport struct {
	Results      []TestResult
	Rules        int      // rules outside test files
	Uncovered    []string // "file:row rule" of rules no test reached
	LineCoverage float64
}

// Failed counts failing tests.
func (r *TestReport) Failed() int {
	n := 0
	for _, t := range r.Results {
		if !t.Passed {
			n++
		}
	}
	return n
}

// RuleCoverage is the percentage of rules that some test evaluated.
func (r *TestReport) RuleCoverage() float64 {
	if r.Rules == 0 {
		return 100
	}
	return 100 * float64(r.Rules-len(r.Uncovered)) / float64(r.Rules)
}

// RunTests runs every test_ rule in dir's *_test.rego files with OPA's
// tester, tracing coverage, under the same sandboxed built-ins as decisions.
func RunTests(ctx context.Context, spec string) (*TestReport, error) {
	dir, cleanup, err := boundedCopy(spec)
	if err != nil {
		return nil, fmt.Errorf("bundle test %s: %w", spec, err)
	}
	defer cleanup()
	modules, store, err := tester.Load([]string{dir}, nil)
	if err != nil {
		return nil, fmt.Errorf("bundle test %s: %s", spec, strings.ReplaceAll(err.Error(), dir, spec))
	}
	txn, err := store.NewTransaction(ctx, storage.TransactionParams{})
	if err != nil {
		return nil, err
	}
	defer store.Abort(ctx, txn)
	cov := cover.New()
	compiler := ast.NewCompiler().WithCapabilities(policy.Capabilities()).WithEnablePrintStatements(true)
	ch, err := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(store).
		SetModules(modules).
		SetCoverageQueryTracer(cov).
		RaiseBuiltinErrors(true).
		SetTimeout(time.Minute).
		RunTests(ctx, txn)
	if err != nil {
		return nil, fmt.Errorf("bundle test %s: %w", dir, err)
	}
	report := &TestReport{}
	for r := range ch {
		tr := TestResult{Name: r.Package + "." + r.Name, Passed: r.Pass()}
		if r.Error != nil {
			tr.Detail = r.Error.Error()
		} else if r.Fail {
			tr.Detail = "failed"
		}
		report.Results = append(report.Results, tr)
	}
	cr := cov.Report(modules)
	report.LineCoverage = cr.Coverage
	for file, m := range modules {
		if strings.HasSuffix(file, "_test.rego") {
			continue
		}
		for _, rule := range m.Rules {
			report.Rules++
			if fr, ok := cr.Files[file]; !ok || !fr.IsCovered(rule.Location.Row) {
				report.Uncovered = append(report.Uncovered, fmt.Sprintf("%s:%d %s", strings.Replace(file, dir, spec, 1), rule.Location.Row, rule.Head.Ref()))
			}
		}
	}
	sort.Strings(report.Uncovered)
	return report, nil
}

// boundedCopy reads a bundle directory or tarball within the bundle
// limits (regular files alone, no duplicate names, no size a header claims
// taken on trust) and writes what it read to a temporary directory for
// OPA's tester, which would otherwise read the input unbounded.
func boundedCopy(spec string) (string, func(), error) {
	info, err := os.Lstat(spec)
	if err != nil {
		return "", nil, err
	}
	var files map[string][]byte
	if info.IsDir() {
		files, err = readTree(spec)
	} else {
		var data []byte
		if data, err = safeio.ReadFile(spec, MaxBundleSize); err == nil {
			files, err = readTar(data)
		}
	}
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "modelgate-bundle-test-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
			err = os.WriteFile(p, data, 0o644)
		}
		if err != nil {
			cleanup()
			return "", nil, err
		}
	}
	return dir, cleanup, nil
}
