// Package schemafault turns JSON Schema validation errors into faults a
// person can mend: each with its JSON path, and for a type fault the shape
// of the object that was expected.
package schemafault

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Fault is one concrete fault of a document against its schema.
type Fault struct {
	Path    string `json:"path"` // JSON pointer into the predicate, "" for its root
	Message string `json:"message"`
}

func (f Fault) String() string {
	p := f.Path
	if p == "" {
		p = "/"
	}
	return p + ": " + f.Message
}

var printer = message.NewPrinter(language.English)

// docs holds each schema's JSON, by URL, to describe a fault.
var docs sync.Map

// Register keeps a schema document so that faults against it can say
// what shape was expected.
func Register(url string, doc any) { docs.Store(url, doc) }

// Faults lists the concrete faults of a JSON Schema validation error, by
// path; nil when err is not a validation error.
func Faults(err error) []Fault {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return nil
	}
	var faults []Fault
	collectFaults(ve, &faults)
	sort.SliceStable(faults, func(i, j int) bool { return faults[i].Path < faults[j].Path })
	return faults
}

// expectedShape describes the object a type fault wanted: its fields, the
// required ones first, so a person can mend the predicate without reading
// the schema.
func expectedShape(schemaURL string) string {
	base, frag, _ := strings.Cut(schemaURL, "#")
	node, ok := docs.Load(base)
	if !ok {
		return ""
	}
	for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		if tok == "" {
			continue
		}
		m, ok := node.(map[string]any)
		if !ok {
			return ""
		}
		node = m[strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)]
	}
	m, ok := node.(map[string]any)
	if !ok {
		return ""
	}
	var required, optional []string
	for _, r := range asList(m["required"]) {
		required = append(required, fmt.Sprint(r))
	}
	props, _ := m["properties"].(map[string]any)
	for k := range props {
		if !slices.Contains(required, k) {
			optional = append(optional, k)
		}
	}
	if len(required)+len(optional) == 0 {
		return ""
	}
	sort.Strings(optional)
	parts := []string{}
	if len(required) > 0 {
		parts = append(parts, "required "+strings.Join(required, ", "))
	}
	if len(optional) > 0 {
		parts = append(parts, "optional "+strings.Join(optional, ", "))
	}
	return " (an object with fields: " + strings.Join(parts, "; ") + ")"
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// collectFaults keeps the leaves of the error tree: the concrete faults.
func collectFaults(ve *jsonschema.ValidationError, out *[]Fault) {
	if len(ve.Causes) == 0 {
		var b strings.Builder
		for _, tok := range ve.InstanceLocation {
			b.WriteByte('/')
			b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(tok))
		}
		msg := ve.ErrorKind.LocalizedString(printer)
		if _, isType := ve.ErrorKind.(*kind.Type); isType {
			msg += expectedShape(ve.SchemaURL)
		}
		*out = append(*out, Fault{Path: b.String(), Message: msg})
		return
	}
	for _, c := range ve.Causes {
		collectFaults(c, out)
	}
}
