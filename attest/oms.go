package attest

import (
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/modelgate/modelgate/internal/schemafault"
)

// The OpenSSF Model Signing specification v1.0's own JSON Schemas
// (ossf/model-signing-spec, schemas/v1.0), as published.
//
//go:embed oms/*.json
var omsFS embed.FS

var (
	omsOnce               sync.Once
	omsBundle, omsStateme *jsonschema.Schema
	omsErr                error
)

func omsSchemas() (*jsonschema.Schema, *jsonschema.Schema, error) {
	omsOnce.Do(func() {
		c := jsonschema.NewCompiler()
		entries, _ := omsFS.ReadDir("oms")
		for _, e := range entries {
			raw, _ := omsFS.ReadFile("oms/" + e.Name())
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				omsErr = fmt.Errorf("OMS schema %s: %w", e.Name(), err)
				return
			}
			id, _ := doc.(map[string]any)["$id"].(string)
			schemafault.Register(id, doc)
			if err := c.AddResource(id, doc); err != nil {
				omsErr = err
				return
			}
		}
		if omsBundle, omsErr = c.Compile("https://model_signing/bundle/v1.0/schema"); omsErr != nil {
			return
		}
		omsStateme, omsErr = c.Compile("https://model_signing/statement/v1.0/schema")
	})
	return omsBundle, omsStateme, omsErr
}

// CheckOMSBundle checks a model signature file against the OMS v1.0
// specification's schemas: the bundle (its verification material for the
// key, certificate or sigstore method, its DSSE envelope), then the signed
// statement and its predicate. The error names the first fault and where
// it is. It checks the form only: the signature is verified against the
// trust list, and the file list against the model, elsewhere.
func CheckOMSBundle(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("model signature: the file is empty")
	}
	bundleSchema, statementSchema, err := omsSchemas()
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("model signature: not JSON: %v", err)
	}
	m, _ := doc.(map[string]any)
	switch {
	case m == nil:
		return errors.New("model signature: not a JSON object")
	case m["dsseEnvelope"] == nil:
		return errors.New("model signature: the bundle has no dsseEnvelope: OMS v1.0 signs a DSSE envelope (§4)")
	case m["verificationMaterial"] == nil:
		return errors.New("model signature: the bundle has no verificationMaterial: OMS v1.0 names the key, certificate chain or Sigstore certificate that signed (§4.1)")
	}
	if vm, ok := m["verificationMaterial"].(map[string]any); ok && vm["certificate"] != nil {
		if tl, _ := vm["tlogEntries"].([]any); len(tl) == 0 {
			return errors.New("model signature: a Sigstore certificate with no tlogEntries: the sigstore method needs its transparency log entries (§4.1)")
		}
	}
	if err := bundleSchema.Validate(doc); err != nil {
		return fmt.Errorf("model signature: the bundle is not an OMS v1.0 bundle: %s", omsFault(err))
	}
	var env struct {
		Payload     string `json:"payload"`
		PayloadType string `json:"payloadType"`
	}
	raw, _ := json.Marshal(m["dsseEnvelope"])
	json.Unmarshal(raw, &env)
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return errors.New("model signature: the envelope's payload is not base64")
	}
	st, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("model signature: the signed statement is not JSON: %v", err)
	}
	if err := statementSchema.Validate(st); err != nil {
		return fmt.Errorf("model signature: the signed statement is not an OMS v1.0 statement: %s", omsFault(err))
	}
	return nil
}

// omsFault is a validation error's first fault, with its path.
func omsFault(err error) string {
	if fs := schemafault.Faults(err); len(fs) > 0 {
		parts := make([]string, 0, 2)
		for i, f := range fs {
			if i == 2 {
				break
			}
			parts = append(parts, f.String())
		}
		return strings.Join(parts, "; ")
	}
	return err.Error()
}
