package attest

import (
	"bytes"
	"embed"
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

//go:embed schemas/*.json
var schemaFS embed.FS

var schemaFiles = map[string]bool{
	"data-validation": true, "training": true, "evaluation": true, "approval": true,
	"risk": true, "smoke-test": true, "canary": true, "waiver": true,
}

const schemaBase = "https://modelgate.dev/schemas/"

var (
	schemasOnce sync.Once
	schemas     map[string]*jsonschema.Schema
	schemasErr  error
	schemaDocs  = map[string]any{} // each schema file's JSON, by URL, to describe a fault
)

// PrepareSchemas compiles the embedded schemas now rather than at the first
// validation; a command calls it in the background while it loads policy.
func PrepareSchemas() error {
	_, err := compileSchemas()
	return err
}

// compileSchemas compiles the embedded schemas once per process.
func compileSchemas() (map[string]*jsonschema.Schema, error) {
	schemasOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		entries, err := schemaFS.ReadDir("schemas")
		if err != nil {
			schemasErr = err
			return
		}
		for _, e := range entries {
			data, _ := schemaFS.ReadFile("schemas/" + e.Name())
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				schemasErr = fmt.Errorf("schema %s: %w", e.Name(), err)
				return
			}
			schemaDocs[schemaBase+e.Name()] = doc
			if err := c.AddResource(schemaBase+e.Name(), doc); err != nil {
				schemasErr = err
				return
			}
		}
		schemas = map[string]*jsonschema.Schema{}
		for name := range schemaFiles {
			s, err := c.Compile(schemaBase + name + ".json")
			if err != nil {
				schemasErr = fmt.Errorf("schema %s: %w", name, err)
				return
			}
			schemas[name] = s
		}
	})
	return schemas, schemasErr
}

// Schema returns the embedded JSON Schema source for a short type name.
func Schema(short string) ([]byte, bool) {
	data, err := schemaFS.ReadFile("schemas/" + short + ".json")
	return data, err == nil
}

// Fault is one place where a predicate breaks its schema.
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

// SchemaError lists every fault of a predicate against its schema.
type SchemaError struct {
	Type   string
	Faults []Fault
}

func (e *SchemaError) Error() string {
	parts := make([]string, len(e.Faults))
	for i, f := range e.Faults {
		parts[i] = f.String()
	}
	return fmt.Sprintf("predicate does not match the %s schema: %s", ShortName(e.Type), strings.Join(parts, "; "))
}

var printer = message.NewPrinter(language.English)

// ValidatePredicate checks a predicate (raw JSON) against the schema of its
// type. Types that are not modelgate's own are only checked to be JSON.
func ValidatePredicate(predicateType string, predicate []byte) error {
	_, err := decodePredicate(predicateType, predicate)
	return err
}

// decodePredicate parses a predicate once, numbers kept exact as
// json.Number, and checks a modelgate type against its schema.
func decodePredicate(predicateType string, predicate []byte) (any, error) {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(predicate))
	if err != nil {
		return nil, fmt.Errorf("predicate is not JSON: %w", err)
	}
	if err := checkValue(inst, 0, ""); err != nil {
		return nil, err
	}
	short := ShortName(predicateType)
	if short == "" {
		if predicateType == VSAType {
			if m, ok := inst.(map[string]any); ok {
				if s, ok := m["timeVerified"].(string); ok {
					n, err := NormaliseTime(s)
					if err != nil {
						return nil, fmt.Errorf("/timeVerified: %w", err)
					}
					m["timeVerified"] = n
				}
			}
		}
		return inst, nil
	}
	all, err := compileSchemas()
	if err != nil {
		return nil, err
	}
	if err := validateValue(predicateType, all[short], inst); err != nil {
		return nil, err
	}
	if err := normaliseTimes(short, inst); err != nil {
		return nil, err
	}
	return inst, nil
}

func validateValue(predicateType string, s *jsonschema.Schema, inst any) error {
	err := s.Validate(inst)
	if err == nil {
		return nil
	}
	faults := Faults(err)
	if faults == nil {
		return err
	}
	return &SchemaError{Type: predicateType, Faults: faults}
}

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
	node, ok := schemaDocs[base]
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
