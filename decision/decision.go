// Package decision holds the decision document that policy returns and
// writes it for people and machines: text, json, junit, sarif, github.
package decision

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/modelgate/modelgate/digest"
)

// Gate statuses.
const (
	Pass    = "pass"
	Fail    = "fail"
	Warn    = "warn"
	Waived  = "waived"
	Skipped = "skipped"
)

// Subject is the model the decision is about.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Ref is the subject as modelgate's one model reference.
func (s Subject) Ref() digest.Subject {
	return digest.Subject{Name: s.Name, SHA256: s.Digest["sha256"]}
}

// Gate is one gate's outcome.
type Gate struct {
	ID       string   `json:"id"`
	Code     string   `json:"code"`
	Title    string   `json:"title"`
	Status   string   `json:"status"`
	Message  string   `json:"message"`
	Evidence []string `json:"evidence"`
	Waivers  []string `json:"waivers,omitempty"`
}

// EvidenceRef names a verified envelope the decision rests on.
type EvidenceRef struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Signer   string `json:"signer"`
	SignerID string `json:"signer_id"`
	Time     string `json:"time,omitempty"`
	Source   string `json:"source,omitempty"`
}

// Waiver is a waiver that applied, with each waiver envelope's terms.
type Waiver struct {
	Code     string          `json:"code"`
	Evidence []string        `json:"evidence"`
	Details  []WaiverDetails `json:"details,omitempty"`
}

// WaiverDetails is what one waiver envelope says.
type WaiverDetails struct {
	ID        string `json:"id"`
	Reason    string `json:"reason"`
	Ticket    string `json:"ticket,omitempty"`
	ExpiresAt string `json:"expires_at"`
	Signer    string `json:"signer"`
}

// Bounds are a threshold's limits as the bundle sets them.
type Bounds struct {
	LowerBound     *float64 `json:"lower_bound,omitempty"`
	UpperBound     *float64 `json:"upper_bound,omitempty"`
	HigherIsBetter *bool    `json:"higher_is_better,omitempty"`
	MaxRegression  *struct {
		Absolute *float64 `json:"absolute,omitempty"`
		Relative *float64 `json:"relative,omitempty"`
	} `json:"max_regression,omitempty"`
}

// Measurement is one judged value and the bounds it was judged against.
type Measurement struct {
	Evaluation string   `json:"evaluation"`
	Name       string   `json:"name"`
	Value      *float64 `json:"value"`
	Bounds     Bounds   `json:"bounds"`
	Baseline   *float64 `json:"baseline,omitempty"`
	Slice      string   `json:"slice,omitempty"`
	Size       float64  `json:"size,omitempty"`
	Attribute  string   `json:"attribute,omitempty"`
}

// Measurements are what a report charts.
type Measurements struct {
	Metrics  []Measurement `json:"metrics"`
	Slices   []Measurement `json:"slices"`
	Fairness []Measurement `json:"fairness"`
}

// Rejected is an envelope that did not count, and why.
type Rejected struct {
	ID     string `json:"id,omitempty"`
	Source string `json:"source"`
	Reason string `json:"reason"`
}

// Provenance is how the model was built, as SLSA provenance a training
// signer attested: the builder, the source and the run.
type Provenance struct {
	Evidence string `json:"evidence"`
	Signer   string `json:"signer"`
	Builder  string `json:"builder"`
	Source   string `json:"source"`
	Run      string `json:"run,omitempty"`
}

// Policy names the bundle that decided.
type Policy struct {
	URI      string `json:"uri"`
	Digest   string `json:"digest"`
	Revision string `json:"revision,omitempty"`
}

// Decision is data.modelgate.decision, with the policy that made it.
type Decision struct {
	Subject      Subject         `json:"subject"`
	Environment  string          `json:"environment"`
	Tier         string          `json:"tier"`
	TierSource   string          `json:"tier_source"`
	Allow        bool            `json:"allow"`
	Gates        []Gate          `json:"gates"`
	Champion     json.RawMessage `json:"champion"`
	Evidence     []EvidenceRef   `json:"evidence"`
	Rejected     []Rejected      `json:"rejected"`
	Waivers      []Waiver        `json:"waivers"`
	Measurements Measurements    `json:"measurements"`
	Provenance   []Provenance    `json:"provenance,omitempty"`
	// Approvers are the identities whose approvals the policy counted.
	Approvers   []string `json:"approvers,omitempty"`
	Policy      Policy   `json:"policy"`
	EvaluatedAt string   `json:"evaluated_at"`
}

// Parse reads the decision policy returned and checks that it can be
// trusted to say allow: an allow needs gates and no failing gate.
func Parse(data []byte) (*Decision, error) {
	var d Decision
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("policy returned a malformed decision: %w", err)
	}
	var probe map[string]json.RawMessage
	_ = json.Unmarshal(data, &probe)
	if string(probe["allow"]) != "true" && string(probe["allow"]) != "false" {
		return nil, errors.New("policy returned a decision without a boolean allow")
	}
	if d.Tier == "" {
		return nil, errors.New("policy returned a decision without a tier")
	}
	for _, g := range d.Gates {
		switch g.Status {
		case Pass, Warn, Waived, Skipped:
		case Fail:
			if d.Allow {
				return nil, fmt.Errorf("policy allowed although gate %s failed", g.ID)
			}
		default:
			return nil, fmt.Errorf("policy returned gate %s with status %q; use pass, fail, warn, waived or skipped", g.ID, g.Status)
		}
	}
	if d.Allow && len(d.Gates) == 0 {
		return nil, errors.New("policy allowed without judging any gate")
	}
	return &d, nil
}

// Ref formats the subject as NAME@sha256:HEX.
func (d *Decision) Ref() string { return d.Subject.Ref().String() }

// Result is PASSED or FAILED, as a VSA says it.
func (d *Decision) Result() string {
	if d.Allow {
		return "PASSED"
	}
	return "FAILED"
}
