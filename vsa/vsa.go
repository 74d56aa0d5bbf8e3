// Package vsa owns modelgate's Verification Summary Attestations, the
// promotion ledger's records: it builds and signs them (a decision, a
// rollback, a revocation), parses them through the in-toto attestation
// module's VSA type, and replays a model's records in an environment into
// its current state: champion, previous champions, revocations, rollbacks.
// Nothing else in modelgate reads a VSA.
package vsa

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	vsapb "github.com/in-toto/attestation/go/predicates/vsa/v1"
	ita1 "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
)

// VerifierID names modelgate as the verifier in its VSAs.
const VerifierID = "https://modelgate.dev/verifier/v1"

// Results, as a VSA says them.
const (
	Passed = "PASSED"
	Failed = "FAILED"
)

// Kinds of ledger record.
const (
	KindDecision   = "decision"
	KindRollback   = "rollback"
	KindRevocation = "revocation"
)

// ResourceURI names the target a record is for: the environment and the
// model, so a staging decision can never be replayed for production.
func ResourceURI(env, model string) string {
	return "modelgate://" + env + "/" + model
}

func key(name string) digest.Subject {
	sum := sha256.Sum256([]byte(name))
	return digest.Subject{Name: name, SHA256: hex.EncodeToString(sum[:])}
}

// ChampionKey is the extra subject under which every record for a model
// and environment is indexed, so its ledger is one lookup.
func ChampionKey(model, env string) digest.Subject {
	return key("modelgate-champion:" + model + ":" + env)
}

// ControlKey indexes a model's rollbacks and revocations in an environment:
// they are few, and are always read whole.
func ControlKey(model, env string) digest.Subject {
	return key("modelgate-control:" + model + ":" + env)
}

// ModelKey indexes every record of a model, in every environment.
func ModelKey(model string) digest.Subject { return key("modelgate-ledger:" + model) }

// VerifiedLevel is the level a PASSED decision records, e.g.
// MODELGATE_PRODUCTION_TIER_HIGH; custom levels never start with SLSA_.
func VerifiedLevel(env, tier string) string {
	clean := strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToUpper(env))
	return "MODELGATE_" + clean + "_TIER_" + strings.ToUpper(tier)
}

// Entry is what a record says besides the VSA's own fields, under the
// predicate's "modelgate" key.
type Entry struct {
	Kind        string           `json:"kind"`
	Environment string           `json:"environment"`
	Model       string           `json:"model"`
	Subject     string           `json:"subject"` // NAME@sha256:HEX
	Tier        string           `json:"tier"`
	TierSource  string           `json:"tier_source,omitempty"`
	Revision    string           `json:"policy_revision,omitempty"`
	Gates       []GateOutcome    `json:"gates,omitempty"`
	Approvers   []string         `json:"approvers,omitempty"`
	Rollback    *RollbackEntry   `json:"rollback,omitempty"`
	Revocation  *RevocationEntry `json:"revocation,omitempty"`
	// Previous is the id of the record its writer saw last for the same
	// model and environment ("" for the first): the ledger's chain.
	Previous string `json:"previous,omitempty"`
}

// GateOutcome is one gate's code and status in a decision.
type GateOutcome struct {
	ID     string `json:"id"`
	Code   string `json:"code"`
	Status string `json:"status"`
}

// RollbackEntry says which champion a rollback replaced, by which, and why.
type RollbackEntry struct {
	From   string `json:"from"`   // sha256:HEX
	To     string `json:"to"`     // sha256:HEX
	Reason string `json:"reason"` //
	VSA    string `json:"vsa"`    // the PASSED VSA of To it rests on
	// Alert is the alert that triggered it, when an alert did.
	Alert *AlertRef `json:"alert,omitempty"`
}

// AlertRef is an Alertmanager alert's identity: its group, its own
// fingerprint and when it started. A second rollback of one identity is a
// repeat of the first, whichever replica wrote it.
type AlertRef struct {
	GroupKey    string `json:"group_key"`
	Fingerprint string `json:"fingerprint"`
	StartsAt    string `json:"starts_at"`
}

// Key is the identity as one string.
func (a *AlertRef) Key() string { return a.GroupKey + "\x00" + a.Fingerprint + "\x00" + a.StartsAt }

// RevocationEntry says why a digest was revoked.
type RevocationEntry struct {
	Digest string `json:"digest"` // sha256:HEX
	Reason string `json:"reason"`
}

// Statement builds the VSA statement of a record about model@sha256 in env.
func Statement(model, sha string, env string, result string, levels []string, policy decision.Policy, inputs []string, e Entry, at time.Time) ([]byte, error) {
	summary := &vsapb.VerificationSummary{
		Verifier:           &vsapb.VerificationSummary_Verifier{Id: VerifierID},
		TimeVerified:       timestamppb.New(at),
		ResourceUri:        ResourceURI(env, model),
		Policy:             &vsapb.VerificationSummary_Policy{Uri: policy.URI, Digest: map[string]string{"sha256": digest.Hex(policy.Digest)}},
		VerificationResult: result,
		VerifiedLevels:     levels,
		SlsaVersion:        "1.1",
	}
	for _, id := range inputs {
		summary.InputAttestations = append(summary.InputAttestations, &vsapb.VerificationSummary_InputAttestation{
			Uri: id, Digest: map[string]string{"sha256": digest.Hex(id)},
		})
	}
	raw, err := protojson.Marshal(summary)
	if err != nil {
		return nil, err
	}
	var pred map[string]any
	if err := json.Unmarshal(raw, &pred); err != nil {
		return nil, err
	}
	e.Environment, e.Model, e.Subject, e.Revision = env, model, digest.Subject{Name: model, SHA256: sha}.String(), policy.Revision
	ext, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	var extMap map[string]any
	json.Unmarshal(ext, &extMap)
	pred["modelgate"] = extMap
	st, err := structpb.NewStruct(pred)
	if err != nil {
		return nil, err
	}
	keys := []digest.Subject{ChampionKey(model, env), ModelKey(model)}
	if e.Kind != KindDecision {
		keys = append(keys, ControlKey(model, env))
	}
	subjects := []*ita1.ResourceDescriptor{{Name: model, Digest: map[string]string{"sha256": sha}}}
	for _, k := range keys {
		subjects = append(subjects, &ita1.ResourceDescriptor{Name: k.Name, Digest: map[string]string{"sha256": k.SHA256}})
	}
	statement := &ita1.Statement{
		Type:          ita1.StatementTypeUri,
		Subject:       subjects,
		PredicateType: attest.VSAType,
		Predicate:     st,
	}
	return attest.MarshalStatement(statement)
}

// NewDecision builds the VSA statement of a decision. Each gate's code and
// status and the approvers ride along under "modelgate", so the record
// stands alone; previous is the id of the last record its writer saw.
func NewDecision(d *decision.Decision, inputs, approvers []string, previous string, at time.Time) ([]byte, error) {
	e := Entry{Kind: KindDecision, Tier: d.Tier, TierSource: d.TierSource, Approvers: approvers, Previous: previous}
	for _, g := range d.Gates {
		e.Gates = append(e.Gates, GateOutcome{ID: g.ID, Code: g.Code, Status: g.Status})
	}
	var levels []string
	if d.Allow {
		levels = []string{VerifiedLevel(d.Environment, d.Tier)}
	}
	return Statement(d.Subject.Name, d.Subject.Digest["sha256"], d.Environment, d.Result(), levels, d.Policy, inputs, e, at)
}

// Sign wraps a record's statement in a DSSE envelope.
// The key is named as DSSE's reference library derives its id, so that
// slsa-verifier's verify-vsa, given the gate's public key alone, matches it.
func Sign(ctx context.Context, sv signature.SignerVerifier, statement []byte) ([]byte, error) {
	return attest.SignForPeers(ctx, sv, statement)
}

// SignDecision builds and signs the VSA envelope for a decision.
func SignDecision(ctx context.Context, sv signature.SignerVerifier, d *decision.Decision, inputs, approvers []string, previous string, at time.Time) ([]byte, error) {
	st, err := NewDecision(d, inputs, approvers, previous, at)
	if err != nil {
		return nil, err
	}
	return Sign(ctx, sv, st)
}

// Record is one verified ledger entry.
type Record struct {
	ID          string   // sha256:HEX of its signed statement: re-encoded copies are one record
	Index       uint64   // its place in the log (the first, if appended twice)
	signerKey   string   // the key id that signed it
	Envelope    string   // the id of the envelope it was read from
	Tie         string   // sha256 of the signed predicate: orders records with one time, and no one can steer it without signing
	Signer      string   // the identity that signed it
	SignerRoles []string //
	Time        time.Time
	Result      string
	Digest      string // the model's sha256 HEX
	Levels      []string
	Policy      decision.Policy
	Inputs      []string
	Entry
}

// Ref is the record's model.
func (r *Record) Ref() digest.Subject { return digest.Subject{Name: r.Model, SHA256: r.Digest} }

// Parse reads a verified VSA's predicate (decoded JSON) through the
// in-toto VSA type. The record must be modelgate's, for the model and
// environment its resourceUri names, and name the digest among subjects.
func Parse(predicate any, subjects []string) (*Record, error) {
	raw, err := json.Marshal(predicate)
	if err != nil {
		return nil, err
	}
	return ParseRaw(raw, subjects)
}

// ParseRaw is Parse of the predicate's JSON as signed.
func ParseRaw(raw []byte, subjects []string) (*Record, error) {
	var summary vsapb.VerificationSummary
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, &summary); err != nil {
		return nil, fmt.Errorf("not a VSA: %v", err)
	}
	var ext struct {
		Modelgate Entry `json:"modelgate"`
	}
	if err := json.Unmarshal(raw, &ext); err != nil {
		return nil, fmt.Errorf("not a modelgate VSA: %v", err)
	}
	e := ext.Modelgate
	if e.Kind == "" {
		e.Kind = KindDecision // records made before kinds were named
	}
	if summary.GetVerifier().GetId() != VerifierID {
		return nil, fmt.Errorf("verifier %q is not modelgate", summary.GetVerifier().GetId())
	}
	if summary.GetTimeVerified() == nil {
		return nil, errors.New("VSA has no timeVerified")
	}
	ref, err := digest.ParseRef(e.Subject)
	if err != nil {
		return nil, fmt.Errorf("modelgate.subject: %v", err)
	}
	if e.Model == "" {
		e.Model = ref.Name
	}
	if ref.Name != e.Model || summary.GetResourceUri() != ResourceURI(e.Environment, e.Model) {
		return nil, fmt.Errorf("resourceUri %q does not name %s in %s", summary.GetResourceUri(), e.Model, e.Environment)
	}
	named := false
	for _, s := range subjects {
		named = named || s == ref.SHA256
	}
	if !named {
		return nil, fmt.Errorf("the statement does not name %s", ref)
	}
	switch e.Kind {
	case KindDecision:
	case KindRollback:
		if e.Rollback == nil || digest.Prefixed(ref.SHA256) != e.Rollback.To {
			return nil, errors.New("a rollback must name the digest it restores")
		}
	case KindRevocation:
		if e.Revocation == nil || digest.Prefixed(ref.SHA256) != e.Revocation.Digest {
			return nil, errors.New("a revocation must name the digest it revokes")
		}
	default:
		return nil, fmt.Errorf("unknown record kind %q", e.Kind)
	}
	r := &Record{
		Time: summary.GetTimeVerified().AsTime().UTC(), Result: summary.GetVerificationResult(), Digest: ref.SHA256,
		Levels: summary.GetVerifiedLevels(), Entry: e,
		Policy: decision.Policy{URI: summary.GetPolicy().GetUri(), Digest: digest.Prefixed(summary.GetPolicy().GetDigest()["sha256"]), Revision: e.Revision},
	}
	for _, in := range summary.GetInputAttestations() {
		r.Inputs = append(r.Inputs, in.GetUri())
	}
	sum := sha256.Sum256(raw)
	r.Tie = hex.EncodeToString(sum[:])
	return r, nil
}
