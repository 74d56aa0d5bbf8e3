package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/tlog"
	"github.com/modelgate/modelgate/vsa"
)

// Validator judges admission reviews from the promotion ledger.
type Validator struct {
	Ledger       *vsa.Ledger   // the ledger as the bundle trusts it (narrowed to the gate keys), read from the log it follows
	View         *bundles.View // tiers, thresholds, environments and their order
	Cache        *Cache
	TTL          time.Duration // how long a verdict is kept at most
	StoreTimeout time.Duration // how long one ledger read may take
	Metrics      *Metrics
	Now          func() time.Time
}

// WarnWithin is how close to its expiry an admitting decision warns.
const WarnWithin = 7 * 24 * time.Hour

// Review answers one admission request for an environment. It never
// allows on an error: every failure is a deny that says why.
func (v *Validator) Review(ctx context.Context, env string, req *admissionv1.AdmissionRequest) (*admissionv1.AdmissionResponse, Outcome) {
	var o Outcome
	resp := v.review(ctx, env, req, &o)
	return resp, o
}

// Outcome is what a review found and why it ended so, for the audit log.
type Outcome struct {
	Reason string   // the metrics' reason label
	Models []string // the model references judged
}

func (v *Validator) review(ctx context.Context, env string, req *admissionv1.AdmissionRequest, o *Outcome) *admissionv1.AdmissionResponse {
	resp := &admissionv1.AdmissionResponse{UID: req.UID}
	v.Metrics.Requests.WithLabelValues(env, req.Kind.Kind, string(req.Operation)).Inc()
	allow := func(reason string) *admissionv1.AdmissionResponse {
		resp.Allowed = true
		o.Reason = reason
		v.Metrics.Decisions.WithLabelValues("allowed", reason).Inc()
		return resp
	}
	deny := func(reason, msg string) *admissionv1.AdmissionResponse {
		resp.Allowed = false
		o.Reason = reason
		resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden, Message: msg}
		v.Metrics.Decisions.WithLabelValues("denied", reason).Inc()
		return resp
	}
	// Deleting never waits on the ledger, even under a misconfigured webhook.
	switch req.Operation {
	case admissionv1.Delete, admissionv1.Connect:
		return allow("operation")
	}
	if _, ok := v.View.Environments[env]; !ok {
		return deny("environment", fmt.Sprintf("modelgate: environment %q is not declared by the policy bundle (%s); label the namespace modelgate.dev/environment with one of %s", env, v.View.URI, strings.Join(v.View.Order, ", ")))
	}
	refs, err := objectRefs(req.Kind.Kind, req.Object.Raw)
	if err != nil {
		return deny("malformed", "modelgate: the "+req.Kind.Kind+" cannot be read: "+err.Error())
	}
	for _, r := range refs {
		o.Models = append(o.Models, r.String())
	}
	if req.Operation == admissionv1.Update && len(req.OldObject.Raw) > 0 {
		// A rollout, a rollback or a scale-down that brings no new model
		// never wedges: only models that were not there before are judged.
		if old, err := objectRefs(req.Kind.Kind, req.OldObject.Raw); err == nil && subset(refs, old) {
			return allow("unchanged")
		}
	}
	if len(refs) == 0 {
		return allow("no-model")
	}
	var denials []string
	reason := ""
	for _, r := range refs {
		verdict := v.Judge(ctx, env, r)
		if !verdict.Allowed {
			denials = append(denials, verdict.Message)
			if reason == "" {
				reason = verdict.Reason
			}
			continue
		}
		if verdict.Warning != "" {
			resp.Warnings = append(resp.Warnings, verdict.Warning)
		}
	}
	if len(denials) > 0 {
		resp.Warnings = nil
		return deny(reason, strings.Join(denials, "; "))
	}
	return allow("admitted")
}

func objectRefs(kind string, raw []byte) ([]Ref, error) {
	if len(raw) == 0 {
		return nil, errors.New("the request carries no object")
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	return FindRefs(kind, obj), nil
}

func subset(refs, old []Ref) bool {
	had := map[string]bool{}
	for _, r := range old {
		had[r.String()] = true
	}
	for _, r := range refs {
		if !had[r.String()] {
			return false
		}
	}
	return true
}

// Judge decides one model reference in an environment, from the cache or
// the ledger.
func (v *Validator) Judge(ctx context.Context, env string, r Ref) Verdict {
	if !r.Pinned() {
		return Verdict{Reason: "unpinned", Message: fmt.Sprintf("modelgate: the model reference %q at %s carries no digest: pin the model by digest (NAME@sha256:HEX in %s, or oci://REGISTRY/REPO@sha256:HEX)", r.Raw, r.Where, Annotation)}
	}
	key := env + "\x00" + r.Name + "\x00" + r.SHA256
	now := v.Now()
	// A ledger found rewritten, or followed no more within its staleness
	// bound, denies at once, whatever a verdict kept from before says.
	if _, err := v.Ledger.Book(ctx); err != nil {
		return v.failed(ctx, r, err)
	}
	if verdict, ok := v.Cache.Get(key, now); ok {
		v.Metrics.Cache.WithLabelValues("hit").Inc()
		return verdict
	}
	v.Metrics.Cache.WithLabelValues("miss").Inc()
	ctx, cancel := context.WithTimeout(ctx, v.StoreTimeout)
	defer cancel()
	verdict, expires, err := v.judge(ctx, env, r, now)
	if err != nil {
		return v.failed(ctx, r, err)
	}
	if limit := now.Add(v.TTL); expires.IsZero() || expires.After(limit) {
		expires = limit
	}
	v.Cache.Put(key, verdict, expires)
	return verdict
}

// failed is the deny for a ledger that could not answer, saying why.
func (v *Validator) failed(ctx context.Context, r Ref, err error) Verdict {
	{
		v.Metrics.StoreErrors.Inc()
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within %s", v.StoreTimeout)
		}
		var rewritten *tlog.RewrittenError
		if errors.As(err, &rewritten) {
			return Verdict{Reason: "ledger-rewritten", Message: "modelgate: " + err.Error()}
		}
		var stale *vsa.StaleError
		if errors.As(err, &stale) {
			return Verdict{Reason: "ledger-stale", Message: "modelgate: " + err.Error()}
		}
		return Verdict{Reason: "ledger", Message: fmt.Sprintf("modelgate: the ledger could not be read for %s (%v); modelgate fails closed: check the ledger, then retry", r.Subject, err)}
	}
}

// judge asks the ledger's one rule, and says what to do when it refuses.
func (v *Validator) judge(ctx context.Context, env string, r Ref, now time.Time) (Verdict, time.Time, error) {
	a, err := v.Ledger.Admits(ctx, r.Subject, env, now)
	if err != nil {
		return Verdict{}, time.Time{}, err
	}
	if err := ctx.Err(); err != nil {
		return Verdict{}, time.Time{}, err
	}
	if !a.Admitted() {
		verify := fmt.Sprintf("'modelgate verify --subject %s --env %s --vsa-key GATE_KEY'", r.Subject, env)
		msg := "modelgate: " + a.Reason()
		switch a.Refusal {
		case vsa.NotPromoted:
			msg += "; promote it with " + verify
		case vsa.Withdrawn, vsa.Expired, vsa.TierTooLow:
			msg += "; decide it again with " + verify
		case vsa.OutOfOrder:
			msg += "; promote it there first"
		}
		return Verdict{Reason: string(a.Refusal), Message: msg}, time.Time{}, nil
	}
	verdict := Verdict{Allowed: true, Reason: "admitted"}
	if expires := a.Expires; !expires.IsZero() && expires.Sub(now) < WarnWithin {
		w := fmt.Sprintf("modelgate: %s in %s expires in %dh; decide it again", r.Subject, env, int(expires.Sub(now).Hours()))
		if len(w) > 120 {
			w = fmt.Sprintf("modelgate: %s…@sha256:%s… in %s expires in %dh", clip(r.Name, 24), r.SHA256[:12], clip(env, 16), int(expires.Sub(now).Hours()))
		}
		verdict.Warning = w
	}
	return verdict, a.Expires, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
