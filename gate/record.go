package gate

import (
	"context"
	"fmt"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/vsa"
)

// Record makes a decision part of the ledger: it signs it as a VSA naming
// every verified input, stores the verified envelopes given besides the
// store's (extra) so the inputs can be found again, and appends the VSA.
// It returns the signed VSA and where the log put it; an append that fails
// records nothing, and the decision admits nothing.
func Record(ctx context.Context, store evidence.Store, ledger *vsa.Ledger, out *Outcome, extra []evidence.Envelope, sv signature.SignerVerifier, now time.Time) ([]byte, *vsa.Appended, error) {
	inputs := make([]string, len(out.Facts.Facts))
	verified := map[string]bool{}
	for i, f := range out.Facts.Facts {
		inputs[i] = f.ID
		verified[f.ID] = true
	}
	env, err := vsa.SignDecision(ctx, sv, out.Decision, inputs, out.Approvers(), out.Previous, now)
	if err != nil {
		return nil, nil, fmt.Errorf("VSA: %w", err)
	}
	for _, e := range extra {
		if verified[e.ID] {
			if _, _, err := store.Add(ctx, e.Data); err != nil {
				return nil, nil, fmt.Errorf("storing %s: %w", e.Source, err)
			}
		}
	}
	a, err := ledger.Append(ctx, env)
	if err != nil {
		return nil, nil, fmt.Errorf("the decision is not recorded, and admits nothing: %w", err)
	}
	return env, a, nil
}
