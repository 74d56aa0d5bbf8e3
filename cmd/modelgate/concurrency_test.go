package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/output"
	"github.com/modelgate/modelgate/testkit"
)

// TestMain lets a test run this binary as the modelgate command itself,
// as a separate process: MODELGATE_AS_CLI holds the arguments as JSON.
func TestMain(m *testing.M) {
	if args := os.Getenv("MODELGATE_AS_CLI"); args != "" {
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			os.Exit(2)
		}
		os.Exit(run(argv))
	}
	os.Exit(m.Run())
}

// process runs modelgate as its own process.
func process(args ...string) *exec.Cmd {
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "MODELGATE_AS_CLI="+string(raw))
	return cmd
}

// verifyArgs writes a version's evidence files and returns the verify command line.
func (l *ledgerRun) verifyArgs(s digest.Subject, env string, champion *digest.Subject) []string {
	p := *l.p
	p.Subject = s
	envs := p.Envelopes(func(m map[string]map[string]any) {
		if champion != nil {
			m["evaluation"]["baseline"] = map[string]any{"name": "fraud-scorer", "digest": map[string]any{"sha256": champion.SHA256}, "metrics": map[string]any{"auc_roc": 0.9, "log_loss": 0.3}}
		}
	})
	args := []string{"verify", "--subject", s.String(), "--env", env, "--policy", l.policy, "--store", l.store, "--vsa-key", l.gateKey, "--format", "json"}
	for name, e := range envs {
		path := filepath.Join(l.dir, s.SHA256[:8]+"-"+env+"-"+name+".json")
		os.WriteFile(path, e, 0o644)
		args = append(args, "--evidence", path)
	}
	return args
}

// Promotions and a rollback at once, as separate processes, lose no record
// and leave one well-defined current state, on a directory store and on a
// registry.
func TestConcurrentPromotionsAndRollback(t *testing.T) {
	for _, kind := range []string{"dir", "oci"} {
		t.Run(kind, func(t *testing.T) {
			store := ""
			if kind == "oci" {
				store = "oci://" + testkit.StartRegistry(t) + "/models/ledger"
			}
			l := newLedgerRun(t, store)
			if kind == "dir" {
				evidence.OpenDir(strings.TrimPrefix(l.store, "dir:"))
			}
			v1, v2 := l.version("1"), l.version("2")
			for _, s := range []struct {
				v     digest.Subject
				champ *digest.Subject
			}{{v1, nil}, {v2, &v1}} {
				if code, out := l.promote(t, s.v, "staging", s.champ); code != 0 {
					t.Fatalf("exit %d: %s", code, out)
				}
			}
			// At once: three challengers judged against v2, and a rollback to v1.
			var cmds []*exec.Cmd
			var versions []digest.Subject
			for i := 3; i <= 5; i++ {
				v := l.version(fmt.Sprint(i))
				versions = append(versions, v)
				cmds = append(cmds, process(l.verifyArgs(v, "staging", &v2)...))
			}
			cmds = append(cmds, process("rollback", "--model", "fraud-scorer", "--env", "staging", "--vsa-key", l.gateKey, "--reason", "at once", "--policy", l.policy, "--store", l.store))
			var wg sync.WaitGroup
			outs := make([]string, len(cmds))
			for i, c := range cmds {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out, _ := c.CombinedOutput()
					outs[i] = string(out)
				}()
			}
			wg.Wait()
			for i, c := range cmds {
				// A challenger judged against v1 (the rollback landed first) is denied; never an error.
				if code := c.ProcessState.ExitCode(); code == 2 {
					t.Fatalf("process %d: exit 2\n%s", i, outs[i])
				}
			}
			code, hist, stderr := l.cli("history", "--model", "fraud-scorer", "--env", "staging", "--format", "json")
			if code != 0 {
				t.Fatal(stderr)
			}
			var h struct {
				Records []output.HistoryRow
				Skipped []any
			}
			json.Unmarshal([]byte(hist), &h)
			if len(h.Records) != 6 || len(h.Skipped) != 0 {
				t.Fatalf("%d records (want 6: 2 + 3 decisions + a rollback), skipped %v\n%s\nprocesses:\n%s", len(h.Records), h.Skipped, hist, strings.Join(outs, "\n---\n"))
			}
			// The current state is the replay of the records in their signed
			// order: ask twice, from two processes, and get one answer.
			a, _ := process("history", "--model", "fraud-scorer", "--env", "staging", "--at", "2200-01-01T00:00:00Z", "--policy", l.policy, "--store", l.store).Output()
			b, _ := process("history", "--model", "fraud-scorer", "--env", "staging", "--at", "2200-01-01T00:00:00Z", "--policy", l.policy, "--store", l.store).Output()
			if len(a) == 0 || string(a) != string(b) {
				t.Fatalf("two answers:\n%s\n%s", a, b)
			}
		})
	}
}
