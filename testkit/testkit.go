// Package testkit makes real keys, a trusted policy bundle and a whole
// pipeline's signed evidence for tests and benchmarks.
package testkit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/keys"
)

// Party is a signer with its key pair.
type Party struct {
	ID, Identity string
	Roles        []string
	Algorithm    string
	PrivPEM      []byte
	PubPEM       []byte
	Signer       signature.SignerVerifier
}

// NewParty generates a key pair for a signer.
func NewParty(id, algorithm string, roles ...string) *Party {
	priv, pub, err := keys.Generate(algorithm, nil)
	if err != nil {
		panic(err)
	}
	sv, err := keys.ParseSigner(priv, nil)
	if err != nil {
		panic(err)
	}
	return &Party{ID: id, Identity: id + "@example.com", Roles: roles, Algorithm: algorithm, PrivPEM: priv, PubPEM: pub, Signer: sv}
}

// TrustEntry is the party as the bundle's trust list names it.
func (p *Party) TrustEntry() bundles.Signer {
	return bundles.Signer{ID: p.ID, Identity: p.Identity, Roles: p.Roles, PublicKey: string(p.PubPEM)}
}

// Sign makes a v1 statement about subject and signs it.
func (p *Party) Sign(subject digest.Subject, short string, predicate any) []byte {
	typ := short
	if !strings.Contains(short, "://") {
		typ = attest.TypeURI(short)
	}
	raw, err := json.Marshal(predicate)
	if err != nil {
		panic(err)
	}
	st, err := attest.NewStatement(subject, typ, raw)
	if err != nil {
		panic(err)
	}
	return p.SignStatement(st)
}

// SignStatement signs raw statement bytes.
func (p *Party) SignStatement(statement []byte) []byte {
	env, err := attest.Sign(context.Background(), p.Signer, statement)
	if err != nil {
		panic(err)
	}
	return env
}

// WriteKey writes the party's private key to dir/ID.key and returns the path.
func (p *Party) WriteKey(dir string) string {
	path := filepath.Join(dir, p.ID+".key")
	if err := os.WriteFile(path, p.PrivPEM, 0o600); err != nil {
		panic(err)
	}
	return path
}

// Pipeline is a complete, passing set of parties for a model.
type Pipeline struct {
	Data, Training, Evaluation, Alice, Bob, Deploy, Canary, Waiver, Risk, Gate *Party
	Subject                                                                    digest.Subject
	Now                                                                        time.Time
	TrainDS, EvalDS                                                            string
	// Ledger is the key of the ledger's log, trusted with the ledger role.
	Ledger *LogKey
}

// placeholderChampion is the shadow's champion until the evaluation names one.
var placeholderChampion = strings.Repeat("cd", 32)

// NewPipeline makes parties for every role.
func NewPipeline(model string) *Pipeline {
	return &Pipeline{
		Data:       NewParty("data", "ecdsa-p256", "data"),
		Training:   NewParty("training", "ecdsa-p256", "training"),
		Evaluation: NewParty("evaluation", "ed25519", "evaluation"),
		Alice:      NewParty("alice", "ecdsa-p256", "approver"),
		Bob:        NewParty("bob", "ed25519", "approver"),
		Deploy:     NewParty("deploy", "ecdsa-p256", "deploy"),
		Canary:     NewParty("canary", "ecdsa-p256", "canary"),
		Waiver:     NewParty("waiver", "ecdsa-p256", "waiver"),
		Risk:       NewParty("risk", "ecdsa-p256", "risk"),
		Gate:       NewParty("gate", "ecdsa-p256", "gate"),
		Ledger:     NewLogKey("ledger.test.example/" + model),
		Subject:    digest.Subject{Name: model, SHA256: strings.Repeat("ab", 32)},
		Now:        time.Now().UTC().Truncate(time.Second),
		TrainDS:    strings.Repeat("11", 32),
		EvalDS:     strings.Repeat("22", 32),
	}
}

// Parties lists every party.
func (p *Pipeline) Parties() []*Party {
	return []*Party{p.Data, p.Training, p.Evaluation, p.Alice, p.Bob, p.Deploy, p.Canary, p.Waiver, p.Risk, p.Gate}
}

// Signers is the trust list.
func (p *Pipeline) Signers() []bundles.Signer {
	var out []bundles.Signer
	for _, party := range p.Parties() {
		out = append(out, party.TrustEntry())
	}
	if p.Ledger != nil {
		out = append(out, p.Ledger.TrustEntry())
	}
	return out
}

// T formats a time offset from Now (in hours).
func (p *Pipeline) T(hours float64) string {
	return p.Now.Add(time.Duration(hours * float64(time.Hour))).Format(time.RFC3339)
}

// Predicates returns the passing predicates of every stage, by name.
func (p *Pipeline) Predicates() map[string]map[string]any {
	return map[string]map[string]any{
		"dv-train": {"dataset": map[string]any{"name": "train", "digest": map[string]any{"sha256": p.TrainDS}}, "role": "training",
			"suite": "s", "success": true, "statistics": map[string]any{"evaluated": 3, "successful": 3, "unsuccessful": 0},
			"results": []any{}, "validated_at": p.T(-48)},
		"dv-eval": {"dataset": map[string]any{"name": "eval", "digest": map[string]any{"sha256": p.EvalDS}}, "role": "evaluation",
			"suite": "s", "success": true, "statistics": map[string]any{"evaluated": 3, "successful": 3, "unsuccessful": 0},
			"results": []any{}, "validated_at": p.T(-48)},
		"training": {"run_id": "run-1", "code": map[string]any{"uri": "git+https://example.com/m.git", "digest": map[string]any{"sha1": "abc"}},
			"datasets":        []any{map[string]any{"name": "train", "digest": map[string]any{"sha256": p.TrainDS}, "role": "training"}},
			"hyperparameters": map[string]any{"lr": 0.1}, "loss": map[string]any{"final": 0.3, "nan_detected": false, "diverged": false},
			"metrics": map[string]any{}, "started_at": p.T(-40), "finished_at": p.T(-36)},
		"evaluation": {"dataset": map[string]any{"name": "eval", "digest": map[string]any{"sha256": p.EvalDS}},
			"metrics":    map[string]any{"auc_roc": 0.9, "log_loss": 0.3},
			"slices":     []any{map[string]any{"name": "new", "filter": "t<3", "size": 1000, "metrics": map[string]any{"auc_roc": 0.85}}},
			"fairness":   []any{map[string]any{"attribute": "gender", "metric": "disparate_impact_ratio", "value": 0.95}},
			"behavioral": []any{}, "latency_ms": map[string]any{"p50": 4, "p99": 20}, "evaluated_at": p.T(-24)},
		"explanation": {"dataset": map[string]any{"name": "eval", "digest": map[string]any{"sha256": p.EvalDS}}, "method": "permutation",
			"attributions": []any{map[string]any{"feature": "tickets", "value": 0.12}, map[string]any{"feature": "tenure", "value": 0.08},
				map[string]any{"feature": "spend", "value": 0.02}, map[string]any{"feature": "region", "value": 0.001}},
			"explained_at": p.T(-24)},
		"shadow": {"environment": "production", "duration_s": 7200, "requests": 50000,
			"champion": map[string]any{"digest": map[string]any{"sha256": placeholderChampion}, "metrics": map[string]any{"auc_roc": 0.9}},
			"shadow":   map[string]any{"metrics": map[string]any{"auc_roc": 0.9}}, "agreement_rate": 0.98,
			"latency_ms": map[string]any{"p50": 5, "p99": 40}, "error_rate": 0.001, "passed": true, "analyzed_at": p.T(-2)},
		"approval-alice": {"decision": "approved", "environment": "production", "justification": "ok", "approved_at": p.T(-2)},
		"approval-bob":   {"decision": "approved", "environment": "production", "justification": "ok", "approved_at": p.T(-1)},
		"smoke": {"environment": "staging", "endpoint": "https://staging", "requests": 100, "errors": 0, "error_rate": 0,
			"latency_ms": map[string]any{"p50": 1, "p99": 2}, "passed": true, "tested_at": p.T(-3)},
		"canary": {"environment": "production", "traffic_percent": 5, "duration_s": 3600,
			"control": map[string]any{"metrics": map[string]any{"auc_roc": 0.91, "accuracy": 0.88}}, "canary": map[string]any{"metrics": map[string]any{"auc_roc": 0.91, "accuracy": 0.88}},
			"passed": true, "analyzed_at": p.T(-1)},
	}
}

// stageSigner names who signs each predicate.
func (p *Pipeline) stageSigner(name string) (*Party, string) {
	switch name {
	case "dv-train", "dv-eval":
		return p.Data, "data-validation"
	case "training":
		return p.Training, "training"
	case "evaluation":
		return p.Evaluation, "evaluation"
	case "approval-alice":
		return p.Alice, "approval"
	case "approval-bob":
		return p.Bob, "approval"
	case "smoke":
		return p.Deploy, "smoke-test"
	case "canary":
		return p.Canary, "canary"
	case "shadow":
		return p.Canary, "shadow"
	case "explanation":
		return p.Evaluation, "explanation"
	}
	panic("unknown stage " + name)
}

// Envelopes signs the predicates (after edit, if given) and returns them by name.
func (p *Pipeline) Envelopes(edit func(map[string]map[string]any)) map[string][]byte {
	preds := p.Predicates()
	if edit != nil {
		edit(preds)
	}
	// The shadow ran beside the champion the evaluation compared against,
	// unless the edit named another.
	if sh, ev := preds["shadow"], preds["evaluation"]; sh != nil && ev != nil {
		b, ok := ev["baseline"].(map[string]any)
		c, _ := sh["champion"].(map[string]any)
		if ok && c != nil && reflect.DeepEqual(c["digest"], map[string]any{"sha256": placeholderChampion}) {
			sh["champion"] = map[string]any{"digest": b["digest"], "metrics": c["metrics"]}
		}
	}
	out := map[string][]byte{}
	for name, pred := range preds {
		signer, typ := p.stageSigner(name)
		out[name] = signer.Sign(p.Subject, typ, pred)
	}
	return out
}

// WriteBundle copies the policy directory src to dst with the pipeline's
// signers as the trust list, and the model's tier set in the inventory.
func (p *Pipeline) WriteBundle(src, dst, tier string) error {
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		return err
	}
	trust, err := json.Marshal(map[string]any{"signers": p.Signers()})
	if err != nil {
		return err
	}
	// JSON is YAML: the bundle loader reads it as data.yaml.
	if err := os.WriteFile(filepath.Join(dst, "modelgate", "trust", "data.yaml"), trust, 0o644); err != nil {
		return err
	}
	tiers := fmt.Sprintf("default: high\ninventory:\n  %s: %s\n", p.Subject.Name, tier)
	if err := os.WriteFile(filepath.Join(dst, "modelgate", "tiers", "data.yaml"), []byte(tiers), 0o644); err != nil {
		return err
	}
	// Tests of one decision judge production alone; the promotion order
	// (production requires staging) has tests of its own (RequireStaging).
	return os.WriteFile(filepath.Join(dst, "modelgate", "environments", "data.yaml"), []byte("staging: {}\nproduction: {}\n"), 0o644)
}

// RequireStaging restores the default promotion order in a bundle that
// WriteBundle wrote: production requires staging.
func RequireStaging(dst string) error {
	return os.WriteFile(filepath.Join(dst, "modelgate", "environments", "data.yaml"), []byte("staging: {}\nproduction: {requires: [staging]}\n"), 0o644)
}

// RepoRoot finds the module root from a test's working directory.
func RepoRoot() string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			panic("no go.mod above " + dir)
		}
		dir = parent
	}
}

// FixedParty is an ed25519 signer whose key derives from its id, so that
// every process signs the same predicate into the same envelope bytes.
func FixedParty(id string, roles ...string) *Party {
	seed := sha256.Sum256([]byte("modelgate test key " + id))
	priv := ed25519.NewKeyFromSeed(seed[:])
	privPEM, err := cryptoutils.MarshalPrivateKeyToPEM(priv)
	if err != nil {
		panic(err)
	}
	pubPEM, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		panic(err)
	}
	sv, err := keys.ParseSigner(privPEM, nil)
	if err != nil {
		panic(err)
	}
	return &Party{ID: id, Identity: id + "@example.com", Roles: roles, Algorithm: "ed25519", PrivPEM: privPEM, PubPEM: pubPEM, Signer: sv}
}

// BuiltinView is the built-in bundle's view: its tiers, thresholds and
// environments (staging, then production requiring staging).
func BuiltinView(t testing.TB) *bundles.View {
	t.Helper()
	b, err := bundles.Load("")
	if err != nil {
		t.Fatal(err)
	}
	v, err := b.View()
	if err != nil {
		t.Fatal(err)
	}
	return v
}
