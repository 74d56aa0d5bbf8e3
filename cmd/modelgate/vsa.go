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

// storeVSA signs the decision, stores the verified --evidence files so the
// VSA's inputs can be found again, appends the VSA to the ledger, and
// writes it to --vsa-out.
func storeVSA(ctx context.Context, cmd *cobra.Command, store evidence.Store, ledger *vsa.Ledger, out *gate.Outcome, extra []evidence.Envelope, sv signature.SignerVerifier, vsaOut string, now time.Time) error {
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
	for _, e := range extra {
		if verified[e.ID] {
			if _, _, err := store.Add(ctx, e.Data); err != nil {
				return fmt.Errorf("storing %s: %w", e.Source, err)
			}
		}
	}
	a, err := ledger.Append(ctx, env)
	if err != nil {
		return fmt.Errorf("the decision is not recorded, and admits nothing: %w", err)
	}
	book, _ := ledger.Book(ctx)
	name := ""
	if book != nil {
		name = book.Log
	}
	if vsaOut != "" {
		if err := safeio.WriteFile(ctx, vsaOut, append(env, '\n'), 0o644); err != nil {
			return fmt.Errorf("--vsa-out: %w", err)
		}
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "VSA %s (%s) appended to the ledger %s at index %d\n", a.Record.ID, out.Decision.Result(), name, a.Index)
	return nil
}
