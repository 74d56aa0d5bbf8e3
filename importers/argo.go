package importers

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Options an Argo Rollouts analysis lacks: the rollout's step says what
// share of traffic the canary had, and the analysis does not name the
// environment.
const (
	OptEnvironment    = "environment"
	OptTrafficPercent = "traffic percent"
)

// argoRun is the part of an argoproj.io/v1alpha1 AnalysisRun the importer
// reads (its status, as the controller writes it).
type argoRun struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Status struct {
		Phase         string    `json:"phase"`
		Message       string    `json:"message"`
		StartedAt     time.Time `json:"startedAt"`
		MetricResults []struct {
			Name         string `json:"name"`
			Phase        string `json:"phase"`
			Measurements []struct {
				Phase      string     `json:"phase"`
				Value      string     `json:"value"`
				StartedAt  *time.Time `json:"startedAt"`
				FinishedAt *time.Time `json:"finishedAt"`
			} `json:"measurements"`
		} `json:"metricResults"`
	} `json:"status"`
}

var firstNumber = regexp.MustCompile(`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|NaN|[-+]?Inf`)

// ArgoRollouts reads an Argo Rollouts AnalysisRun (as 'kubectl get
// analysisrun -o json' prints it) into a canary/v1 predicate: passed is its
// phase Successful; each metric's last measured value is the canary's, and
// a metric named control-NAME or NAME-control is the control's NAME; the
// duration runs from the analysis's start to its last measurement.
func ArgoRollouts(raw []byte, opts Options) (map[string]any, error) {
	const tool = "argo-rollouts"
	var run argoRun
	if err := json.Unmarshal(raw, &run); err != nil {
		return nil, fmt.Errorf("%s: not an AnalysisRun as JSON: %v", tool, err)
	}
	if run.Kind != "AnalysisRun" || !strings.HasPrefix(run.APIVersion, "argoproj.io/") {
		return nil, fmt.Errorf("%s: kind %q apiVersion %q: want an argoproj.io AnalysisRun ('kubectl get analysisrun NAME -o json')", tool, run.Kind, run.APIVersion)
	}
	switch run.Status.Phase {
	case "Successful", "Failed", "Error", "Inconclusive":
	case "", "Pending", "Running":
		return nil, fmt.Errorf("%s: the analysis %s is %s, not finished: import it once its phase is Successful, Failed, Error or Inconclusive", tool, run.Metadata.Name, orNone(run.Status.Phase))
	default:
		return nil, fmt.Errorf("%s: /status/phase %q is not an AnalysisRun phase", tool, run.Status.Phase)
	}
	if opts.Environment == "" {
		return nil, &MissingError{What: tool + ": an AnalysisRun does not name the environment", Option: OptEnvironment}
	}
	if opts.TrafficPercent == nil {
		return nil, &MissingError{What: tool + ": the canary's share of traffic is the rollout step's setWeight, not in the AnalysisRun", Option: OptTrafficPercent}
	}
	if run.Status.StartedAt.IsZero() {
		return nil, missing(tool, "status", "startedAt")
	}
	canary, control := map[string]any{}, map[string]any{}
	last := run.Status.StartedAt
	for _, m := range run.Status.MetricResults {
		var value any // null: no measurement, or not a number
		for _, ms := range m.Measurements {
			if ms.FinishedAt != nil && ms.FinishedAt.After(last) {
				last = *ms.FinishedAt
			}
		}
		if n := len(m.Measurements); n > 0 {
			if s := firstNumber.FindString(m.Measurements[n-1].Value); s != "" {
				if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
					value = f
				}
			}
		}
		switch name := m.Name; {
		case strings.HasPrefix(name, "control-"):
			control[strings.TrimPrefix(name, "control-")] = value
		case strings.HasSuffix(name, "-control"):
			control[strings.TrimSuffix(name, "-control")] = value
		default:
			canary[name] = value
		}
	}
	return map[string]any{
		"environment":     opts.Environment,
		"traffic_percent": *opts.TrafficPercent,
		"duration_s":      math.Round(last.Sub(run.Status.StartedAt).Seconds()),
		"control":         map[string]any{"metrics": control},
		"canary":          map[string]any{"metrics": canary},
		"passed":          run.Status.Phase == "Successful",
		"analyzed_at":     last.UTC().Format(time.RFC3339),
		"producer":        map[string]any{"tool": "argo-rollouts"},
	}, nil
}

func orNone(s string) string {
	if s == "" {
		return "without a phase"
	}
	return s
}
