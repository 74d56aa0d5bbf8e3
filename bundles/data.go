package bundles

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/modelgate/modelgate/internal/schemafault"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed schemas/*.json
var dataSchemaFS embed.FS

// dataFiles are the bundle's data documents that Go and policy rely on,
// each checked against its schema when the bundle loads.
var dataFiles = []string{"trust", "tiers", "environments", "thresholds"}

var (
	dataSchemasOnce sync.Once
	dataSchemas     map[string]*jsonschema.Schema
	dataSchemasErr  error
)

func compileDataSchemas() (map[string]*jsonschema.Schema, error) {
	dataSchemasOnce.Do(func() {
		c := jsonschema.NewCompiler()
		out := map[string]*jsonschema.Schema{}
		for _, name := range dataFiles {
			raw, err := dataSchemaFS.ReadFile("schemas/" + name + ".json")
			if err != nil {
				dataSchemasErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				dataSchemasErr = err
				return
			}
			url := "https://modelgate.dev/schemas/bundle/" + name + ".json"
			if err := c.AddResource(url, doc); err != nil {
				dataSchemasErr = err
				return
			}
			if out[name], err = c.Compile(url); err != nil {
				dataSchemasErr = err
				return
			}
		}
		dataSchemas = out
	})
	return dataSchemas, dataSchemasErr
}

// Environment is one declared environment.
type Environment struct {
	Requires []string `json:"requires,omitempty"`
}

// CheckData validates the bundle's data files against their schemas, then
// what a schema cannot say: every tier sets approvals for exactly the
// declared environments, and requires names declared environments without
// a cycle. A fault is an error naming the file and the JSON path.
func (b *Bundle) CheckData() error {
	b.checked.Do(func() { b.checkErr = b.checkData() })
	return b.checkErr
}

func (b *Bundle) checkData() error {
	schemas, err := compileDataSchemas()
	if err != nil {
		return err
	}
	for _, name := range dataFiles {
		file := "modelgate/" + name + "/data.yaml"
		raw, ok := b.Data("modelgate", name)
		if !ok {
			return fmt.Errorf("policy bundle %s has no %s; add it (see 'modelgate bundle init')", b.URI, file)
		}
		if err := ValidateData(schemas[name], raw); err != nil {
			return fmt.Errorf("policy bundle %s: %s: %w", b.URI, file, err)
		}
	}
	envs, err := b.Environments()
	if err != nil {
		return err
	}
	for name, e := range envs {
		for _, r := range e.Requires {
			if _, ok := envs[r]; !ok {
				return fmt.Errorf("policy bundle %s: modelgate/environments/data.yaml: /%s/requires names %q, which is not declared", b.URI, name, r)
			}
		}
		if cycle(envs, name, name, map[string]bool{}) {
			return fmt.Errorf("policy bundle %s: modelgate/environments/data.yaml: /%s/requires leads back to %s", b.URI, name, name)
		}
	}
	names := make([]string, 0, len(envs))
	for n := range envs {
		names = append(names, n)
	}
	sort.Strings(names)
	thresholds, _ := b.Data("modelgate", "thresholds")
	t := thresholds.(map[string]any)
	for _, tier := range Tiers {
		approvals, _ := t["tiers"].(map[string]any)[tier].(map[string]any)["approvals"].(map[string]any)
		for _, env := range names {
			if _, ok := approvals[env]; !ok {
				return fmt.Errorf("policy bundle %s: modelgate/thresholds/data.yaml: /tiers/%s/approvals sets no count for environment %s; every declared environment (%s) needs one, 0 for none", b.URI, tier, env, strings.Join(names, ", "))
			}
		}
	}
	check := func(where string, approvals map[string]any) error {
		for env := range approvals {
			if !slices.Contains(names, env) {
				return fmt.Errorf("policy bundle %s: modelgate/thresholds/data.yaml: %s/approvals/%s: environment %s is not declared in modelgate/environments/data.yaml (%s)", b.URI, where, env, env, strings.Join(names, ", "))
			}
		}
		return nil
	}
	for _, tier := range Tiers {
		approvals, _ := t["tiers"].(map[string]any)[tier].(map[string]any)["approvals"].(map[string]any)
		if err := check("/tiers/"+tier, approvals); err != nil {
			return err
		}
	}
	models, _ := t["models"].(map[string]any)
	for name, m := range models {
		approvals, _ := m.(map[string]any)["approvals"].(map[string]any)
		if err := check("/models/"+name, approvals); err != nil {
			return err
		}
	}
	return nil
}

func cycle(envs map[string]Environment, start, at string, seen map[string]bool) bool {
	for _, r := range envs[at].Requires {
		if r == start {
			return true
		}
		if !seen[r] {
			seen[r] = true
			if cycle(envs, start, r, seen) {
				return true
			}
		}
	}
	return false
}

// ValidateData checks a data document against a schema and returns every
// fault with its path.
func ValidateData(s *jsonschema.Schema, doc any) error {
	raw, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	if err := s.Validate(inst); err != nil {
		faults := schemafault.Faults(err)
		if faults == nil {
			return err
		}
		parts := make([]string, len(faults))
		for i, f := range faults {
			parts[i] = f.String()
		}
		return fmt.Errorf("%s", strings.Join(parts, "; "))
	}
	return nil
}

// Environments returns the declared environments.
func (b *Bundle) Environments() (map[string]Environment, error) {
	raw, ok := b.Data("modelgate", "environments")
	if !ok {
		return nil, fmt.Errorf("policy bundle %s declares no environments in modelgate/environments/data.yaml", b.URI)
	}
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var envs map[string]Environment
	if err := json.Unmarshal(data, &envs); err != nil {
		return nil, fmt.Errorf("policy bundle %s: modelgate/environments/data.yaml: %w", b.URI, err)
	}
	return envs, nil
}

// ValidEnvironmentName reports whether env can name an environment:
// lower-case letters, digits and '-', at most 63, starting with a letter
// or digit.
func ValidEnvironmentName(env string) bool { return envName.MatchString(env) }

var envName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// CheckEnvironment refuses an environment the bundle does not declare.
func (b *Bundle) CheckEnvironment(env string) error {
	envs, err := b.Environments()
	if err != nil {
		return err
	}
	if _, ok := envs[env]; ok {
		return nil
	}
	names := make([]string, 0, len(envs))
	for n := range envs {
		names = append(names, n)
	}
	sort.Strings(names)
	return &UnknownEnvironmentError{Env: env, URI: b.URI, Declared: names}
}

// UnknownEnvironmentError is an environment the bundle does not declare.
type UnknownEnvironmentError struct {
	Env, URI string
	Declared []string
}

func (e *UnknownEnvironmentError) Error() string {
	return fmt.Sprintf("%s: the policy bundle %s declares no such environment; use one of %s, or declare it in modelgate/environments/data.yaml", e.Env, e.URI, strings.Join(e.Declared, ", "))
}
