package attest

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"sync"

	"github.com/modelgate/modelgate/internal/schemafault"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed schemas/*.json
var schemaFS embed.FS

const schemaBase = "https://modelgate.dev/schemas/"

var (
	schemasOnce sync.Once
	schemas     map[string]*jsonschema.Schema
	schemasErr  error
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
			schemafault.Register(schemaBase+e.Name(), doc)
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
type Fault = schemafault.Fault

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
func Faults(err error) []Fault { return schemafault.Faults(err) }
