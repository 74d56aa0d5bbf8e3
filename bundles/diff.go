package bundles

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Change labels. Data is judged against the value a model actually gets:
// loosened lets some model through that was held before, tightened holds
// back some model that passed, changed is neither or both. Code is any
// change to the Rego outside the data: its effect is not judged.
const (
	Loosened  = "loosened"
	Tightened = "tightened"
	Changed   = "changed"
	Code      = "code"
)

// NotJudged is what a code change says of its effect.
const NotJudged = "review the code: its effect is not judged here"

// Change is one difference between two bundles.
type Change struct {
	Kind string `json:"kind"`
	Area string `json:"area"` // gate, threshold, model, inventory, environment, signer, code, file, revision
	What string `json:"what"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// DiffResult is what changed from one bundle to another.
type DiffResult struct {
	Old, New *View
	Changes  []Change
}

// Equal reports whether the bundles demand the same.
func (d *DiffResult) Equal() bool { return len(d.Changes) == 0 }

// Loosened counts the loosened changes and the code changes, whose
// effect is not judged.
func (d *DiffResult) Loosened() int {
	n := 0
	for _, c := range d.Changes {
		if c.Kind == Loosened || c.Kind == Code {
			n++
		}
	}
	return n
}

type adder func(kind, area, what, from, to string)

// Diff lists what changed from old to new, every file covered.
func Diff(old, new *View) *DiffResult {
	d := &DiffResult{Old: old, New: new}
	add := func(kind, area, what, from, to string) {
		d.Changes = append(d.Changes, Change{Kind: kind, Area: area, What: what, From: from, To: to})
	}
	if old.Revision != new.Revision {
		add(Changed, "revision", "revision", old.Revision, new.Revision)
	}
	diffGates(old, new, add)
	for _, tier := range Tiers {
		diffSettings("tiers."+tier, flatten(toMap(old.Thresholds.Tiers[tier])), flatten(toMap(new.Thresholds.Tiers[tier])), nil, add)
	}
	diffModels(old, new, add)
	diffInventory(old, new, add)
	diffEnvironments(old, new, add)
	diffSigners(old, new, add)
	diffCode(old, new, add)
	diffFiles(old, new, add)
	return d
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
	switch {
	case delta == 0:
		return Changed
	case (delta > 0) == higherIsTighter:
		return Tightened
	}
	return Loosened
}

func diffGates(old, new *View, add adder) {
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
			// The old code is gone: a waiver naming the new one may now lift it.
			add(Loosened, "gate", id+" code (waivers name it)", a.Code, b.Code)
		}
		if a.Description != b.Description {
			add(Changed, "gate", id+" description", a.Description, b.Description)
		}
		diffSet("gate", id+" tiers", a.Tiers, b.Tiers, add)
		diffSet("gate", id+" environments", a.Environments, b.Environments, add)
		if a.EffectiveOn != b.EffectiveOn {
			// A gate only warns before its effective_on: later is looser.
			add(dateDirection(a.EffectiveOn, b.EffectiveOn), "gate", id+" effective_on", a.EffectiveOn, b.EffectiveOn)
		}
	}
}

// dateDirection judges an effective_on moved from a to b ("" = in force).
func dateDirection(a, b string) string {
	at, _ := time.Parse(time.RFC3339, a)
	bt, _ := time.Parse(time.RFC3339, b)
	switch {
	case a == "":
		return Loosened
	case b == "":
		return Tightened
	case bt.After(at):
		return Loosened
	case bt.Before(at):
		return Tightened
	}
	return Changed
}

// diffSet: members added tighten, members removed loosen.
func diffSet(area, what string, a, b []string, add adder) {
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

// higherIsTighter says, from a leaf's path, which way is tighter; known
// is false for a leaf whose direction is not known.
func higherIsTighter(path string) (higher, known bool) {
	last := path[strings.LastIndex(path, ".")+1:]
	switch {
	case last == "required" && strings.HasPrefix(path, "signature."):
		return true, true
	case last == "lower_bound", strings.HasPrefix(path, "approvals."), last == "min_duration_s", last == "min_traffic_percent",
		last == "min_requests", last == "min_agreement_rate", last == "top_k":
		return true, true
	case last == "upper_bound", last == "absolute", last == "relative", last == "min_size",
		last == "max_error_rate", last == "max_latency_p99_ms", last == "max_p99_ms", last == "max_evidence_age_days", last == "max_vsa_age_days":
		// min_size: slices smaller than it are not judged.
		return false, true
	}
	return false, false
}

// diffSettings compares leaves of settings; only, when given, limits the
// comparison to those leaves (a model's overrides).
func diffSettings(scope string, a, b map[string]any, only map[string]bool, add adder) {
	for _, p := range unionKeys(a, b) {
		if only != nil && !only[p] {
			continue
		}
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
		if metric, ok := strings.CutSuffix(p, "higher_is_better"); ok {
			// Unset means true. A flip turns what counts as a regression
			// around. Against the direction the metric's own bounds show
			// (a floor alone: higher is better; a ceiling alone: lower is),
			// or with no such sign, it is loosened.
			if was, is := truth(av, aok), truth(bv, bok); was != is {
				_, floor := b[metric+"lower_bound"]
				_, ceiling := b[metric+"upper_bound"]
				kind := Loosened
				if floor != ceiling && is == floor {
					kind = Tightened
				}
				add(kind, "threshold", what+" (the metric's direction flipped)", showOr(av, aok, "true"), showOr(bv, bok, "true"))
			}
			continue
		}
		higher, known := higherIsTighter(p)
		switch {
		case !known:
			add(Changed, "threshold", what, showOr(av, aok, ""), showOr(bv, bok, ""))
		case !aok:
			add(Tightened, "threshold", what, "", show(bv))
		case !bok:
			add(Loosened, "threshold", what, show(av), "")
		default:
			add(direction(number(bv)-number(av), higher), "threshold", what, show(av), show(bv))
		}
	}
}

// number reads a threshold leaf as a number: a flag that requires
// something counts 1 when set.
func number(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

func truth(v any, ok bool) bool {
	b, isBool := v.(bool)
	return !ok || !isBool || b
}

func showOr(v any, ok bool, none string) string {
	if !ok {
		return none
	}
	return show(v)
}

// diffModels compares what each model with overrides actually gets: its
// tier's value with its overrides merged over, before and after, on every
// leaf an override sets on either side.
func diffModels(old, new *View, add adder) {
	for _, m := range unionKeys(old.Thresholds.Models, new.Thresholds.Models) {
		only := map[string]bool{}
		for p := range flatten(toMap(old.Thresholds.Models[m])) {
			only[p] = true
		}
		for p := range flatten(toMap(new.Thresholds.Models[m])) {
			only[p] = true
		}
		ot, _ := old.TierOf(m)
		nt, _ := new.TierOf(m)
		diffSettings("models."+m, flatten(toMap(old.Effective(ot, m))), flatten(toMap(new.Effective(nt, m))), only, add)
	}
}

func diffInventory(old, new *View, add adder) {
	if old.Inventory.Default != new.Inventory.Default {
		add(direction(float64(TierRank(new.Inventory.Default)-TierRank(old.Inventory.Default)), true), "inventory", "default tier of unknown models", old.Inventory.Default, new.Inventory.Default)
	}
	for _, m := range unionKeys(old.Inventory.Models, new.Inventory.Models) {
		ot, oin := old.TierOf(m)
		nt, nin := new.TierOf(m)
		what := m + " tier"
		switch {
		case !oin:
			what += " (listed; was the default)"
		case !nin:
			what += " (unlisted; now the default)"
		}
		if ot != nt || oin != nin {
			add(direction(float64(TierRank(nt)-TierRank(ot)), true), "inventory", what, ot, nt)
		}
	}
}

func diffEnvironments(old, new *View, add adder) {
	for _, e := range unionKeys(old.Environments, new.Environments) {
		o, oin := old.Environments[e]
		nw, nin := new.Environments[e]
		switch {
		case !oin:
			add(Changed, "environment", e+" declared", "", "requires "+orNone(strings.Join(nw.Requires, ",")))
		case !nin:
			add(Changed, "environment", e+" no longer declared", "requires "+orNone(strings.Join(o.Requires, ",")), "")
		default:
			diffSet("environment", e+" requires", o.Requires, nw.Requires, add)
		}
	}
}

// diffSigners: any widening of trust — a signer, a role, a key, an
// identity — is loosened; narrowing is tightened.
func diffSigners(old, new *View, add adder) {
	id := func(s SignerInfo) string { return s.ID }
	o, nw := byKey(old.Signers, id), byKey(new.Signers, id)
	for _, id := range unionKeys(o, nw) {
		a, aok := o[id]
		b, bok := nw[id]
		switch {
		case !aok:
			add(Loosened, "signer", id+" added", "", b.Identity+" ["+strings.Join(b.Roles, ",")+"] key "+b.KeyID)
			continue
		case !bok:
			add(Tightened, "signer", id+" removed", a.Identity+" ["+strings.Join(a.Roles, ",")+"] key "+a.KeyID, "")
			continue
		}
		if a.Identity != b.Identity {
			add(Loosened, "signer", id+" identity (separation of duties and approvals count identities)", a.Identity, b.Identity)
		}
		if a.KeyID != b.KeyID {
			what := id + " key (a new key is trusted)"
			if a.Keyless != nil || b.Keyless != nil {
				what = id + " keyless identity (other certificates are trusted)"
			}
			add(Loosened, "signer", what, a.KeyID, b.KeyID)
		}
		ar, br := map[string]bool{}, map[string]bool{}
		for _, r := range a.Roles {
			ar[r] = true
		}
		for _, r := range b.Roles {
			br[r] = true
		}
		for _, r := range sortedKeys(br) {
			if !ar[r] {
				add(Loosened, "signer", id+" role + "+r, strings.Join(a.Roles, ","), strings.Join(b.Roles, ","))
			}
		}
		for _, r := range sortedKeys(ar) {
			if !br[r] {
				add(Tightened, "signer", id+" role - "+r, strings.Join(a.Roles, ","), strings.Join(b.Roles, ","))
			}
		}
	}
}

// diffCode names every rule added, removed or changed in any Rego module
// that decides, whatever its package.
func diffCode(old, new *View, add adder) {
	path := func(m ModuleInfo) string { return m.Path }
	o, nw := byKey(old.Modules, path), byKey(new.Modules, path)
	for _, p := range unionKeys(o, nw) {
		a, b := o[p], nw[p]
		if a.code == b.code {
			continue // comments alone; a gate's METADATA is compared above
		}
		n := 0
		for _, r := range unionKeys(a.text, b.text) {
			at, aok := a.text[r]
			bt, bok := b.text[r]
			switch {
			case !aok:
				add(Code, "code", fmt.Sprintf("rule %s added in %s; %s", r, p, NotJudged), "", "")
			case !bok:
				add(Code, "code", fmt.Sprintf("rule %s removed from %s; %s", r, p, NotJudged), "", "")
			case at != bt:
				add(Code, "code", fmt.Sprintf("rule %s changed in %s; %s", r, p, NotJudged), "", "")
			default:
				continue
			}
			n++
		}
		if n == 0 {
			add(Code, "code", fmt.Sprintf("module %s changed outside its rules (imports, comments or metadata); %s", p, NotJudged), "", "")
		}
	}
}

// dataFiles are the data compared by meaning above.
var judgedFiles = map[string]bool{
	"modelgate/trust/data.yaml": true, "modelgate/tiers/data.yaml": true,
	"modelgate/environments/data.yaml": true, "modelgate/thresholds/data.yaml": true,
	".manifest": true, ".signatures.json": true,
}

// diffFiles covers every other file: a data file of any other path, a
// test, a stray file.
func diffFiles(old, new *View, add adder) {
	path := func(f FileInfo) string { return f.Path }
	o, nw := byKey(old.Files, path), byKey(new.Files, path)
	modules := map[string]bool{}
	for _, m := range append(append([]ModuleInfo(nil), old.Modules...), new.Modules...) {
		modules[m.Path] = true
	}
	for _, p := range unionKeys(o, nw) {
		a, aok := o[p]
		b, bok := nw[p]
		if judgedFiles[p] || modules[p] || (aok && bok && a.Digest == b.Digest) {
			continue
		}
		kind := Changed
		if strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") {
			kind = Code // data no modelgate schema reads: policy may read it
		}
		what := "file " + p
		if strings.HasSuffix(p, "_test.rego") {
			kind, what = Changed, "test "+p+" (tests do not decide)"
		} else if kind == Code {
			what = "data file " + p + " (no modelgate schema reads it; policy may); " + NotJudged
		}
		add(kind, "file", what, a.Digest, b.Digest)
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

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
