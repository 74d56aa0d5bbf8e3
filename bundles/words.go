package bundles

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// n formats a threshold as people write it.
func n(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func pct(f float64) string { return n(f*100) + "%" }

// boundWords says a metric's bounds: "auc_roc at least 0.83".
func boundWords(name string, b Bound) string {
	switch {
	case b.LowerBound != nil && b.UpperBound != nil:
		return fmt.Sprintf("%s between %s and %s", name, n(*b.LowerBound), n(*b.UpperBound))
	case b.LowerBound != nil:
		return fmt.Sprintf("%s at least %s", name, n(*b.LowerBound))
	case b.UpperBound != nil:
		return fmt.Sprintf("%s at most %s", name, n(*b.UpperBound))
	}
	return name + " reported"
}

// regressionWords says a change limit in the metric's own direction:
// "at most 0.02 below the champion", "at most 5% above the champion".
func regressionWords(b Bound) string {
	if b.MaxRegression == nil {
		return ""
	}
	worse := "below"
	if b.HigherIsBetter != nil && !*b.HigherIsBetter {
		worse = "above"
	}
	var parts []string
	if r := b.MaxRegression.Absolute; r != nil {
		parts = append(parts, fmt.Sprintf("at most %s %s the champion", n(*r), worse))
	}
	if r := b.MaxRegression.Relative; r != nil {
		parts = append(parts, fmt.Sprintf("at most %s %s the champion", pct(*r), worse))
	}
	return strings.Join(parts, " and ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Words says, gate by gate, what the settings demand in an environment.
func Words(gate string, s Settings, env string) []string {
	var out []string
	switch gate {
	case "metrics":
		for _, name := range sortedKeys(s.Metrics) {
			b := s.Metrics[name]
			w := boundWords(name, b)
			if r := regressionWords(b); r != "" {
				w += ", and " + r
			}
			out = append(out, w)
		}
	case "regression":
		for _, name := range sortedKeys(s.Metrics) {
			if r := regressionWords(s.Metrics[name]); r != "" {
				out = append(out, name+" "+r)
			}
		}
		if len(out) == 0 {
			out = append(out, "no change limits against the champion")
		}
	case "slices":
		if s.Slices == nil {
			break
		}
		if len(s.Slices.Required) > 0 {
			out = append(out, "required slices: "+strings.Join(s.Slices.Required, ", "))
		}
		size := "every slice"
		if s.Slices.MinSize != nil {
			size = fmt.Sprintf("every slice of at least %s examples", n(*s.Slices.MinSize))
		}
		for _, name := range sortedKeys(s.Slices.Metrics) {
			out = append(out, size+": "+boundWords(name, s.Slices.Metrics[name]))
		}
	case "fairness":
		for _, name := range sortedKeys(s.Fairness) {
			f := s.Fairness[name]
			w := boundWords(name, Bound{LowerBound: f.LowerBound, UpperBound: f.UpperBound}) + " for every attribute reported"
			if len(f.Attributes) > 0 {
				w += "; reported for " + strings.Join(f.Attributes, ", ")
			}
			out = append(out, w)
		}
	case "approvals":
		c := s.Approvals[env]
		switch c {
		case 0:
			out = append(out, "no approvals needed; any rejection still denies")
		case 1:
			out = append(out, "1 approval from an approver who neither trained nor evaluated the model")
		default:
			out = append(out, fmt.Sprintf("%d approvals from distinct approvers, none of whom trained or evaluated the model", c))
		}
	case "smoke_test":
		var parts []string
		if s.Smoke != nil && s.Smoke.MaxErrorRate != nil {
			parts = append(parts, "error rate at most "+pct(*s.Smoke.MaxErrorRate))
		}
		if s.Smoke != nil && s.Smoke.MaxLatencyP99Ms != nil {
			parts = append(parts, "p99 latency at most "+n(*s.Smoke.MaxLatencyP99Ms)+" ms")
		}
		if len(parts) > 0 {
			out = append(out, "a passed staging smoke test: "+strings.Join(parts, ", "))
		}
	case "canary":
		if s.Canary == nil {
			out = append(out, "not required for this tier")
			break
		}
		w := "a passed canary analysis in " + env
		if c := s.Canary; c != nil {
			if c.MinDurationS != nil {
				w += fmt.Sprintf(", at least %s s long", n(*c.MinDurationS))
			}
			if c.MinTrafficPercent != nil {
				w += fmt.Sprintf(", on at least %s%% of traffic", n(*c.MinTrafficPercent))
			}
		}
		out = append(out, w)
		if c := s.Canary; c != nil {
			for _, name := range sortedKeys(c.Metrics) {
				b := c.Metrics[name]
				m := "canary " + boundWords(name, b)
				if r := regressionWords(b); r != "" {
					m += ", and " + strings.ReplaceAll(r, "the champion", "the control")
				}
				out = append(out, m)
			}
		}
	case "shadow":
		if sh := s.Shadow; sh != nil {
			w := "a passed shadow deployment beside the champion in " + env
			if sh.MinDurationS != nil {
				w += fmt.Sprintf(", at least %s s long", n(*sh.MinDurationS))
			}
			if sh.MinRequests != nil {
				w += fmt.Sprintf(", on at least %s requests", n(*sh.MinRequests))
			}
			out = append(out, w+" (a first deployment, with no champion, needs none)")
			if sh.MinAgreementRate != nil {
				out = append(out, "agreeing with the champion on at least "+pct(*sh.MinAgreementRate)+" of requests")
			}
			if sh.MaxLatencyP99Ms != nil {
				out = append(out, "shadow p99 latency at most "+n(*sh.MaxLatencyP99Ms)+" ms")
			}
			if sh.MaxErrorRate != nil {
				out = append(out, "shadow error rate at most "+pct(*sh.MaxErrorRate))
			}
		} else {
			out = append(out, "not required for this tier")
		}
	case "latency":
		if s.Latency != nil && s.Latency.MaxP99Ms != nil {
			out = append(out, "offline p99 latency in the evaluation at most "+n(*s.Latency.MaxP99Ms)+" ms")
		} else {
			out = append(out, "not required for this tier")
		}
	case "explanation":
		if e := s.Explanation; e != nil {
			k := 1.0
			if e.TopK != nil {
				k = *e.TopK
			}
			w := "an explanation of the model's attributions"
			if len(e.ProhibitedFeatures) > 0 {
				w += fmt.Sprintf(", with none of %s among its top %s features", strings.Join(e.ProhibitedFeatures, ", "), n(k))
			}
			out = append(out, w)
		} else {
			out = append(out, "not required for this tier")
		}
	case "signed":
		if s.Signature != nil && s.Signature.Required != nil && *s.Signature.Required {
			out = append(out, "an OpenSSF model signature by a training signer over exactly the model's files")
		} else {
			out = append(out, "not required for this tier")
		}
	case "freshness":
		if s.MaxEvidenceAgeDays != nil {
			out = append(out, fmt.Sprintf("judged evidence at most %s days old", n(*s.MaxEvidenceAgeDays)))
		}
	}
	return out
}
