package output

import (
	"encoding/json"
	"io"
	"sort"

	"github.com/modelgate/modelgate/decision"
)

// SARIF 2.1.0, as code-scanning services read it.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool      `json:"tool"`
	Results    []sarifResult  `json:"results"`
	Properties map[string]any `json:"properties"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string    `json:"id"`
	Name             string    `json:"name"`
	ShortDescription sarifText `json:"shortDescription"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	Level     string          `json:"level"`
	Kind      string          `json:"kind,omitempty"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	Physical *sarifPhysical `json:"physicalLocation,omitempty"`
	Logical  []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	Artifact sarifArtifact `json:"artifactLocation"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifLogical struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

var sarifLevel = map[string]string{decision.Fail: "error", decision.Warn: "warning", decision.Waived: "note"}

// SARIF writes a run of modelgate with one rule per gate code and one result
// per gate that did not simply pass; the run's properties carry the
// verdict, tier, subject and environment.
func SARIF(w io.Writer, d *decision.Decision, version string) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: "modelgate", InformationURI: "https://modelgate.dev", Version: version, Rules: []sarifRule{}}},
		Properties: map[string]any{
			"verdict": verdict(d), "allow": d.Allow, "subject": Clean(d.Ref()), "environment": Clean(d.Environment),
			"tier": Clean(d.Tier), "tierSource": Clean(d.TierSource), "policy": Clean(d.Policy.URI), "policyDigest": Clean(d.Policy.Digest),
		},
		Results: []sarifResult{},
	}
	gates := append([]decision.Gate(nil), d.Gates...)
	sort.SliceStable(gates, func(i, j int) bool { return gates[i].Code < gates[j].Code })
	for _, g := range gates {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: Clean(g.Code), Name: Clean(g.ID), ShortDescription: sarifText{Clean(g.Title)}})
		level, ok := sarifLevel[g.Status]
		if !ok {
			continue
		}
		loc := sarifLocation{Logical: []sarifLogical{{Name: Clean(d.Ref()), Kind: "module"}}}
		if src := sourceOf(d, g); src != "" {
			loc.Physical = &sarifPhysical{Artifact: sarifArtifact{URI: src}}
		}
		r := sarifResult{RuleID: Clean(g.Code), Level: level, Message: sarifText{Clean(g.Status + ": " + g.Message)}, Locations: []sarifLocation{loc}}
		run.Results = append(run.Results, r)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}
