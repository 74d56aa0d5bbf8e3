package bundles

import "strings"

// Rule is one gate as it applies to a tier in an environment.
type Rule struct {
	ID          string   `json:"id"`
	Code        string   `json:"code"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	EffectiveOn string   `json:"effective_on,omitempty"`
	Thresholds  []string `json:"thresholds,omitempty"`
}

// Stage is every gate that applies to a tier in an environment.
type Stage struct {
	Environment string   `json:"environment"`
	Requires    []string `json:"requires,omitempty"`
	Tier        string   `json:"tier"`
	MaxVSAAge   *float64 `json:"max_vsa_age_days,omitempty"`
	Rules       []Rule   `json:"gates"`
}

// ModelRules is a model of the inventory, or with overrides, and what it
// is held to where its overrides change the tier's bar.
type ModelRules struct {
	Name      string   `json:"name"`
	Tier      string   `json:"tier"`
	Listed    bool     `json:"in_inventory"`
	Overrides []string `json:"overrides,omitempty"`
}

// Inspection is what a compliance officer reads: every gate per
// environment and tier with its thresholds in words, the models, the
// signers, the environments in promotion order.
type Inspection struct {
	*View
	Stages  []Stage      `json:"stages"`
	Models  []ModelRules `json:"models"`
	Metrics []string     `json:"metric_names"`
}

// Inspect reads a view into an inspection.
func Inspect(v *View) *Inspection {
	in := &Inspection{View: v}
	for _, env := range v.Order {
		for _, tier := range Tiers {
			s := v.Effective(tier, "")
			st := Stage{Environment: env, Requires: v.Environments[env].Requires, Tier: tier, MaxVSAAge: s.MaxVSAAgeDays}
			for _, g := range v.Gates {
				if !g.Applies(tier, env) {
					continue
				}
				st.Rules = append(st.Rules, Rule{ID: g.ID, Code: g.Code, Title: g.Title, Description: g.Description, EffectiveOn: g.EffectiveOn, Thresholds: Words(g.ID, s, env)})
			}
			in.Stages = append(in.Stages, st)
		}
	}
	names := map[string]bool{}
	for m := range v.Inventory.Models {
		names[m] = true
	}
	for m := range v.Thresholds.Models {
		names[m] = true
	}
	metrics := map[string]bool{}
	for _, tier := range Tiers {
		s := v.Thresholds.Tiers[tier]
		for m := range s.Metrics {
			metrics[m] = true
		}
		if s.Slices != nil {
			for m := range s.Slices.Metrics {
				metrics["slice "+m] = true
			}
		}
		for m := range s.Fairness {
			metrics["fairness "+m] = true
		}
	}
	for _, name := range sortedKeys(names) {
		tier, listed := v.TierOf(name)
		mr := ModelRules{Name: name, Tier: tier, Listed: listed}
		if _, ok := v.Thresholds.Models[name]; ok {
			eff := v.Effective(tier, name)
			for _, g := range []string{"metrics", "slices", "fairness", "smoke_test", "freshness"} {
				mr.Overrides = append(mr.Overrides, Words(g, eff, "")...)
			}
			for _, env := range v.Order {
				for _, w := range Words("approvals", eff, env) {
					mr.Overrides = append(mr.Overrides, env+": "+w)
				}
			}
		}
		in.Models = append(in.Models, mr)
	}
	for _, tier := range Tiers {
		for m := range v.Thresholds.Tiers[tier].Metrics {
			metrics[m] = true
		}
	}
	in.Metrics = sortedKeys(metrics)
	return in
}

// OrderWords says the promotion order, with what each environment requires.
func (in *Inspection) OrderWords() string {
	var parts []string
	for _, env := range in.Order {
		p := env
		if r := in.Environments[env].Requires; len(r) > 0 {
			p += " (requires " + strings.Join(r, ", ") + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " → ")
}
