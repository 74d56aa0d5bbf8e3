package output

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"sync"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/gate"
)

//go:embed page.css page.html report.html inspect.html diff.html history.html
var pageFS embed.FS

// page is the look a decision report and a bundle's inspection share: one
// self-contained HTML page, its style inline, no script and no external
// asset, so it opens offline and from an artefact store alike. Parsed at
// first use, so that a command that writes no page does not pay for it.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page.html").Funcs(template.FuncMap{
		"clean":   Clean,
		"status":  statusClass,
		"short":   shortID,
		"bar":     Bar,
		"num":     num,
		"inc":     func(i int) int { return i + 1 },
		"join":    strings.Join,
		"typeOf":  shortType,
		"present": func(s string) bool { return s != "" },
		"upper":   strings.ToUpper,
	}).ParseFS(pageFS, "page.html", "report.html", "inspect.html", "diff.html", "history.html"))
})

// CSS is the pages' shared style.
func CSS() template.CSS {
	data, _ := pageFS.ReadFile("page.css")
	return template.CSS(data)
}

type reportView struct {
	Champion string
	Title    string
	CSS      template.CSS
	D        *decision.Decision
	Verdict  string
	ByID     map[string]decision.EvidenceRef
}

// HTML writes the decision as one self-contained page: the verdict first,
// then the subject, environment, tier and its source, the gates with their
// evidence, rejected envelopes, waivers, the policy, and charts of every
// judged metric, slice and fairness value against its bounds and the
// champion. Every string is escaped by html/template.
func HTML(w io.Writer, d *decision.Decision) error {
	d, err := cleaned(d)
	if err != nil {
		return err
	}
	byID := map[string]decision.EvidenceRef{}
	for _, e := range d.Evidence {
		byID[e.ID] = e
	}
	return page().ExecuteTemplate(w, "report.html", reportView{
		Title: fmt.Sprintf("modelgate: %s %s → %s", verdict(d), d.Ref(), d.Environment),
		CSS:   CSS(), D: d, Verdict: verdict(d), ByID: byID, Champion: championText(d),
	})
}

// cleaned is a copy of the decision with every string made printable, so
// no control character reaches the page either.
func cleaned(d *decision.Decision) (*decision.Decision, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	raw, err = json.Marshal(cleanAll(v))
	if err != nil {
		return nil, err
	}
	var out decision.Decision
	return &out, json.Unmarshal(raw, &out)
}

func cleanAll(v any) any {
	switch x := v.(type) {
	case string:
		return Clean(x)
	case map[string]any:
		for k, e := range x {
			x[k] = cleanAll(e)
		}
	case []any:
		for i, e := range x {
			x[i] = cleanAll(e)
		}
	}
	return v
}

// championText says which champion the decision compared against.
func championText(d *decision.Decision) string {
	var c struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
		Source string            `json:"source"`
	}
	if len(d.Champion) == 0 || string(d.Champion) == "null" || json.Unmarshal(d.Champion, &c) != nil || c.Digest["sha256"] == "" {
		return ""
	}
	return fmt.Sprintf("%s (from %s)", digest.Subject{Name: c.Name, SHA256: c.Digest["sha256"]}, c.Source)
}

func statusClass(s string) string {
	switch s {
	case decision.Pass, decision.Fail, decision.Warn, decision.Waived, decision.Skipped:
		return s
	}
	return "unknown"
}

func shortID(id string) string {
	if len(id) > 19 && strings.HasPrefix(id, "sha256:") {
		return id[:19] + "…"
	}
	return id
}

func shortType(uri string) string {
	uri = strings.TrimPrefix(uri, "https://modelgate.dev/attestation/")
	return strings.TrimSuffix(uri, "/v1")
}

func num(f *float64) string {
	if f == nil {
		return "NaN/missing"
	}
	return fmt.Sprintf("%.4g", *f)
}

// Bar draws one value against its bounds as inline SVG: the allowed band
// in green, the value as a dot (red when outside), the champion's value as
// a hollow diamond. Only numbers and fixed strings reach the markup.
func Bar(value *float64, lower, upper, baseline *float64) template.HTML {
	const width, height, pad = 320.0, 26.0, 12.0
	points := []float64{}
	for _, p := range []*float64{value, lower, upper, baseline} {
		if p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0) {
			points = append(points, *p)
		}
	}
	if len(points) == 0 {
		return template.HTML(`<svg class="bar" width="320" height="26" role="img" aria-label="no value"><text x="4" y="17">no value</text></svg>`)
	}
	lo, hi := points[0], points[0]
	for _, p := range points {
		lo, hi = math.Min(lo, p), math.Max(hi, p)
	}
	span := hi - lo
	if span == 0 {
		span = math.Max(math.Abs(hi), 1)
	}
	lo, hi = lo-span*0.15, hi+span*0.15
	x := func(v float64) float64 { return pad + (v-lo)/(hi-lo)*(width-2*pad) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="bar" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`, int(width), int(height), int(width), int(height))
	fmt.Fprintf(&b, `<line x1="%.1f" y1="13" x2="%.1f" y2="13" class="track"/>`, pad, width-pad)
	bandLo, bandHi := pad, width-pad
	if lower != nil {
		bandLo = x(*lower)
	}
	if upper != nil {
		bandHi = x(*upper)
	}
	if lower != nil || upper != nil {
		fmt.Fprintf(&b, `<rect x="%.1f" y="7" width="%.1f" height="12" class="band"/>`, bandLo, math.Max(bandHi-bandLo, 1))
	}
	for _, bound := range []*float64{lower, upper} {
		if bound != nil {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="4" x2="%.1f" y2="22" class="bound"/>`, x(*bound), x(*bound))
		}
	}
	if baseline != nil {
		bx := x(*baseline)
		fmt.Fprintf(&b, `<path d="M%.1f 7 L%.1f 13 L%.1f 19 L%.1f 13 Z" class="champion"><title>champion %.4g</title></path>`, bx, bx+6, bx, bx-6, *baseline)
	}
	if value != nil {
		inside := (lower == nil || *value >= *lower) && (upper == nil || *value <= *upper)
		class := "value-out"
		if inside {
			class = "value-in"
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="13" r="5" class="%s"><title>%.4g</title></circle>`, x(*value), class, *value)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func historyHTML(w io.Writer, h *History) error {
	return page().ExecuteTemplate(w, "history.html", struct {
		Title string
		CSS   template.CSS
		H     *History
	}{"modelgate: promotion ledger of " + h.Model + inEnvironment(h.Environment), CSS(), h})
}

// inspectHTML writes a bundle's inspection in the reports' look.
func inspectHTML(w io.Writer, in *bundles.Inspection) error {
	return page().ExecuteTemplate(w, "inspect.html", struct {
		Title string
		CSS   template.CSS
		In    *bundles.Inspection
	}{"modelgate: policy bundle " + in.URI + " revision " + in.Revision, CSS(), in})
}

func diffHTML(w io.Writer, c policyChange) error {
	return page().ExecuteTemplate(w, "diff.html", struct {
		Title  string
		CSS    template.CSS
		Diff   *bundles.DiffResult
		Replay *gate.ReplayResult
	}{"modelgate: policy change " + c.d.Old.Revision + " → " + c.d.New.Revision, CSS(), c.d, c.replay})
}
