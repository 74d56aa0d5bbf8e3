package bundles

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/modelgate/modelgate/keys"
)

// Tiers, from the loosest to the strictest: the one list of them in Go
// (lib.rego's tier_rank is checked against it by a test).
var Tiers = []string{"low", "medium", "high"}

// TierRank is a tier's place in Tiers, from 1; 0 for no tier.
func TierRank(tier string) int {
	for i, t := range Tiers {
		if t == tier {
			return i + 1
		}
	}
	return 0
}

// Regression is a change limit against the champion.
type Regression struct {
	Absolute *float64 `json:"absolute,omitempty"`
	Relative *float64 `json:"relative,omitempty"`
}

// Bound is one metric's limits.
type Bound struct {
	LowerBound     *float64    `json:"lower_bound,omitempty"`
	UpperBound     *float64    `json:"upper_bound,omitempty"`
	HigherIsBetter *bool       `json:"higher_is_better,omitempty"`
	MaxRegression  *Regression `json:"max_regression,omitempty"`
}

// Slices are the per-slice floors.
type Slices struct {
	MinSize  *float64         `json:"min_size,omitempty"`
	Required []string         `json:"required,omitempty"`
	Metrics  map[string]Bound `json:"metrics,omitempty"`
}

// Fairness is one fairness metric's band.
type Fairness struct {
	LowerBound *float64 `json:"lower_bound,omitempty"`
	UpperBound *float64 `json:"upper_bound,omitempty"`
	Attributes []string `json:"attributes,omitempty"`
}

// Smoke are the staging smoke test's limits.
type Smoke struct {
	MaxErrorRate    *float64 `json:"max_error_rate,omitempty"`
	MaxLatencyP99Ms *float64 `json:"max_latency_p99_ms,omitempty"`
}

// Canary is what a canary analysis must show: how long, on how much
// traffic, and each metric's bounds and change limit against the control.
type Canary struct {
	MinDurationS      *float64         `json:"min_duration_s,omitempty"`
	MinTrafficPercent *float64         `json:"min_traffic_percent,omitempty"`
	Metrics           map[string]Bound `json:"metrics,omitempty"`
}

// Shadow is what a shadow deployment beside the champion must show.
type Shadow struct {
	MinDurationS     *float64 `json:"min_duration_s,omitempty"`
	MinRequests      *float64 `json:"min_requests,omitempty"`
	MinAgreementRate *float64 `json:"min_agreement_rate,omitempty"`
	MaxLatencyP99Ms  *float64 `json:"max_latency_p99_ms,omitempty"`
	MaxErrorRate     *float64 `json:"max_error_rate,omitempty"`
}

// Latency bounds the evaluation's offline latency.
type Latency struct {
	MaxP99Ms *float64 `json:"max_p99_ms,omitempty"`
}

// Explanation names the features that may not be among the top attributions.
type Explanation struct {
	TopK               *float64 `json:"top_k,omitempty"`
	ProhibitedFeatures []string `json:"prohibited_features,omitempty"`
}

// Signature says whether a model signature over the model's files is required.
type Signature struct {
	Required *bool `json:"required,omitempty"`
}

// Settings are a tier's thresholds, or a model's overrides of them.
type Settings struct {
	Metrics            map[string]Bound    `json:"metrics,omitempty"`
	Slices             *Slices             `json:"slices,omitempty"`
	Fairness           map[string]Fairness `json:"fairness,omitempty"`
	Smoke              *Smoke              `json:"smoke,omitempty"`
	Canary             *Canary             `json:"canary,omitempty"`
	Shadow             *Shadow             `json:"shadow,omitempty"`
	Latency            *Latency            `json:"latency,omitempty"`
	Explanation        *Explanation        `json:"explanation,omitempty"`
	Signature          *Signature          `json:"signature,omitempty"`
	Approvals          map[string]int      `json:"approvals,omitempty"`
	MaxEvidenceAgeDays *float64            `json:"max_evidence_age_days,omitempty"`
	MaxVSAAgeDays      *float64            `json:"max_vsa_age_days,omitempty"`
}

// Thresholds are data.modelgate.thresholds.
type Thresholds struct {
	Tiers  map[string]Settings `json:"tiers"`
	Models map[string]Settings `json:"models,omitempty"`
}

// Inventory is data.modelgate.tiers.
type Inventory struct {
	Default string            `json:"default"`
	Models  map[string]string `json:"inventory"`
}

// GateInfo is a gate as its METADATA describes it.
type GateInfo struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Description  string   `json:"description"`
	Code         string   `json:"code"`
	Tiers        []string `json:"tiers"`
	Environments []string `json:"environments"`
	EffectiveOn  string   `json:"effective_on,omitempty"`
	File         string   `json:"file"`
}

// Applies reports whether the gate judges a tier in an environment.
func (g GateInfo) Applies(tier, env string) bool {
	return contains(g.Tiers, tier) && (contains(g.Environments, "*") || contains(g.Environments, env))
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// KeylessWords says which certificates a keyless signer trusts; it stands
// where a key's fingerprint would, so that any change to it shows in diff.
func KeylessWords(k *keys.Keyless) string {
	w := "keyless: issuer " + k.Issuer
	if k.Subject != "" {
		w += ", subject " + k.Subject
	} else {
		w += ", any subject matching ^(?:" + k.SubjectRegexp + ")$"
	}
	for _, name := range sortedKeys(k.Extensions) {
		w += ", " + name + " " + k.Extensions[name]
	}
	return w
}

// SignerInfo is a trusted signer with its key's fingerprint (or, keyless,
// the certificates it trusts).
type SignerInfo struct {
	Signer
	KeyID string `json:"key_id"`
}

// View is the typed reading of a bundle that inspect and diff share.
type View struct {
	URI          string                 `json:"uri"`
	Digest       string                 `json:"digest"`
	Revision     string                 `json:"revision"`
	Gates        []GateInfo             `json:"gates"`
	Environments map[string]Environment `json:"environments"`
	Order        []string               `json:"promotion_order"`
	Inventory    Inventory              `json:"inventory"`
	Thresholds   Thresholds             `json:"thresholds"`
	Signers      []SignerInfo           `json:"signers"`
	// Files are every file of the bundle with its digest; Modules the
	// Rego modules that decide, with the rules each defines.
	Files   []FileInfo   `json:"files"`
	Modules []ModuleInfo `json:"modules"`
}

// View reads the bundle's gates and data into their types.
func (b *Bundle) View() (*View, error) {
	if err := b.CheckData(); err != nil {
		return nil, err
	}
	v := &View{URI: b.URI, Digest: b.Digest, Revision: b.Revision}
	for _, part := range []struct {
		key string
		to  any
	}{{"environments", &v.Environments}, {"tiers", &v.Inventory}, {"thresholds", &v.Thresholds}} {
		raw, _ := b.Data("modelgate", part.key)
		data, err := json.Marshal(raw)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, part.to); err != nil {
			return nil, fmt.Errorf("policy bundle %s: modelgate/%s/data.yaml: %w", b.URI, part.key, err)
		}
	}
	signers, err := b.Signers()
	if err != nil {
		return nil, err
	}
	for _, s := range signers {
		info := SignerInfo{Signer: s}
		if s.Keyless != nil {
			info.KeyID = KeylessWords(s.Keyless)
		} else if s.X509 != nil {
			info.KeyID = "x509 PKI: " + strings.TrimSpace(s.X509.Subject+s.X509.SubjectRegexp+s.X509.Email)
		} else if slices.Contains(s.Roles, "ledger") {
			info.KeyID = "log " + strings.TrimSpace(s.PublicKey)
		} else if pk, err := keys.ParsePublicKey([]byte(s.PublicKey)); err == nil {
			info.KeyID = pk.KeyID
		}
		v.Signers = append(v.Signers, info)
	}
	sort.Slice(v.Signers, func(i, j int) bool { return v.Signers[i].ID < v.Signers[j].ID })
	v.Order = promotionOrder(v.Environments)
	v.Gates = gates(b)
	v.Files = b.fileInfos()
	v.Modules = b.moduleInfos()
	return v, nil
}

// promotionOrder lists environments so that each comes after those it requires.
func promotionOrder(envs map[string]Environment) []string {
	names := make([]string, 0, len(envs))
	for n := range envs {
		names = append(names, n)
	}
	sort.Strings(names)
	var order []string
	done := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if done[n] {
			return
		}
		done[n] = true
		for _, r := range envs[n].Requires {
			visit(r)
		}
		order = append(order, n)
	}
	// Environments nothing requires come last; staging before production by name.
	for _, n := range names {
		visit(n)
	}
	return order
}

// gates reads each gate package's METADATA.
func gates(b *Bundle) []GateInfo {
	var out []GateInfo
	for _, m := range b.b.Modules {
		if m.Parsed == nil {
			continue
		}
		path := m.Parsed.Package.Path.String()
		id, ok := strings.CutPrefix(path, "data.modelgate.gates.")
		if !ok {
			continue
		}
		for _, a := range m.Parsed.Annotations {
			if a.Scope != "package" {
				continue
			}
			g := GateInfo{ID: id, Title: a.Title, Description: a.Description, File: strings.TrimPrefix(m.Path, "/")}
			g.Code, _ = a.Custom["code"].(string)
			g.Tiers = strs(a.Custom["tiers"])
			g.Environments = strs(a.Custom["environments"])
			g.EffectiveOn, _ = a.Custom["effective_on"].(string)
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// Effective returns the thresholds a model is judged by at a tier: the
// tier's, with the model's overrides merged over them, as policy merges
// them (object.union: objects merge key by key, anything else replaces).
func (v *View) Effective(tier, model string) Settings {
	base := toMap(v.Thresholds.Tiers[tier])
	if o, ok := v.Thresholds.Models[model]; ok {
		base = union(base, toMap(o))
	}
	var s Settings
	data, _ := json.Marshal(base)
	json.Unmarshal(data, &s)
	return s
}

func toMap(s Settings) map[string]any {
	data, _ := json.Marshal(s)
	var m map[string]any
	json.Unmarshal(data, &m)
	return m
}

func union(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		am, aok := out[k].(map[string]any)
		bm, bok := v.(map[string]any)
		if aok && bok {
			out[k] = union(am, bm)
		} else {
			out[k] = v
		}
	}
	return out
}

// TierOf is a model's tier in the inventory, and whether it is listed.
func (v *View) TierOf(model string) (string, bool) {
	t, ok := v.Inventory.Models[model]
	if !ok {
		return v.Inventory.Default, false
	}
	return t, true
}
