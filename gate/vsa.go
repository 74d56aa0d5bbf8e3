package gate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	vsa "github.com/in-toto/attestation/go/predicates/vsa/v1"
	ita1 "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
)

// VerifierID names modelgate as the verifier in its VSAs.
const VerifierID = "https://modelgate.dev/verifier/v1"

// ResourceURI names the target a decision is for: the environment and the
// model, so a staging decision can never be replayed for production.
func ResourceURI(env, model string) string {
	return "modelgate://" + env + "/" + model
}

// ChampionKey is the extra subject under which PASSED decisions for a model
// and environment are indexed, so the champion is found with one lookup.
func ChampionKey(model, env string) digest.Subject {
	name := "modelgate-champion:" + model + ":" + env
	sum := sha256.Sum256([]byte(name))
	return digest.Subject{Name: name, SHA256: hex.EncodeToString(sum[:])}
}

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

// NewVSA builds the SLSA VSA v1 statement for a decision. Each gate's code
// and status ride along under "modelgate", so the record stands alone.
func NewVSA(d *decision.Decision, inputs []string, at time.Time) ([]byte, error) {
	summary := &vsa.VerificationSummary{
		Verifier:           &vsa.VerificationSummary_Verifier{Id: VerifierID},
		TimeVerified:       timestamppb.New(at),
		ResourceUri:        ResourceURI(d.Environment, d.Subject.Name),
		Policy:             &vsa.VerificationSummary_Policy{Uri: d.Policy.URI, Digest: map[string]string{"sha256": strings.TrimPrefix(d.Policy.Digest, "sha256:")}},
		VerificationResult: d.Result(),
		SlsaVersion:        "1.1",
	}
	if d.Allow {
		summary.VerifiedLevels = []string{VerifiedLevel(d.Environment, d.Tier)}
	}
	for _, id := range inputs {
		summary.InputAttestations = append(summary.InputAttestations, &vsa.VerificationSummary_InputAttestation{
			Uri: id, Digest: map[string]string{"sha256": strings.TrimPrefix(id, "sha256:")},
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
	gates := make([]any, len(d.Gates))
	for i, g := range d.Gates {
		gates[i] = map[string]any{"id": g.ID, "code": g.Code, "status": g.Status}
	}
	pred["modelgate"] = map[string]any{
		"environment": d.Environment, "tier": d.Tier, "tier_source": d.TierSource,
		"subject": d.Ref(), "gates": gates,
	}
	st, err := structpb.NewStruct(pred)
	if err != nil {
		return nil, err
	}
	champ := ChampionKey(d.Subject.Name, d.Environment)
	statement := &ita1.Statement{
		Type: ita1.StatementTypeUri,
		Subject: []*ita1.ResourceDescriptor{
			{Name: d.Subject.Name, Digest: map[string]string{"sha256": d.Subject.Digest["sha256"]}},
			{Name: champ.Name, Digest: map[string]string{"sha256": champ.SHA256}},
		},
		PredicateType: attest.VSAType,
		Predicate:     st,
	}
	return attest.MarshalStatement(statement)
}

// SignVSA builds and signs the VSA envelope for a decision.
func SignVSA(ctx context.Context, sv signature.SignerVerifier, d *decision.Decision, inputs []string, at time.Time) ([]byte, error) {
	st, err := NewVSA(d, inputs, at)
	if err != nil {
		return nil, err
	}
	return attest.Sign(ctx, sv, st)
}

// FindChampion returns the model of the newest PASSED VSA for the model name
// and environment, signed by a trusted gate key, other than the candidate
// itself. The VSAs are verified in parallel, like any evidence.
func FindChampion(ctx context.Context, store evidence.Store, trust *facts.Trust, candidate digest.Subject, env string, now time.Time) (*Champion, error) {
	key := ChampionKey(candidate.Name, env)
	envs, _, err := store.Subject(ctx, key.SHA256)
	if err != nil {
		return nil, err
	}
	var best *Champion
	var bestAt time.Time
	for _, f := range facts.Collect(ctx, trust, key.SHA256, envs, now).Facts {
		p, _ := f.Predicate.(map[string]any)
		result, _ := p["verificationResult"].(string)
		uri, _ := p["resourceUri"].(string)
		when, _ := p["timeVerified"].(string)
		at, err := time.Parse(time.RFC3339Nano, when)
		if err != nil || f.Type != attest.VSAType || !slices.Contains(f.Signer.Roles, "gate") ||
			result != "PASSED" || uri != ResourceURI(env, candidate.Name) {
			continue
		}
		for _, s := range f.Subjects {
			if s == key.SHA256 || s == candidate.SHA256 {
				continue
			}
			if best == nil || at.After(bestAt) {
				best = &Champion{Name: candidate.Name, Digest: map[string]string{"sha256": s}, Source: fmt.Sprintf("store (VSA %s)", f.ID)}
				bestAt = at
			}
		}
	}
	return best, nil
}
