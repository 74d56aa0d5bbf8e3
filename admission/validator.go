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

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/vsa"
)

// Validator judges admission reviews from the promotion ledger.
type Validator struct {
	Store        evidence.Store
	Trust        *facts.Trust  // the gate keys (gate role) and the bundle's revokers
	View         *bundles.View // tiers, thresholds, environments and their order
	Cache        *Cache
	TTL          time.Duration // how long a verdict is kept at most
	StoreTimeout time.Duration // how long one ledger read may take
	Metrics      *Metrics
	Now          func() time.Time
}

// WarnWithin is how close to its expiry an admitting decision warns.
const WarnWithin = 7 * 24 * time.Hour

var tierRank = map[string]int{"low": 1, "medium": 2, "high": 3}

// Review answers one admission request for an environment. It never
// allows on an error: every failure is a deny that says why.
func (v *Validator) Review(ctx context.Context, env string, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	resp := &admissionv1.AdmissionResponse{UID: req.UID}
	v.Metrics.Requests.WithLabelValues(env, req.Kind.Kind, string(req.Operation)).Inc()
	allow := func(reason string) *admissionv1.AdmissionResponse {
		resp.Allowed = true
		v.Metrics.Decisions.WithLabelValues("allowed", reason).Inc()
		return resp
	}
	deny := func(reason, msg string) *admissionv1.AdmissionResponse {
		resp.Allowed = false
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
		return Verdict{Reason: "unpinned", Message: fmt.Sprintf("modelgate: the model reference %q at %s is not pinned: pin the digest (NAME@sha256:HEX in %s, or oci://REGISTRY/REPO@sha256:HEX)", r.Raw, r.Where, Annotation)}
	}
	key := env + "\x00" + r.Name + "\x00" + r.Digest
	now := v.Now()
	if verdict, ok := v.Cache.Get(key, now); ok {
		v.Metrics.Cache.WithLabelValues("hit").Inc()
		return verdict
	}
	v.Metrics.Cache.WithLabelValues("miss").Inc()
	ctx, cancel := context.WithTimeout(ctx, v.StoreTimeout)
	defer cancel()
	verdict, expires, err := v.judge(ctx, env, r, now)
	if err != nil {
		v.Metrics.StoreErrors.Inc()
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within %s", v.StoreTimeout)
		}
		return Verdict{Reason: "store", Message: fmt.Sprintf("modelgate: the ledger in %s could not be read for %s (%v); modelgate fails closed: check the store, then retry", v.Store, r, err)}
	}
	if limit := now.Add(v.TTL); expires.IsZero() || expires.After(limit) {
		expires = limit
	}
	v.Cache.Put(key, verdict, expires)
	return verdict
}

// judge reads the digest's own records and the environments' rollbacks
// and revocations, and replays them.
func (v *Validator) judge(ctx context.Context, env string, r Ref, now time.Time) (Verdict, time.Time, error) {
	ref := r.String()
	envs, _, err := v.Store.Subject(ctx, r.Digest)
	if err != nil {
		return Verdict{}, time.Time{}, err
	}
	own, _ := vsa.FromFacts(facts.Collect(ctx, v.Trust, r.Digest, envs, now).Facts, r.Name, "")
	l := vsa.Ledger{Store: v.Store, Trust: v.Trust}
	state := func(e string) (*vsa.State, error) {
		control, err := l.Control(ctx, r.Name, e, now)
		if err != nil {
			return nil, err
		}
		records := append(control, own...)
		vsa.Order(records)
		return vsa.Replay(records, e, now), nil
	}
	s, err := state(env)
	if err != nil {
		return Verdict{}, time.Time{}, err
	}
	if err := ctx.Err(); err != nil {
		return Verdict{}, time.Time{}, err
	}
	deny := func(reason, format string, args ...any) (Verdict, time.Time, error) {
		return Verdict{Reason: reason, Message: "modelgate: " + fmt.Sprintf(format, args...)}, time.Time{}, nil
	}
	verify := fmt.Sprintf("'modelgate verify --subject %s --env %s --vsa-key GATE_KEY'", ref, env)
	if rv := s.Revoked[r.Digest]; rv != nil {
		return deny("revoked", "%s was revoked in %s at %s by %s: %s", ref, env, attest.NormalTime(rv.Time), rv.Signer, rv.Revocation.Reason)
	}
	passed := s.Passed[r.Digest]
	if passed == nil {
		return deny("not-promoted", "%s has no PASSED decision in %s signed by a gate key; promote it with %s", ref, env, verify)
	}
	if rb := s.RolledBack[r.Digest]; rb != nil {
		return deny("rolled-back", "%s was rolled back from in %s at %s (%s); the champion is %s", ref, env, attest.NormalTime(rb.Time), rb.Rollback.Reason, rb.Rollback.To)
	}
	modelTier, _ := v.View.TierOf(r.Name)
	if tierRank[passed.Tier] < tierRank[modelTier] {
		return deny("tier", "%s was decided at tier %s in %s, but %s is a %s-tier model: decide it again with %s", ref, passed.Tier, env, r.Name, modelTier, verify)
	}
	var expires time.Time
	if max := v.View.Effective(passed.Tier, r.Name).MaxVSAAgeDays; max != nil {
		expires = passed.Time.Add(time.Duration(*max * 24 * float64(time.Hour)))
		if !now.Before(expires) {
			return deny("expired", "the PASSED decision of %s in %s (%s) expired at %s: the %s tier admits for %v days; decide it again with %s", ref, env, attest.NormalTime(passed.Time), attest.NormalTime(expires), passed.Tier, *max, verify)
		}
	}
	for _, req := range v.View.Environments[env].Requires {
		rs, err := state(req)
		if err != nil {
			return Verdict{}, time.Time{}, err
		}
		if _, ok := rs.Admitted(r.Digest); !ok {
			return deny("promotion-order", "%s is not promoted through %s, which %s requires; promote it there first", ref, req, env)
		}
	}
	verdict := Verdict{Allowed: true, Reason: "admitted"}
	if !expires.IsZero() && expires.Sub(now) < WarnWithin {
		w := fmt.Sprintf("modelgate: %s in %s expires in %dh; decide it again", ref, env, int(expires.Sub(now).Hours()))
		if len(w) > 120 {
			w = fmt.Sprintf("modelgate: %s…@sha256:%s… in %s expires in %dh", clip(r.Name, 24), r.Digest[:12], clip(env, 16), int(expires.Sub(now).Hours()))
		}
		verdict.Warning = w
	}
	return verdict, expires, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
