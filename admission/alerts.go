package admission

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/keys"
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
	StartsAt    time.Time         `json:"startsAt"`
	Fingerprint string            `json:"fingerprint"`
}

// EnvironmentLabel is the alert label that, when present, must name the
// environment the notification is posted for.
const EnvironmentLabel = "environment"

// AlertResult is what was done about one model named by a notification.
type AlertResult struct {
	Model   string  `json:"model"`
	Outcome string  `json:"outcome"` // rolled-back, resolved, outside-window, already-rolled-back, refused, error
	Detail  string  `json:"detail"`
	Record  string  `json:"record,omitempty"`
	Index   *uint64 `json:"index,omitempty"` // the record's place in the ledger's log
	// Affected says, for each environment that requires this one, what the
	// rollback did to its champion: no longer admitted, and what to do.
	Affected []string `json:"affected,omitempty"`
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

// Why NewAlertReceiver refuses what it is given.
var (
	// ErrNotAdmitter is a rollback key whose records the webhook does not
	// count: its rollbacks would admit nothing.
	ErrNotAdmitter = errors.New("its rollbacks would not admit anything here")
	// ErrWeakToken is a bearer token too short to guess at, or not one token.
	ErrWeakToken = errors.New("want one token of at least 16 characters")
	// ErrNoWindow is a rollback window that is not a positive duration.
	ErrNoWindow = errors.New("the rollback window must be a positive duration")
)

// NewAlertReceiver receives alerts that roll back with sv, which must sign
// as a signer that may record rollbacks and whose records the webhook
// counts (one of the ledger's admitters), checking callers by token (the
// file's text: one token of 16 characters or more), within window.
func NewAlertReceiver(l *vsa.Ledger, sv signature.SignerVerifier, token []byte, window time.Duration) (*AlertReceiver, error) {
	if window <= 0 {
		return nil, ErrNoWindow
	}
	if _, err := l.Trust.SignerOf(sv, vsa.MayRecord[vsa.KindRollback]...); err != nil {
		return nil, err
	}
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, err
	}
	id, err := keys.KeyID(pub)
	if err != nil {
		return nil, err
	}
	if !l.Admitters[id] {
		return nil, ErrNotAdmitter
	}
	t := strings.TrimSpace(string(token))
	if len(t) < 16 || strings.ContainsAny(t, " \t\r\n") {
		return nil, ErrWeakToken
	}
	return &AlertReceiver{Ledger: l, Signer: sv, Token: []byte(t), Window: window}, nil
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
	for _, al := range n.Alerts {
		if other, ok := al.Labels[EnvironmentLabel]; ok && other != env {
			a.count(env, "wrong-environment")
			msg := fmt.Sprintf("modelgate: the alert %s is labelled %s=%s but was posted to /alerts/%s; nothing was rolled back: route it to /alerts/%s, or fix its labels",
				al.Labels["alertname"], EnvironmentLabel, other, env, other)
			a.log("alert refused", "environment", env, "group", n.GroupKey, "outcome", "wrong-environment", "detail", msg)
			http.Error(w, msg, http.StatusBadRequest)
			return
		}
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
		res := a.one(ctx, env, n.GroupKey, m, firing[m])
		if res.Outcome == "error" {
			failed = true
		}
		a.count(env, res.Outcome)
		a.log("alert", "environment", env, "group", n.GroupKey, "model", m, "outcome", res.Outcome, "detail", res.Detail, "record", res.Record, "affected", res.Affected)
		results = append(results, res)
	}
	return results, failed
}

// one acts on the firing alerts about one model. The ledger alone says
// what was done before: an alert identity (its group, fingerprint and
// start) rolls back once, whichever replica receives it and however often
// Alertmanager re-sends it; an alert that began before the current
// champion was promoted is about an earlier model.
func (a *AlertReceiver) one(ctx context.Context, env, groupKey, model string, alerts []Alert) AlertResult {
	res := AlertResult{Model: model}
	if len(alerts) == 0 {
		res.Outcome, res.Detail = "resolved", "no firing alert: nothing to do"
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	now := a.Now()
	first := firstAlert(alerts)
	id := &vsa.AlertRef{GroupKey: groupKey, Fingerprint: first.Fingerprint, StartsAt: attest.NormalTime(first.StartsAt)}
	if prior, err := a.Ledger.RollbackFor(ctx, model, env, id); err != nil {
		res.Outcome, res.Detail = "error", err.Error()
		return res
	} else if prior != nil {
		res.Outcome, res.Record = "repeat", prior.ID
		res.Detail = fmt.Sprintf("this alert (group %s, fingerprint %s, started %s) already rolled %s back in %s at %s: nothing more to do", groupKey, first.Fingerprint, id.StartsAt, model, env, attest.NormalTime(prior.Time))
		return res
	}
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
	if !first.StartsAt.IsZero() && first.StartsAt.Before(promoted.Time) {
		res.Outcome = "stale-alert"
		res.Detail = fmt.Sprintf("the alert began at %s, before the current champion sha256:%s was promoted in %s at %s: the alert began before the current champion was promoted, so it is about an earlier model; nothing was rolled back", id.StartsAt, champ.Subject.SHA256, env, attest.NormalTime(promoted.Time))
		return res
	}
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
	// The champions of the environments that require this one, before.
	type dependent struct {
		env   string
		champ *vsa.Admission
	}
	var before []dependent
	for _, e := range a.dependents(env) {
		c, _, err := a.Ledger.Champion(ctx, model, e, "", now)
		if err != nil {
			res.Outcome, res.Detail = "error", err.Error()
			return res
		}
		if c != nil {
			before = append(before, dependent{e, c})
		}
	}
	plan, err := a.Ledger.PlanRollback(ctx, model, env, "", now)
	if err != nil {
		res.Outcome, res.Detail = "refused", err.Error()
		return res
	}
	appended, err := a.Ledger.Rollback(ctx, a.Signer, plan, model, env, reason(alerts), id, now)
	if err != nil {
		res.Outcome, res.Detail = "error", err.Error()
		return res
	}
	res.Outcome, res.Record, res.Index = "rolled-back", appended.Record.ID, &appended.Index
	res.Detail = fmt.Sprintf("rolled %s back in %s from sha256:%s to sha256:%s", model, env, plan.From.Subject.SHA256, plan.To.Subject.SHA256)
	if a.Rolled != nil {
		a.Rolled()
	}
	// Another replica may have rolled back on the same alert first: the
	// log's order says whose rollback counts.
	if counted, err := a.Ledger.RollbackFor(ctx, model, env, id); err == nil && counted != nil && counted.ID != appended.Record.ID {
		res.Outcome, res.Record, res.Index = "repeat", counted.ID, &counted.Index
		res.Detail = fmt.Sprintf("this alert (group %s, fingerprint %s, started %s) was rolled back by another replica first (record %s); the record this one wrote changes nothing", groupKey, first.Fingerprint, id.StartsAt, counted.ID)
		return res
	}
	after := a.Now()
	for _, d := range before {
		ad, err := a.Ledger.Admits(ctx, d.champ.Subject, d.env, after)
		if err != nil || ad.Admitted() {
			continue
		}
		res.Affected = append(res.Affected, fmt.Sprintf("%s: its champion %s is no longer admitted (%s); promote a model through %s again, or roll %s back to a digest %s admits ('modelgate rollback --model %s --env %s --to DIGEST')",
			d.env, d.champ.Subject, ad.Reason(), env, d.env, env, model, d.env))
	}
	return res
}

// firstAlert is the alert that identifies a rollback: the earliest to start
// (ties by fingerprint), so every replica names the same one.
func firstAlert(alerts []Alert) Alert {
	first := alerts[0]
	for _, al := range alerts[1:] {
		if al.StartsAt.Before(first.StartsAt) || al.StartsAt.Equal(first.StartsAt) && al.Fingerprint < first.Fingerprint {
			first = al
		}
	}
	return first
}

// dependents are the environments that require env, directly or through
// another, in promotion order.
func (a *AlertReceiver) dependents(env string) []string {
	needs := map[string]bool{env: true}
	var out []string
	for changed := true; changed; {
		changed = false
		for _, e := range a.Ledger.View.Order {
			if needs[e] {
				continue
			}
			for _, r := range a.Ledger.View.Environments[e].Requires {
				if needs[r] {
					needs[e], changed = true, true
					out = append(out, e)
					break
				}
			}
		}
	}
	return out
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
