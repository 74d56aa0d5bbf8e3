package policy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// writeBundle makes a bundle directory with one decision module.
// writeBundle makes the smallest bundle directory a test needs: a
// manifest and a modelgate package holding rego.
func writeBundle(t testing.TB, rego string) string {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".manifest"), []byte(`{"revision":"r1","roots":["modelgate"]}`), 0o644)
	os.MkdirAll(filepath.Join(dir, "modelgate"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "modelgate", "decision.rego"), []byte("package modelgate\n\n"+rego), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func engine(t *testing.T, rego string) (*Engine, error) {
	dir := writeBundle(t, rego)
	b, err := bundle.NewCustomReader(bundle.NewDirectoryLoader(dir)).WithProcessAnnotations(true).Read()
	if err != nil {
		t.Fatal(err)
	}
	return NewEngine(context.Background(), dir, &b)
}

// Nothing networked or random compiles, so a decision depends on its input
// and bundle alone.
func TestSandboxedBuiltinsDoNotCompile(t *testing.T) {
	for _, call := range []string{
		`http.send({"method": "get", "url": "https://example.com"})`,
		`net.lookup_ip_addr("example.com")`,
		`opa.runtime()`,
		`rand.intn("x", 10)`,
		`uuid.rfc4122("x")`,
		`time.now()`,
	} {
		_, err := engine(t, "decision := "+call+"\n")
		if err == nil || !strings.Contains(err.Error(), "undefined function") {
			t.Errorf("%s: %v", call, err)
		}
	}
}

func TestEvalFailsClosed(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]struct{ rego, err string }{
		"undefined decision": {"decision := 1 if input.never\n", ErrUndefined.Error()},
		"builtin error":      {"decision := to_number(\"twelve\")\n", "policy error: "},
		"conflict":           {"decision := 1 if input.a\ndecision := 2 if input.a\n", "policy error: "},
	}
	for name, c := range cases {
		e, err := engine(t, c.rego)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.EvalJSON(context.Background(), []byte(`{"a":true}`), now)
		if err == nil || !strings.HasPrefix(err.Error(), c.err) {
			t.Errorf("%s: %v, want %q", name, err, c.err)
		}
	}
}

func TestEvalTimesOut(t *testing.T) {
	e, err := engine(t, "decision := count([x | some x in numbers.range(1, 100000000); x % 7 == 0])\n")
	if err != nil {
		t.Fatal(err)
	}
	e.SetTimeout(50 * time.Millisecond)
	_, err = e.EvalJSON(context.Background(), []byte(`{}`), time.Now())
	if err == nil || err.Error() != "policy evaluation took longer than 50ms" {
		t.Fatalf("%v", err)
	}
}

// time.now_ns is the decision's time, so --effective-time replays exactly.
func TestTimeIsTheDecisionTime(t *testing.T) {
	e, err := engine(t, "decision := time.format(time.now_ns())\n")
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.EvalJSON(context.Background(), []byte(`{}`), time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil || string(out) != `"2027-01-02T03:04:05Z"` {
		t.Fatalf("%s %v", out, err)
	}
}

func TestEvalRejectsBadInput(t *testing.T) {
	e, err := engine(t, "decision := input\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.EvalJSON(context.Background(), []byte(`{"a":`), time.Now()); err == nil || !strings.HasPrefix(err.Error(), "input: ") {
		t.Fatalf("%v", err)
	}
}
