package output

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/modelgate/modelgate/bundles"
)

// InspectFormats lists what WriteInspection accepts.
var InspectFormats = []string{"text", "markdown", "json", "html"}

// WriteInspection renders what a bundle demands for a compliance officer.
func WriteInspection(w io.Writer, in *bundles.Inspection, format string) error {
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
		return inspectHTML(w, in)
	}
	return fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(InspectFormats, ", "))
}

// inspectHTML writes a bundle's inspection in the reports' look.
func inspectHTML(w io.Writer, in *bundles.Inspection) error {
	return page().ExecuteTemplate(w, "inspect.html", struct {
		Title string
		CSS   template.CSS
		In    *bundles.Inspection
	}{"modelgate: policy bundle " + in.URI + " revision " + in.Revision, CSS(), in})
}

func fnum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func inspectText(w io.Writer, in *bundles.Inspection) error {
	fmt.Fprintf(w, "bundle %s, revision %s\ndigest %s\n", in.URI, in.Revision, in.Digest)
	fmt.Fprintf(w, "environments, in promotion order: %s\n", in.OrderWords())
	for _, st := range in.Stages {
		fmt.Fprintf(w, "\n%s, %s tier", st.Environment, st.Tier)
		if st.MaxVSAAge != nil {
			fmt.Fprintf(w, " (a PASSED decision admits the model for %s days)", fnum(*st.MaxVSAAge))
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
	fmt.Fprintf(w, "\nRego modules that decide, with the rules each defines\n")
	for _, m := range in.Modules {
		fmt.Fprintf(w, "  %s (%s)\n", m.Path, m.Package)
		for _, r := range m.Rules {
			fmt.Fprintf(w, "    %s\n", r)
		}
	}
	fmt.Fprintf(w, "\nfiles\n")
	for _, f := range in.Files {
		fmt.Fprintf(w, "  %s  %7d  %s\n", f.Digest, f.Size, f.Path)
	}
	return nil
}

func inspectMarkdown(w io.Writer, in *bundles.Inspection) error {
	fmt.Fprintf(w, "# Policy bundle %s\n\nRevision **%s**, digest `%s`.\n\nEnvironments, in promotion order: %s.\n", md(in.URI), md(in.Revision), in.Digest, md(in.OrderWords()))
	for _, st := range in.Stages {
		fmt.Fprintf(w, "\n## %s, %s tier\n\n", md(st.Environment), st.Tier)
		if st.MaxVSAAge != nil {
			fmt.Fprintf(w, "A PASSED decision admits the model for %s days.\n\n", fnum(*st.MaxVSAAge))
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
			fmt.Fprintf(w, "| %s | %s | %s |\n", r.Code, md(r.Title), md(demands))
		}
	}
	fmt.Fprintf(w, "\n## Models\n\nUnknown models are **%s** tier.\n\n| model | tier | overrides |\n|---|---|---|\n", in.Inventory.Default)
	for _, m := range in.Models {
		fmt.Fprintf(w, "| %s | %s | %s |\n", md(m.Name), m.Tier, md(strings.Join(m.Overrides, "; ")))
	}
	fmt.Fprintf(w, "\nMetric names the thresholds expect: %s.\n\n## Signers\n\n| id | identity | roles | key |\n|---|---|---|---|\n", md(strings.Join(in.Metrics, ", ")))
	for _, s := range in.Signers {
		fmt.Fprintf(w, "| %s | %s | %s | `%s` |\n", md(s.ID), md(s.Identity), md(strings.Join(s.Roles, ", ")), s.KeyID)
	}
	fmt.Fprintf(w, "\n## Rego modules\n\n| module | package | rules |\n|---|---|---|\n")
	for _, m := range in.Modules {
		fmt.Fprintf(w, "| %s | %s | %s |\n", md(m.Path), md(m.Package), md(strings.Join(m.Rules, ", ")))
	}
	fmt.Fprintf(w, "\n## Files\n\n| file | bytes | digest |\n|---|---|---|\n")
	for _, f := range in.Files {
		fmt.Fprintf(w, "| %s | %d | `%s` |\n", md(f.Path), f.Size, f.Digest)
	}
	return nil
}
