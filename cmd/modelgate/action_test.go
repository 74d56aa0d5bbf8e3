package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/modelgate/modelgate/testkit"
)

// action.yml's verify step, run as GitHub runs a composite action's step:
// its script under bash with the inputs in its env, RUNNER_TEMP,
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY set. A model the policy allows
// passes and its decision is an output; one it denies fails the step; no
// policy is refused.
func TestActionAsGitHubRunsIt(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testkit.RepoRoot(), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Runs struct {
			Steps []struct {
				ID  string            `json:"id"`
				Run string            `json:"run"`
				Env map[string]string `json:"env"`
			} `json:"steps"`
		} `json:"runs"`
	}
	if err := yaml.Unmarshal(raw, &action); err != nil {
		t.Fatal(err)
	}
	script, install := "", ""
	var env map[string]string
	for _, s := range action.Runs.Steps {
		switch s.ID {
		case "verify":
			script, env = s.Run, s.Env
		case "install":
			install = s.Run
		}
	}
	if script == "" || install == "" {
		t.Fatal("action.yml has no install or verify step")
	}
	// The install step as GitHub runs it: the action's checkout is
	// $GITHUB_ACTION_PATH, and Go's bin is on the PATH.
	bin := filepath.Join(t.TempDir(), "bin")
	build := exec.Command("bash", "-e", "-c", install)
	build.Env = append(os.Environ(), "GITHUB_ACTION_PATH="+testkit.RepoRoot(), "GOBIN="+bin, "PATH="+bin+":"+os.Getenv("PATH"))
	if out, err := build.CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "modelgate ") {
		t.Fatalf("the install step: %v %s", err, out)
	}
	r := newRun(t, "medium")
	store := filepath.Join(r.dir, "store")
	for name, e := range r.p.Envelopes(nil) {
		path := filepath.Join(r.dir, name+".json")
		os.WriteFile(path, e, 0o644)
		if code, _, stderr := runCLI("evidence", "add", "--store", "dir:"+store, path); code != 0 {
			t.Fatal(stderr)
		}
	}
	run := func(inputs map[string]string) (int, string, string) {
		t.Helper()
		temp := t.TempDir()
		output, summary := filepath.Join(temp, "output"), filepath.Join(temp, "summary")
		cmd := exec.Command("bash", "-e", "-c", script)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "RUNNER_TEMP="+temp, "GITHUB_OUTPUT="+output, "GITHUB_STEP_SUMMARY="+summary)
		for k, v := range env {
			// ${{ inputs.NAME }} as GitHub substitutes it.
			name := strings.TrimSuffix(strings.TrimPrefix(v, "${{ inputs."), " }}")
			cmd.Env = append(cmd.Env, k+"="+inputs[name])
		}
		out, _ := cmd.CombinedOutput()
		outputs, _ := os.ReadFile(output)
		return cmd.ProcessState.ExitCode(), string(out), string(outputs)
	}
	inputs := map[string]string{"subject": r.p.Subject.String(), "environment": "production", "policy": r.policy, "store": "dir:" + store}
	code, out, outputs := run(inputs)
	decisionPath, _ := strings.CutPrefix(strings.TrimSpace(outputs), "decision=")
	decision, _ := os.ReadFile(decisionPath)
	if code != 0 || !strings.Contains(string(decision), `"allow": true`) {
		t.Fatalf("an allowed model: exit %d\n%s\noutputs %q", code, out, outputs)
	}
	inputs["environment"] = "staging"
	other := map[string]string{}
	for k, v := range inputs {
		other[k] = v
	}
	other["subject"] = "fraud-scorer@sha256:" + strings.Repeat("cd", 32)
	if code, out, _ := run(other); code != 2 || !strings.Contains(out, "no evidence about sha256:") {
		t.Fatalf("a model with no evidence: exit %d\n%s", code, out)
	}
	// Denied: production needs approvals; none given.
	denied := map[string]string{"subject": r.p.Subject.String(), "environment": "production", "policy": r.policy, "store": "dir:" + store}
	os.RemoveAll(store)
	r.p.Ledger.Init(filepath.Join(store, "tlog")) // the ledger went with the store
	for name, e := range r.p.Envelopes(nil) {
		if strings.HasPrefix(name, "approval") {
			continue
		}
		path := filepath.Join(r.dir, name+".json")
		os.WriteFile(path, e, 0o644)
		runCLI("evidence", "add", "--store", "dir:"+store, path)
	}
	if code, out, _ := run(denied); code != 1 || !strings.Contains(out, "MG-APPROVALS") {
		t.Fatalf("a denied model: exit %d\n%s", code, out)
	}
	delete(denied, "policy")
	if code, out, _ := run(denied); code != 2 || !strings.Contains(out, "give the action a policy bundle (input 'policy')") {
		t.Fatalf("no policy: exit %d\n%s", code, out)
	}
}
