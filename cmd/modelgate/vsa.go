package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/gate"
	"github.com/modelgate/modelgate/internal/safeio"
	"github.com/modelgate/modelgate/vsa"
)

// storeVSA signs the decision, writes it to --vsa-out and the store, and
// stores the verified --evidence files so the VSA's inputs can be found again.
func storeVSA(ctx context.Context, cmd *cobra.Command, store evidence.Store, out *gate.Outcome, extra []evidence.Envelope, sv signature.SignerVerifier, vsaOut string, now time.Time) error {
	inputs := make([]string, len(out.Facts.Facts))
	verified := map[string]bool{}
	for i, f := range out.Facts.Facts {
		inputs[i] = f.ID
		verified[f.ID] = true
	}
	env, err := vsa.SignDecision(ctx, sv, out.Decision, inputs, out.Approvers(), out.Previous, now)
	if err != nil {
		return fmt.Errorf("VSA: %w", err)
	}
	if vsaOut != "" {
		if err := safeio.WriteFile(ctx, vsaOut, append(env, '\n'), 0o644); err != nil {
			return fmt.Errorf("--vsa-out: %w", err)
		}
	}
	for _, e := range extra {
		if verified[e.ID] {
			if _, _, err := store.Add(ctx, e.Data); err != nil {
				return fmt.Errorf("storing %s: %w", e.Source, err)
			}
		}
	}
	id, _, err := store.Add(ctx, env)
	if err != nil {
		return fmt.Errorf("storing the VSA: %w", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "VSA %s (%s) stored in %s\n", id, out.Decision.Result(), store)
	return nil
}
