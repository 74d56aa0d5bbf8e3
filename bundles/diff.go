package bundles

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
)

// Change kinds. Tightened and loosened are judged in the threshold's own
// direction: a higher lower_bound, a lower upper_bound, a smaller change
// limit, more approvals, a shorter age, a larger slice set are tighter.
const (
	Added     = "added"
	Removed   = "removed"
	Changed   = "changed"
	Tightened = "tightened"
	Loosened  = "loosened"
)

// Change is one difference between two bundles.
type Change struct {
	Kind string `json:"kind"`
	Area string `json:"area"` // gate, threshold, inventory, environment, signer, revision
	What string `json:"what"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// Diff lists what changed from old to new.
func Diff(old, new *View) []Change {
	var out []Change
	add := func(kind, area, what, from, to string) {
		out = append(out, Change{Kind: kind, Area: area, What: what, From: from, To: to})
	}
	if old.Revision != new.Revision {
		add(Changed, "revision", "revision", old.Revision, new.Revision)
	}
	diffGates(old, new, add)
	for _, tier := range Tiers {
		diffSettings("tiers."+tier, flatten(toMap(old.Thresholds.Tiers[tier])), flatten(toMap(new.Thresholds.Tiers[tier])), add)
	}
	for _, m := range unionKeys(old.Thresholds.Models, new.Thresholds.Models) {
		diffSettings("models."+m, flatten(toMap(old.Thresholds.Models[m])), flatten(toMap(new.Thresholds.Models[m])), add)
	}
	rank := map[string]float64{"low": 1, "medium": 2, "high": 3}
	if old.Inventory.Default != new.Inventory.Default {
		add(direction(rank[new.Inventory.Default]-rank[old.Inventory.Default], true), "inventory", "default tier of unknown models", old.Inventory.Default, new.Inventory.Default)
	}
	for _, m := range unionKeys(old.Inventory.Models, new.Inventory.Models) {
		ot, oin := old.Inventory.Models[m]
		nt, nin := new.Inventory.Models[m]
		switch {
		case !oin:
			add(Added, "inventory", m, "", nt)
		case !nin:
			add(Removed, "inventory", m, ot, "")
		case ot != nt:
			add(direction(rank[nt]-rank[ot], true), "inventory", m+" tier", ot, nt)
		}
	}
	for _, e := range unionKeys(old.Environments, new.Environments) {
		o, oin := old.Environments[e]
		nw, nin := new.Environments[e]
		switch {
		case !oin:
			add(Added, "environment", e, "", strings.Join(nw.Requires, ","))
		case !nin:
			add(Removed, "environment", e, strings.Join(o.Requires, ","), "")
		default:
			diffSet("environment", e+" requires", o.Requires, nw.Requires, add)
		}
	}
	diffSigners(old, new, add)
	return out
}

// unionKeys lists the keys of both maps, sorted.
func unionKeys[V any](a, b map[string]V) []string {
	all := map[string]bool{}
	for k := range a {
		all[k] = true
	}
	for k := range b {
		all[k] = true
	}
	return sortedKeys(all)
}

// byKey indexes items by a key.
func byKey[T any](items []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(items))
	for _, it := range items {
		m[key(it)] = it
	}
	return m
}

func direction(delta float64, higherIsTighter bool) string {
	if (delta > 0) == higherIsTighter {
		return Tightened
	}
	return Loosened
}

func diffGates(old, new *View, add func(kind, area, what, from, to string)) {
	id := func(g GateInfo) string { return g.ID }
	o, nw := byKey(old.Gates, id), byKey(new.Gates, id)
	for _, id := range unionKeys(o, nw) {
		a, aok := o[id]
		b, bok := nw[id]
		switch {
		case !aok:
			add(Tightened, "gate", id+" added ("+b.Code+": "+b.Title+")", "", strings.Join(b.Tiers, ",")+" in "+strings.Join(b.Environments, ","))
			continue
		case !bok:
			add(Loosened, "gate", id+" removed ("+a.Code+": "+a.Title+")", strings.Join(a.Tiers, ",")+" in "+strings.Join(a.Environments, ","), "")
			continue
		}
		if a.Title != b.Title {
			add(Changed, "gate", id+" title", a.Title, b.Title)
		}
		if a.Code != b.Code {
			add(Changed, "gate", id+" code (waivers name it)", a.Code, b.Code)
		}
		if a.Description != b.Description {
			add(Changed, "gate", id+" description", a.Description, b.Description)
		}
		diffSet("gate", id+" tiers", a.Tiers, b.Tiers, add)
		diffSet("gate", id+" environments", a.Environments, b.Environments, add)
		if a.EffectiveOn != b.EffectiveOn {
			add(Changed, "gate", id+" effective_on", a.EffectiveOn, b.EffectiveOn)
		}
		if a.Source != b.Source {
			add(Changed, "gate", id+" rules ("+b.File+")", "", "")
		}
	}
}

// diffSet: members added tighten, members removed loosen.
func diffSet(area, what string, a, b []string, add func(kind, area, what, from, to string)) {
	as, bs := map[string]bool{}, map[string]bool{}
	for _, x := range a {
		as[x] = true
	}
	for _, x := range b {
		bs[x] = true
	}
	for _, x := range sortedKeys(bs) {
		if !as[x] {
			add(Tightened, area, what+" + "+x, strings.Join(a, ","), strings.Join(b, ","))
		}
	}
	for _, x := range sortedKeys(as) {
		if !bs[x] {
			add(Loosened, area, what+" - "+x, strings.Join(a, ","), strings.Join(b, ","))
		}
	}
}

// flatten turns settings into leaf paths.
func flatten(m map[string]any) map[string]any {
	out := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if mm, ok := v.(map[string]any); ok {
			for k, e := range mm {
				walk(prefix+"."+k, e)
			}
			return
		}
		out[strings.TrimPrefix(prefix, ".")] = v
	}
	walk("", m)
	return out
}

// higherIsTighter says, from a leaf's path, which way is tighter.
func higherIsTighter(path string) (bool, bool) {
	last := path[strings.LastIndex(path, ".")+1:]
	switch {
	case last == "lower_bound", strings.HasPrefix(path, "approvals."):
		return true, true
	case last == "upper_bound", last == "absolute", last == "relative", last == "min_size",
		last == "max_error_rate", last == "max_latency_p99_ms", last == "max_evidence_age_days", last == "max_vsa_age_days":
		return false, true
	}
	return false, false
}

func diffSettings(scope string, a, b map[string]any, add func(kind, area, what, from, to string)) {
	for _, p := range unionKeys(a, b) {
		av, aok := a[p]
		bv, bok := b[p]
		what := scope + "." + p
		if aok && bok && reflect.DeepEqual(av, bv) {
			continue
		}
		if al, ok := av.([]any); ok || isList(bv) {
			bl, _ := bv.([]any)
			diffSet("threshold", what, toStrings(al), toStrings(bl), add)
			continue
		}
		higher, known := higherIsTighter(p)
		switch {
		case !aok:
			add(Tightened, "threshold", what, "", show(bv))
		case !bok:
			add(Loosened, "threshold", what, show(av), "")
		case known:
			af, _ := av.(float64)
			bf, _ := bv.(float64)
			add(direction(bf-af, higher), "threshold", what, show(av), show(bv))
		default:
			add(Changed, "threshold", what, show(av), show(bv))
		}
	}
}

func isList(v any) bool { _, ok := v.([]any); return ok }

func toStrings(l []any) []string {
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = fmt.Sprint(x)
	}
	return out
}

func show(v any) string {
	if f, ok := v.(float64); ok {
		return n(f)
	}
	return fmt.Sprint(v)
}

func diffSigners(old, new *View, add func(kind, area, what, from, to string)) {
	id := func(s SignerInfo) string { return s.ID }
	o, nw := byKey(old.Signers, id), byKey(new.Signers, id)
	for _, id := range unionKeys(o, nw) {
		a, aok := o[id]
		b, bok := nw[id]
		switch {
		case !aok:
			add(Added, "signer", id, "", b.Identity+" ["+strings.Join(b.Roles, ",")+"] key "+b.KeyID)
		case !bok:
			add(Removed, "signer", id, a.Identity+" ["+strings.Join(a.Roles, ",")+"] key "+a.KeyID, "")
		default:
			if a.Identity != b.Identity {
				add(Changed, "signer", id+" identity", a.Identity, b.Identity)
			}
			if a.KeyID != b.KeyID {
				add(Changed, "signer", id+" key", a.KeyID, b.KeyID)
			}
			ar, br := append([]string(nil), a.Roles...), append([]string(nil), b.Roles...)
			sort.Strings(ar)
			sort.Strings(br)
			if !reflect.DeepEqual(ar, br) {
				add(Changed, "signer", id+" roles", strings.Join(ar, ","), strings.Join(br, ","))
			}
		}
	}
}

// DiffFormats lists what WriteDiff accepts.
var DiffFormats = []string{"text", "markdown", "json"}

// WriteDiff renders the changes.
func WriteDiff(w io.Writer, old, new *View, changes []Change, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if changes == nil {
			changes = []Change{}
		}
		return enc.Encode(map[string]any{"old": old.URI, "new": new.URI, "old_revision": old.Revision, "new_revision": new.Revision, "equal": len(changes) == 0, "changes": changes})
	case "text":
		if len(changes) == 0 {
			_, err := fmt.Fprintf(w, "%s and %s demand the same\n", old.URI, new.URI)
			return err
		}
		fmt.Fprintf(w, "%s (revision %s) → %s (revision %s): %d change(s)\n", old.URI, old.Revision, new.URI, new.Revision, len(changes))
		for _, c := range changes {
			fmt.Fprintf(w, "%-10s %-12s %s%s\n", strings.ToUpper(c.Kind), c.Area, c.What, arrow(c))
		}
		return nil
	case "markdown":
		fmt.Fprintf(w, "### Policy bundle changes: %s → %s\n\n", mdText(old.Revision), mdText(new.Revision))
		if len(changes) == 0 {
			_, err := fmt.Fprintln(w, "No change: both demand the same.")
			return err
		}
		fmt.Fprintln(w, "| change | area | what | from | to |\n|---|---|---|---|---|")
		for _, c := range changes {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", c.Kind, c.Area, mdText(c.What), mdText(c.From), mdText(c.To))
		}
		return nil
	}
	return fmt.Errorf("--format %q: use one of %s", format, strings.Join(DiffFormats, ", "))
}

func arrow(c Change) string {
	if c.From == "" && c.To == "" {
		return ""
	}
	return fmt.Sprintf(": %s → %s", orNone(c.From), orNone(c.To))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
