package output_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/output"
	"github.com/modelgate/modelgate/testkit"
)

// Inspecting the default bundle names every gate and every threshold.
func TestInspectNamesEveryGateAndThreshold(t *testing.T) {
	v := testkit.BuiltinView(t)
	var buf bytes.Buffer
	if err := output.WriteInspection(&buf, bundles.Inspect(v), "text"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if len(v.Gates) != 18 {
		t.Fatalf("%d gates", len(v.Gates))
	}
	for _, g := range v.Gates {
		if !strings.Contains(out, g.Code) || !strings.Contains(out, g.Title) {
			t.Errorf("gate %s (%s) is not named", g.ID, g.Code)
		}
	}
	for _, want := range []string{
		"production, high tier (a PASSED decision admits the model for 90 days)",
		"auc_roc at least 0.83, and at most 0.02 below the champion",
		"log_loss at most 0.4, and at most 5% above the champion",
		"every slice of at least 500 examples: auc_roc at least 0.78",
		"disparate_impact_ratio between 0.8 and 1.25 for every attribute reported",
		"2 approvals from distinct approvers, none of whom trained or evaluated the model",
		"a passed staging smoke test: error rate at most 1%, p99 latency at most 250 ms",
		"judged evidence at most 30 days old",
		"a passed canary analysis in production",
		"a passed shadow deployment beside the champion in production, at least 3600 s long, on at least 10000 requests (a first deployment, with no champion, needs none)",
		"agreeing with the champion on at least 95% of requests",
		"offline p99 latency in the evaluation at most 100 ms",
		"an explanation of the model's attributions, with none of region, gender, age, postcode among its top 2 features",
		"not required for this tier",
		"auc_roc at least 0.7\n",
		"log_loss at most 0.5, and at most 10% above the champion",
		"fraud-scorer: high (inventory)",
		"metric names the thresholds expect: auc_roc, fairness disparate_impact_ratio, log_loss, slice auc_roc",
		"none: the bundle trusts no key",
		// Every module with the rules it defines, every file with its digest.
		"modelgate/gates/approvals.rego (data.modelgate.gates.approvals)\n    data.modelgate.gates.approvals.approvers\n",
		"    data.modelgate.gates.approvals.deny\n",
		"modelgate/lib/lib.rego (data.modelgate.lib)\n",
		"    data.modelgate.waivers\n",
		"  modelgate/thresholds/data.yaml\n",
		"  .manifest\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %q", want)
		}
	}
}
