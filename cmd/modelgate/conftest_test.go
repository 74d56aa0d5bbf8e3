package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/testkit"
)

// conftest itself, on the input verify wrote, reports exactly the gates
// modelgate failed — waivers and each gate's tier and environment scoping
// included — for an allowed, a denied and a waived decision.
func TestConftestReportsExactlyModelgatesFailures(t *testing.T) {
	conftest := testkit.Tool(t, "conftest")
	r := newRun(t, "high")
	nan := func(m map[string]map[string]any) {
		m["training"]["loss"] = map[string]any{"final": 0.3, "nan_detected": true, "diverged": false}
		m["evaluation"]["metrics"] = map[string]any{"auc_roc": 0.8, "log_loss": 0.3}
	}
	denied := r.p.Envelopes(nan)
	waived := r.p.Envelopes(nan)
	waived["waiver"] = r.p.Waiver.Sign(r.p.Subject, "waiver", map[string]any{"rule": "MG-TRAIN", "environment": "production",
		"reason": "NaN in a discarded warm-up epoch", "ticket": "RISK-42", "expires_at": r.p.T(24 * 7)})
	for _, c := range []struct {
		name string
		envs map[string][]byte
		want []string // modelgate's failing codes
	}{
		{"allowed", r.p.Envelopes(nil), nil},
		{"denied", denied, []string{"MG-METRICS", "MG-TRAIN"}},
		{"waived", waived, []string{"MG-METRICS"}},
	} {
		in := filepath.Join(r.dir, c.name+"-input.json")
		code, d, stderr := r.verify(c.envs, "--input-out", in)
		if code == 2 {
			t.Fatalf("%s: %s", c.name, stderr)
		}
		var failed []string
		for _, g := range d.Gates {
			if g.Status == "fail" {
				failed = append(failed, g.Code)
			}
		}
		sort.Strings(failed)
		if strings.Join(failed, ",") != strings.Join(c.want, ",") {
			t.Fatalf("%s: modelgate failed %v, want %v", c.name, failed, c.want)
		}
		out, err := exec.Command(conftest, "test", in, "-p", r.policy, "-d", r.policy, "--no-color", "-o", "json").Output()
		var results []struct {
			Failures []struct{ Msg string }
			Warnings []struct{ Msg string }
		}
		if jerr := json.Unmarshal(out, &results); jerr != nil || len(results) != 1 {
			t.Fatalf("%s: conftest: %v %v\n%s", c.name, err, jerr, out)
		}
		var codes []string
		for _, f := range results[0].Failures {
			code, _, _ := strings.Cut(f.Msg, ":")
			codes = append(codes, code)
		}
		sort.Strings(codes)
		if strings.Join(codes, ",") != strings.Join(failed, ",") {
			t.Errorf("%s: conftest failed %v, modelgate %v", c.name, codes, failed)
		}
		if (err == nil) != (len(failed) == 0) {
			t.Errorf("%s: conftest exit %v with %d failures", c.name, err, len(failed))
		}
	}
}
