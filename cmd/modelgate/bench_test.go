package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/testkit"
)

// BenchmarkVerify200 runs the whole 'modelgate verify' process over 200
// envelopes about the model, and 'opa eval' over the input that verify
// judged, alternately, and reports both times per run and their ratio.
// Both are given the same bundle directory: a copy of policies/ as it is
// (opa loads its Rego tests, modelgate leaves them out), and the same copy
// without the tests. The envelopes are in a store, or given as 200
// --evidence files. It needs opa on PATH
// (go install github.com/open-policy-agent/opa@v1.22.2).
func BenchmarkVerify200(b *testing.B) {
	b.Run("bundle=policies", func(b *testing.B) { benchVerify200(b, true, false) })
	b.Run("bundle=policies/evidence=files", func(b *testing.B) { benchVerify200(b, true, true) })
	b.Run("bundle=without-tests", func(b *testing.B) { benchVerify200(b, false, false) })
}

func benchVerify200(b *testing.B, withTests, files bool) {
	opa, err := exec.LookPath("opa")
	if err != nil {
		b.Skip("opa is not on PATH: go install github.com/open-policy-agent/opa@v1.22.2")
	}
	dir := b.TempDir()
	if keep := os.Getenv("MODELGATE_BENCH_DIR"); keep != "" {
		dir = keep // to replay the runs by hand
		os.RemoveAll(filepath.Join(dir, "policy"))
		os.RemoveAll(filepath.Join(dir, "store"))
	}
	bin := filepath.Join(dir, "modelgate")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	p := testkit.NewPipeline("fraud-scorer")
	policy := filepath.Join(dir, "policy")
	if err := p.WriteBundle(filepath.Join(testkit.RepoRoot(), "policies"), policy, "high"); err != nil {
		b.Fatal(err)
	}
	if !withTests {
		tests, _ := filepath.Glob(filepath.Join(policy, "modelgate", "tests", "*_test.rego"))
		for _, t := range tests {
			os.Remove(t)
		}
	}
	store, err := evidence.OpenDir(filepath.Join(dir, "store"))
	if err != nil {
		b.Fatal(err)
	}
	input := filepath.Join(dir, "input.json")
	verify := []string{"verify", "--subject", p.Subject.String(), "--env", "production", "--policy", policy,
		"--store", "dir:" + filepath.Join(dir, "store"), "--format", "json", "--effective-time", p.Now.Format(time.RFC3339),
		"--input-out", input}
	// The passing pipeline, and 19 earlier rounds of it, a minute apart: 200
	// envelopes, in the store or as files beside an empty one.
	for round := 0; round < 20; round++ {
		earlier := *p
		earlier.Now = p.Now.Add(-time.Duration(round) * time.Minute)
		for name, env := range earlier.Envelopes(nil) {
			if files {
				path := filepath.Join(dir, fmt.Sprintf("%02d-%s.json", round, name))
				if err := os.WriteFile(path, env, 0o644); err != nil {
					b.Fatal(err)
				}
				verify = append(verify, "--evidence", path)
			} else if _, _, err := store.Add(context.Background(), env); err != nil {
				b.Fatal(err)
			}
		}
	}
	out, err := exec.Command(bin, verify...).Output()
	if err != nil || !strings.Contains(string(out), `"allow": true`) || strings.Count(string(out), `"signer_id"`) != 200 {
		b.Fatalf("verify: %v\n%.400s", err, out)
	}
	eval := []string{"eval", "--bundle", policy, "--input", input, "--format", "json", "data.modelgate.decision"}
	if out, err := exec.Command(opa, eval...).Output(); err != nil || !strings.Contains(string(out), `"allow": true`) {
		b.Fatalf("opa eval: %v\n%.400s", err, out)
	}

	var mg, op time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if err := exec.Command(bin, verify...).Run(); err != nil {
			b.Fatal(err)
		}
		mg += time.Since(start)
		start = time.Now()
		if err := exec.Command(opa, eval...).Run(); err != nil {
			b.Fatal(err)
		}
		op += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(ms(mg)/float64(b.N), "modelgate-ms")
	b.ReportMetric(ms(op)/float64(b.N), "opa-eval-ms")
	b.ReportMetric(float64(mg)/float64(op), "ratio")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkCompliance times the compliance officer's commands as whole
// processes on the default bundle: inspect, diff, report, and building and
// signing a bundle. Targets: under 100 ms each, 200 ms for build+sign.
func BenchmarkCompliance(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "modelgate")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	root := testkit.RepoRoot()
	policies := filepath.Join(root, "policies")
	officer := testkit.NewParty("officer", "ecdsa-p256")
	key := officer.WriteKey(dir)
	pub := filepath.Join(dir, "officer.pub")
	os.WriteFile(pub, officer.PubPEM, 0o644)
	other := filepath.Join(dir, "other")
	if out, err := exec.Command(bin, "bundle", "init", other, "--signer", "officer="+pub+":officer@example.com:gate").CombinedOutput(); err != nil {
		b.Fatalf("bundle init: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(other, "modelgate", "tiers", "data.yaml"), []byte("default: high\ninventory: {fraud-scorer: medium}\n"), 0o644)
	for _, c := range []struct {
		name string
		args []string
		ok   int
	}{
		{"inspect", []string{"bundle", "inspect", policies}, 0},
		{"inspect-html", []string{"bundle", "inspect", policies, "--format", "html"}, 0},
		{"diff", []string{"bundle", "diff", policies, other}, 1},
		{"report", []string{"report", filepath.Join(root, "testdata", "decisions", "denied.json"), "--out", filepath.Join(dir, "r.html")}, 0},
		{"build-sign", []string{"bundle", "build", policies, "--out", filepath.Join(dir, "b.tar.gz"), "--signing-key", key}, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				start := time.Now()
				err := exec.Command(bin, c.args...).Run()
				total += time.Since(start)
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err != nil {
					b.Fatal(err)
				}
				if code != c.ok {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(ms(total)/float64(b.N), "ms")
		})
	}
}

// BenchmarkPeers times modelgate beside the tools a team might use instead,
// on the same inputs: a whole 'modelgate verify' of one pipeline's 10
// envelopes; 'opa eval' of the decision on the input verify judged;
// 'conftest test' of that input against the same policies; and 'cosign
// verify-blob-attestation' of one of the envelopes (cosign checks one per
// run, and no policy). Each peer is looked up on PATH or in
// ~/.cache/modelgate-tools (scripts/bench.sh installs them).
func BenchmarkPeers(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "modelgate")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	p := testkit.NewPipeline("fraud-scorer")
	policy := filepath.Join(dir, "policy")
	if err := p.WriteBundle(filepath.Join(testkit.RepoRoot(), "policies"), policy, "high"); err != nil {
		b.Fatal(err)
	}
	store, _ := evidence.OpenDir(filepath.Join(dir, "store"))
	envs := p.Envelopes(nil)
	for _, env := range envs {
		store.Add(context.Background(), env)
	}
	one := envs["canary"]
	input := filepath.Join(dir, "input.json")
	verify := []string{"verify", "--subject", p.Subject.String(), "--env", "production", "--policy", policy, "--store", "dir:" + filepath.Join(dir, "store"), "--format", "json"}
	if out, err := exec.Command(bin, append(verify, "--input-out", input)...).Output(); err != nil || !strings.Contains(string(out), `"allow": true`) {
		b.Fatalf("verify: %v %s", err, out)
	}
	home, _ := os.UserHomeDir()
	tool := func(name string) string {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		p := filepath.Join(home, ".cache", "modelgate-tools", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		return ""
	}
	envelope := filepath.Join(dir, "envelope.json")
	os.WriteFile(envelope, one, 0o644)
	pub := filepath.Join(dir, "canary.pub")
	os.WriteFile(pub, p.Canary.PubPEM, 0o644)
	blob := filepath.Join(dir, "blob")
	os.WriteFile(blob, []byte("x"), 0o644)
	runs := []struct {
		name string
		cmd  []string
	}{{"modelgate-verify", append([]string{bin}, verify...)}}
	if opa := tool("opa"); opa != "" {
		runs = append(runs, struct {
			name string
			cmd  []string
		}{"opa-eval", []string{opa, "eval", "--bundle", policy, "--input", input, "--format", "json", "data.modelgate.decision"}})
	}
	if conftest := tool("conftest"); conftest != "" {
		runs = append(runs, struct {
			name string
			cmd  []string
		}{"conftest-test", []string{conftest, "test", input, "-p", policy, "-d", policy, "--all-namespaces", "--no-color"}})
	}
	if cosign := tool("cosign"); cosign != "" {
		runs = append(runs, struct {
			name string
			cmd  []string
		}{"cosign-verify-one", []string{"unshare", "-n", cosign, "verify-blob-attestation", "--key", pub, "--signature", envelope,
			"--type", "https://modelgate.dev/attestation/canary/v1", "--insecure-ignore-tlog", "--private-infrastructure", "--check-claims=false", blob}})
	}
	for _, r := range runs {
		b.Run(r.name, func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				start := time.Now()
				out, err := exec.Command(r.cmd[0], r.cmd[1:]...).CombinedOutput()
				total += time.Since(start)
				if err != nil && r.name != "conftest-test" {
					b.Fatalf("%v\n%s", err, out)
				}
			}
			b.ReportMetric(ms(total)/float64(b.N), "ms")
		})
	}
}
