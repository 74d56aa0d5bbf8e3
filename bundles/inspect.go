package bundles

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

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

// InspectFormats lists what WriteInspection accepts.
var InspectFormats = []string{"text", "markdown", "json", "html"}

// WriteInspection renders an inspection; html goes through page, the look
// decision reports share.
func WriteInspection(w io.Writer, in *Inspection, format string, page func(io.Writer, *Inspection) error) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(in)
	case "text":
		return inspectText(w, in)
	case "markdown":
		return inspectMarkdown(w, in)
	case "html":
		return page(w, in)
	}
	return fmt.Errorf("--format %q: use one of %s", format, strings.Join(InspectFormats, ", "))
}

func (in *Inspection) orderWords() string {
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

func inspectText(w io.Writer, in *Inspection) error {
	fmt.Fprintf(w, "bundle %s, revision %s\ndigest %s\n", in.URI, in.Revision, in.Digest)
	fmt.Fprintf(w, "environments, in promotion order: %s\n", in.orderWords())
	for _, st := range in.Stages {
		fmt.Fprintf(w, "\n%s, %s tier", st.Environment, st.Tier)
		if st.MaxVSAAge != nil {
			fmt.Fprintf(w, " (a PASSED decision admits the model for %s days)", n(*st.MaxVSAAge))
		}
		fmt.Fprintln(w)
		for _, r := range st.Rules {
			fmt.Fprintf(w, "  %-14s %s\n", r.Code, r.Title)
			if r.EffectiveOn != "" {
				fmt.Fprintf(w, "  %-14s denies from %s; warns before\n", "", r.EffectiveOn)
			}
			for _, t := range r.Thresholds {
				fmt.Fprintf(w, "  %-14s - %s\n", "", t)
			}
		}
	}
	fmt.Fprintf(w, "\nmodels (unknown models are %s tier)\n", in.Inventory.Default)
	for _, m := range in.Models {
		src := "inventory"
		if !m.Listed {
			src = "default"
		}
		fmt.Fprintf(w, "  %s: %s (%s)\n", m.Name, m.Tier, src)
		for _, o := range m.Overrides {
			fmt.Fprintf(w, "    - %s\n", o)
		}
	}
	fmt.Fprintf(w, "\nmetric names the thresholds expect: %s\n", strings.Join(in.Metrics, ", "))
	fmt.Fprintf(w, "\nsigners\n")
	if len(in.Signers) == 0 {
		fmt.Fprintln(w, "  none: the bundle trusts no key; add signers to modelgate/trust/data.yaml")
	}
	for _, s := range in.Signers {
		roles := append([]string(nil), s.Roles...)
		sort.Strings(roles)
		fmt.Fprintf(w, "  %-12s %-28s roles %-24s key %s\n", s.ID, s.Identity, strings.Join(roles, ","), s.KeyID)
	}
	return nil
}

func inspectMarkdown(w io.Writer, in *Inspection) error {
	fmt.Fprintf(w, "# Policy bundle %s\n\nRevision **%s**, digest `%s`.\n\nEnvironments, in promotion order: %s.\n", mdText(in.URI), mdText(in.Revision), in.Digest, mdText(in.orderWords()))
	for _, st := range in.Stages {
		fmt.Fprintf(w, "\n## %s, %s tier\n\n", mdText(st.Environment), st.Tier)
		if st.MaxVSAAge != nil {
			fmt.Fprintf(w, "A PASSED decision admits the model for %s days.\n\n", n(*st.MaxVSAAge))
		}
		fmt.Fprintln(w, "| code | gate | demands |")
		fmt.Fprintln(w, "|---|---|---|")
		for _, r := range st.Rules {
			demands := r.Description
			if len(r.Thresholds) > 0 {
				demands = strings.Join(r.Thresholds, "; ")
			}
			if r.EffectiveOn != "" {
				demands += " (denies from " + r.EffectiveOn + ")"
			}
			fmt.Fprintf(w, "| %s | %s | %s |\n", r.Code, mdText(r.Title), mdText(demands))
		}
	}
	fmt.Fprintf(w, "\n## Models\n\nUnknown models are **%s** tier.\n\n| model | tier | overrides |\n|---|---|---|\n", in.Inventory.Default)
	for _, m := range in.Models {
		fmt.Fprintf(w, "| %s | %s | %s |\n", mdText(m.Name), m.Tier, mdText(strings.Join(m.Overrides, "; ")))
	}
	fmt.Fprintf(w, "\nMetric names the thresholds expect: %s.\n\n## Signers\n\n| id | identity | roles | key |\n|---|---|---|---|\n", mdText(strings.Join(in.Metrics, ", ")))
	for _, s := range in.Signers {
		fmt.Fprintf(w, "| %s | %s | %s | `%s` |\n", mdText(s.ID), mdText(s.Identity), mdText(strings.Join(s.Roles, ", ")), s.KeyID)
	}
	return nil
}

func mdText(s string) string {
	return strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;", "\n", " ", "\r", " ").Replace(s)
}
