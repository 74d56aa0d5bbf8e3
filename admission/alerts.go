package admission

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/modelgate/modelgate/vsa"
)

// ModelLabel is the alert label that names the model to roll back.
const ModelLabel = "modelgate_model"

// MaxAlertBody bounds one Alertmanager notification.
const MaxAlertBody = 1 << 20

// Notification is the part of Alertmanager's webhook payload (version 4)
// the receiver reads.
type Notification struct {
	GroupKey string  `json:"groupKey"`
	Alerts   []Alert `json:"alerts"`
}

// Alert is one alert of a notification.
type Alert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// AlertResult is what was done about one model named by a notification.
type AlertResult struct {
	Model   string  `json:"model"`
	Outcome string  `json:"outcome"` // rolled-back, resolved, outside-window, already-rolled-back, refused, error
	Detail  string  `json:"detail"`
	Record  string  `json:"record,omitempty"`
	Index   *uint64 `json:"index,omitempty"` // the record's place in the ledger's log
}

// AlertReceiver turns firing alerts about a model promoted within Window
// into the same signed rollback record as 'modelgate rollback'.
type AlertReceiver struct {
	Ledger  *vsa.Ledger
	Signer  signature.SignerVerifier
	Token   []byte        // the bearer token callers must present
	Window  time.Duration // a promotion older than this is not rolled back
	Timeout time.Duration // bounds the ledger reads and the write
	Now     func() time.Time
	Metrics *Metrics
	Audit   *slog.Logger
	// Rolled is called after each rollback written (the webhook forgets
	// its cached verdicts).
	Rolled func()

	mu sync.Mutex // one notification at a time: two alerts never race to roll back
}

// ServeHTTP answers POST /alerts/{environment}.
func (a *AlertReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	env := r.PathValue("environment")
	if _, known := a.Ledger.View.Environments[env]; !known {
		env = "" // a label value only from the bundle's own names
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || len(a.Token) == 0 || subtle.ConstantTimeCompare([]byte(got), a.Token) != 1 {
		a.count(env, "unauthorised")
		a.log("alert refused", "environment", env, "outcome", "unauthorised", "remote", r.RemoteAddr)
		http.Error(w, "modelgate: a bearer token is required: configure Alertmanager's http_config.authorization with the token this server holds", http.StatusUnauthorized)
		return
	}
	if env == "" {
		a.count("", "unknown-environment")
		http.Error(w, fmt.Sprintf("modelgate: the bundle declares no environment %q: post to /alerts/{one of %s}", r.PathValue("environment"), strings.Join(a.Ledger.View.Order, ", ")), http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxAlertBody))
	var n Notification
	if err == nil {
		err = json.Unmarshal(body, &n)
	}
	if err != nil {
		a.count(env, "bad-request")
		http.Error(w, fmt.Sprintf("modelgate: the body is not an Alertmanager webhook notification of at most %d bytes", MaxAlertBody), http.StatusBadRequest)
		return
	}
	results, failed := a.Receive(r.Context(), env, &n)
	w.Header().Set("Content-Type", "application/json")
	if failed {
		// Alertmanager retries a notification answered 5xx.
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(map[string]any{"environment": env, "results": results})
}

// Receive acts on one notification: for each model a firing alert names,
// a rollback when its champion was promoted within the window. failed is
// true when a rollback that should happen could not be written.
func (a *AlertReceiver) Receive(ctx context.Context, env string, n *Notification) (results []AlertResult, failed bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// The models the notification names, each with its firing alerts.
	firing := map[string][]Alert{}
	var models []string
	for _, al := range n.Alerts {
		m := al.Labels[ModelLabel]
		if m == "" {
			continue
		}
		if _, ok := firing[m]; !ok {
			models = append(models, m)
			firing[m] = nil
		}
		if al.Status == "firing" {
			firing[m] = append(firing[m], al)
		}
	}
	sort.Strings(models)
	if len(models) == 0 {
		a.count(env, "no-model")
		a.log("alert ignored", "environment", env, "group", n.GroupKey, "outcome", "no-model", "detail", "no alert names a model in the label "+ModelLabel)
		return []AlertResult{{Outcome: "no-model", Detail: "no alert names a model in the label " + ModelLabel}}, false
	}
	for _, m := range models {
		res := a.one(ctx, env, m, firing[m])
		if res.Outcome == "error" {
			failed = true
		}
		a.count(env, res.Outcome)
		a.log("alert", "environment", env, "group", n.GroupKey, "model", m, "outcome", res.Outcome, "detail", res.Detail, "record", res.Record)
		results = append(results, res)
	}
	return results, failed
}

// one acts on the firing alerts about one model. The ledger alone says
// what was done before: a repeat of a notification that rolled back finds
// the rollback as the newest admitting record, inside the window or not.
func (a *AlertReceiver) one(ctx context.Context, env, model string, alerts []Alert) AlertResult {
	res := AlertResult{Model: model}
	if len(alerts) == 0 {
		res.Outcome, res.Detail = "resolved", "no firing alert: nothing to do"
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	now := a.Now()
	champ, _, err := a.Ledger.Champion(ctx, model, env, "", now)
	if err != nil {
		res.Outcome, res.Detail = "error", err.Error()
		return res
	}
	if champ == nil {
		res.Outcome, res.Detail = "refused", model+" has no champion in "+env+" to roll back from"
		return res
	}
	promoted := champ.Record
	if promoted.Kind == vsa.KindRollback && now.Sub(promoted.Time) <= a.Window {
		res.Outcome = "already-rolled-back"
		res.Detail = fmt.Sprintf("%s was rolled back in %s at %s, within the window: a second rollback waits for a person", model, env, promoted.Time.Format(time.RFC3339))
		return res
	}
	if age := now.Sub(promoted.Time); age > a.Window {
		res.Outcome = "outside-window"
		res.Detail = fmt.Sprintf("sha256:%s was promoted in %s at %s, %s ago, outside the %s window: roll back by hand if you mean it", champ.Subject.SHA256, env, promoted.Time.Format(time.RFC3339), age.Round(time.Second), a.Window)
		return res
	}
	plan, err := a.Ledger.PlanRollback(ctx, model, env, "", now)
	if err != nil {
		res.Outcome, res.Detail = "refused", err.Error()
		return res
	}
	appended, err := a.Ledger.Rollback(ctx, a.Signer, plan, model, env, reason(alerts), now)
	if err != nil {
		res.Outcome, res.Detail = "error", err.Error()
		return res
	}
	res.Outcome, res.Record, res.Index = "rolled-back", appended.Record.ID, &appended.Index
	res.Detail = fmt.Sprintf("rolled %s back in %s from sha256:%s to sha256:%s", model, env, plan.From.Subject.SHA256, plan.To.Subject.SHA256)
	if a.Rolled != nil {
		a.Rolled()
	}
	return res
}

// reason is the ledger's words for a rollback an alert triggered: each
// alert's name, labels and annotations.
func reason(alerts []Alert) string {
	var parts []string
	for _, al := range alerts {
		parts = append(parts, "alert "+al.Labels["alertname"]+" "+pairs(al.Labels)+" "+pairs(al.Annotations))
	}
	out := strings.Join(parts, "; ")
	if len(out) > 2000 {
		out = out[:2000] + "…"
	}
	return out
}

func pairs(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	b.WriteString("}")
	return b.String()
}

func (a *AlertReceiver) count(env, outcome string) {
	if a.Metrics != nil {
		a.Metrics.Alerts.WithLabelValues(env, outcome).Inc()
	}
}

func (a *AlertReceiver) log(msg string, args ...any) {
	if a.Audit != nil {
		a.Audit.Info(msg, args...)
	}
}
