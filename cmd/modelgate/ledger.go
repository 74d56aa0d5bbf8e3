package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/output"
	"github.com/modelgate/modelgate/vsa"
)

// ledgerFlags are what the ledger commands share: the bundle whose trust
// list says who may sign records, and the store that holds them.
type ledgerFlags struct {
	sf storeFlags
	pf policyFlags
}

func (l *ledgerFlags) register(cmd *cobra.Command) {
	l.sf.register(cmd)
	l.pf.register(cmd)
}

// open loads the bundle and its trust list, and the store.
func (l *ledgerFlags) open(ctx context.Context, create bool) (*bundles.Bundle, *facts.Trust, evidence.Store, error) {
	l.pf.plainHTTP = l.sf.plainHTTP
	opts, err := l.pf.options()
	if err != nil {
		return nil, nil, nil, err
	}
	b, err := bundles.Open(ctx, l.pf.spec, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := b.CheckData(); err != nil {
		return nil, nil, nil, err
	}
	signers, err := b.Signers()
	if err != nil {
		return nil, nil, nil, err
	}
	trust, err := facts.NewTrust(signers)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("policy bundle %s: %w", b.URI, err)
	}
	store, err := l.sf.open(create)
	if err != nil {
		return nil, nil, nil, err
	}
	return b, trust, store, nil
}

// requireFlags refuses a command line that lacks a required flag, naming
// the first missing in the order given.
func requireFlags(cmd *cobra.Command, flags ...[2]string) error {
	for _, f := range flags {
		if f[1] == "" {
			return fmt.Errorf("%s is required (see '%s --help')", f[0], cmd.CommandPath())
		}
	}
	return nil
}

// openSigner opens the ledger for a record about env, with a key that must
// hold one of roles in the bundle's trust list.
func (l *ledgerFlags) openSigner(ctx context.Context, env, flag, keyRef string, roles ...string) (*bundles.Bundle, *facts.Trust, evidence.Store, signature.SignerVerifier, error) {
	b, trust, store, err := l.open(ctx, false)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if err := b.CheckEnvironment(env); err != nil {
		return nil, nil, nil, nil, err
	}
	sv, err := keys.LoadSigner(ctx, keyRef)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("%s: %w", flag, err)
	}
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("%s: %w", flag, err)
	}
	if _, err := trust.SignerOfKey(pub, roles...); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("%s: %w", flag, err)
	}
	return b, trust, store, sv, nil
}

// signRecord signs a ledger record's statement and stores it.
func signRecord(ctx context.Context, store evidence.Store, sv signature.SignerVerifier, statement []byte, what string) (string, error) {
	env, err := vsa.Sign(ctx, sv, statement)
	if err != nil {
		return "", err
	}
	id, _, err := store.Add(ctx, env)
	if err != nil {
		return "", fmt.Errorf("storing the %s: %w", what, err)
	}
	return id, nil
}

// historyRow is one record as history shows it.
type historyRow struct {
	Time        string   `json:"time"`
	Environment string   `json:"environment"`
	Kind        string   `json:"kind"`
	Result      string   `json:"result"`
	Subject     string   `json:"subject"`
	Tier        string   `json:"tier"`
	Revision    string   `json:"policy_revision,omitempty"`
	Approvers   []string `json:"approvers,omitempty"`
	SignedBy    string   `json:"signed_by"`
	Reason      string   `json:"reason,omitempty"`
	From        string   `json:"from,omitempty"`
	VSA         string   `json:"vsa"`
}

func rowOf(r *vsa.Record) historyRow {
	row := historyRow{Time: attest.NormalTime(r.Time), Environment: r.Environment, Kind: r.Kind, Result: r.Result, Subject: r.Ref(),
		Tier: r.Tier, Revision: r.Policy.Revision, Approvers: r.Approvers, SignedBy: r.Signer, VSA: r.ID}
	switch {
	case r.Rollback != nil:
		row.Reason, row.From = r.Rollback.Reason, r.Rollback.From
	case r.Revocation != nil:
		row.Reason = r.Revocation.Reason
	}
	return row
}

func newHistoryCmd() *cobra.Command {
	var lf ledgerFlags
	var model, env, at, format string
	cmd := &cobra.Command{
		Use:   "history --model NAME [--env ENV] [--at TIME] [--format text|json]",
		Short: "The promotion ledger of a model: every promotion, denial, rollback and revocation",
		Long: `List a model's ledger, newest first, from signed records alone: time, digest,
environment, result, tier, policy revision, approvers, and who signed it.

With --at TIME, answer "which digest was the champion at TIME, and why":
its VSA, its gates, the approvals and the evaluation metrics it rested on
(the input envelopes, found again in the store and verified).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if model == "" {
				return errors.New("--model NAME is required")
			}
			if format != "text" && format != "json" {
				return fmt.Errorf("--format %q: use text or json", format)
			}
			ctx := cmd.Context()
			b, trust, store, err := lf.open(ctx, false)
			if err != nil {
				return err
			}
			if env != "" {
				if err := b.CheckEnvironment(env); err != nil {
					return err
				}
			}
			now := time.Now().UTC()
			l := vsa.Ledger{Store: store, Trust: trust}
			records, skipped, err := l.Records(ctx, model, env, now)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if at != "" {
				t, err := attest.ParseTime(at)
				if err != nil {
					return fmt.Errorf("--at: %w", err)
				}
				return championAt(ctx, w, b, trust, store, records, model, env, t, format)
			}
			rows := make([]historyRow, 0, len(records))
			for i := len(records) - 1; i >= 0; i-- {
				rows = append(rows, rowOf(records[i]))
			}
			if format == "json" {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"model": model, "records": rows, "skipped": skipped})
			}
			if len(rows) == 0 {
				fmt.Fprintf(w, "no ledger records for %s%s in %s\n", model, inEnv(env), store)
				return nil
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tENV\tRECORD\tDIGEST\tTIER\tREVISION\tAPPROVERS\tSIGNED BY")
			for _, r := range rows {
				what := r.Result
				switch r.Kind {
				case vsa.KindRollback:
					what = "ROLLBACK from " + short(r.From) + ": " + output.Clean(r.Reason)
				case vsa.KindRevocation:
					what = "REVOKED: " + output.Clean(r.Reason)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time, r.Environment, what, short("sha256:"+strings.SplitN(r.Subject, "@sha256:", 2)[1]),
					r.Tier, output.Clean(r.Revision), output.Clean(strings.Join(r.Approvers, ",")), output.Clean(r.SignedBy))
			}
			for _, s := range skipped {
				fmt.Fprintf(tw, "skipped\t\t%s\t%s\n", short(s.ID), output.Clean(s.Reason))
			}
			return tw.Flush()
		},
	}
	lf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&model, "model", "", "the model's name")
	f.StringVar(&env, "env", "", "only this environment")
	f.StringVar(&at, "at", "", "which digest was the champion at this RFC 3339 time, and why")
	f.StringVar(&format, "format", "text", "output format: text|json")
	return cmd
}

func inEnv(env string) string {
	if env == "" {
		return ""
	}
	return " in " + env
}

func short(id string) string {
	if len(id) > 19 {
		return id[:19]
	}
	return id
}

// championAt shows, for each environment (or --env), the champion at a
// time and what its decision rested on.
func championAt(ctx context.Context, w io.Writer, b *bundles.Bundle, trust *facts.Trust, store evidence.Store, records []*vsa.Record, model, env string, at time.Time, format string) error {
	envs := []string{env}
	if env == "" {
		v, err := b.View()
		if err != nil {
			return err
		}
		envs = v.Order
	}
	type inputView struct {
		ID      string         `json:"id"`
		Type    string         `json:"type"`
		Signer  string         `json:"signer"`
		Summary string         `json:"summary"`
		Metrics map[string]any `json:"metrics,omitempty"`
	}
	type answer struct {
		Environment string            `json:"environment"`
		Champion    *historyRow       `json:"champion"`
		Gates       []vsa.GateOutcome `json:"gates,omitempty"`
		Inputs      []inputView       `json:"inputs,omitempty"`
		Missing     []string          `json:"missing_inputs,omitempty"`
	}
	var answers []answer
	for _, e := range envs {
		a := answer{Environment: e}
		c := vsa.Replay(records, e, at).Champion
		if c != nil {
			row := rowOf(c)
			a.Champion = &row
			// A rollback rests on the PASSED decision it restored.
			basis := c
			if c.Kind == vsa.KindRollback {
				for _, r := range records {
					if r.ID == c.Rollback.VSA {
						basis = r
					}
				}
			}
			a.Gates = basis.Gates
			var envs []evidence.Envelope
			for _, id := range basis.Inputs {
				data, err := store.Get(ctx, id)
				if err != nil {
					a.Missing = append(a.Missing, id)
					continue
				}
				envs = append(envs, evidence.Envelope{ID: id, Source: id, Data: data})
			}
			res := facts.Collect(ctx, trust, basis.Digest, envs, at.Add(facts.MaxFuture))
			for _, f := range res.Facts {
				iv := inputView{ID: f.ID, Type: f.Type, Signer: f.Signer.Identity}
				p, _ := f.Predicate.(map[string]any)
				switch attest.ShortName(f.Type) {
				case "evaluation":
					iv.Metrics, _ = p["metrics"].(map[string]any)
					iv.Summary = fmt.Sprintf("evaluated at %v", p["evaluated_at"])
				case "approval":
					iv.Summary = fmt.Sprintf("%v for %v at %v: %v", p["decision"], p["environment"], p["approved_at"], p["justification"])
				default:
					if t, ok := attest.EventTimeOf(f.Type, f.Predicate); ok {
						iv.Summary = "at " + attest.NormalTime(t)
					}
				}
				a.Inputs = append(a.Inputs, iv)
			}
			for _, r := range res.Rejected {
				a.Missing = append(a.Missing, r.ID+" ("+r.Reason+")")
			}
		}
		answers = append(answers, a)
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"model": model, "at": attest.NormalTime(at), "environments": answers})
	}
	for _, a := range answers {
		if a.Champion == nil {
			fmt.Fprintf(w, "%s: no champion of %s at %s\n", a.Environment, model, attest.NormalTime(at))
			continue
		}
		c := a.Champion
		fmt.Fprintf(w, "%s: at %s the champion of %s was %s\n", a.Environment, attest.NormalTime(at), model, c.Subject)
		fmt.Fprintf(w, "  by %s %s of %s, signed by %s (tier %s, policy revision %s)\n", c.Kind, c.VSA, c.Time, output.Clean(c.SignedBy), c.Tier, output.Clean(c.Revision))
		if c.Kind == vsa.KindRollback {
			fmt.Fprintf(w, "  rolled back from %s: %s\n", c.From, output.Clean(c.Reason))
		}
		if len(c.Approvers) > 0 {
			fmt.Fprintf(w, "  approved by %s\n", output.Clean(strings.Join(c.Approvers, ", ")))
		}
		var gates []string
		for _, g := range a.Gates {
			gates = append(gates, g.Code+" "+g.Status)
		}
		fmt.Fprintf(w, "  gates: %s\n", strings.Join(gates, ", "))
		for _, in := range a.Inputs {
			fmt.Fprintf(w, "  rested on %s %s signed by %s: %s", attest.ShortName(in.Type), short(in.ID), output.Clean(in.Signer), output.Clean(in.Summary))
			if len(in.Metrics) > 0 {
				var ms []string
				for _, k := range slices.Sorted(maps.Keys(in.Metrics)) {
					ms = append(ms, fmt.Sprintf("%s %v", k, in.Metrics[k]))
				}
				fmt.Fprintf(w, "; metrics %s", strings.Join(ms, ", "))
			}
			fmt.Fprintln(w)
		}
		for _, m := range a.Missing {
			fmt.Fprintf(w, "  input %s could not be found again or verified\n", output.Clean(m))
		}
	}
	return nil
}

func newRollbackCmd() *cobra.Command {
	var lf ledgerFlags
	var model, env, to, key, reason string
	cmd := &cobra.Command{
		Use:   "rollback --model NAME --env ENV [--to DIGEST] --vsa-key KEY --reason TEXT",
		Short: "Re-admit the previous champion (or DIGEST) on its still-valid PASSED decision",
		Long: `Write a signed rollback record that makes the previous champion (or
--to DIGEST) the champion again, without new evidence; the rolled-back
digest loses its champion status, and the next verify of a challenger is
judged against the restored champion. Refused (exit 2, saying why) when
the target never passed in that environment, its PASSED decision is older
than the tier's max_vsa_age_days, or it was revoked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, [2]string{"--model", model}, [2]string{"--env", env}, [2]string{"--vsa-key", key}, [2]string{"--reason", reason}); err != nil {
				return err
			}
			ctx := cmd.Context()
			b, trust, store, sv, err := lf.openSigner(ctx, env, "--vsa-key", key, vsa.MayRecord[vsa.KindRollback]...)
			if err != nil {
				return err
			}
			now := time.Now().UTC()
			l := vsa.Ledger{Store: store, Trust: trust}
			records, _, err := l.Records(ctx, model, env, now)
			if err != nil {
				return err
			}
			state := vsa.Replay(records, env, now)
			if state.Champion == nil {
				return fmt.Errorf("%s has no champion in %s to roll back from", model, env)
			}
			target := ""
			if to != "" {
				target = strings.TrimPrefix(to, "sha256:")
				if !digest.IsHex64(target) {
					return fmt.Errorf("--to %q: give sha256:<64 lower-case hex>", to)
				}
			} else if prev := state.Previous(); prev != nil {
				target = prev.Digest
			} else {
				return fmt.Errorf("%s has no previous champion in %s; name one with --to", model, env)
			}
			if target == state.Champion.Digest {
				return fmt.Errorf("sha256:%s is already the champion of %s in %s", target, model, env)
			}
			passed := state.Passed[target]
			if passed == nil {
				return fmt.Errorf("sha256:%s never passed in %s: only a digest with a PASSED decision there can be rolled back to", target, env)
			}
			if r := state.Revoked[target]; r != nil {
				return fmt.Errorf("sha256:%s was revoked in %s at %s by %s (%s): it can never be champion again", target, env, attest.NormalTime(r.Time), r.Signer, r.Revocation.Reason)
			}
			v, err := b.View()
			if err != nil {
				return err
			}
			if max := v.Effective(passed.Tier, model).MaxVSAAgeDays; max != nil {
				if age := now.Sub(passed.Time); age > time.Duration(*max*24*float64(time.Hour)) {
					return fmt.Errorf("the PASSED decision of sha256:%s in %s (%s) is %d days old, older than the %s tier's max_vsa_age_days %v: verify it again instead", target, env, passed.ID, int(age.Hours()/24), passed.Tier, *max)
				}
			}
			st, err := vsa.Statement(model, target, env, vsa.Passed, []string{vsa.VerifiedLevel(env, passed.Tier)},
				decision.Policy{URI: passed.Policy.URI, Digest: passed.Policy.Digest, Revision: passed.Policy.Revision}, []string{passed.ID},
				vsa.Entry{Kind: vsa.KindRollback, Tier: passed.Tier, TierSource: passed.TierSource, Approvers: passed.Approvers,
					Rollback: &vsa.RollbackEntry{From: "sha256:" + state.Champion.Digest, To: "sha256:" + target, Reason: reason, VSA: passed.ID}}, now)
			if err != nil {
				return err
			}
			id, err := signRecord(ctx, store, sv, st, "rollback")
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rolled back %s in %s from sha256:%s to sha256:%s (record %s)\n", model, env, state.Champion.Digest, target, id)
			return nil
		},
	}
	lf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&model, "model", "", "the model's name")
	f.StringVar(&env, "env", "", "the environment")
	f.StringVar(&to, "to", "", "the digest to restore (default: the previous champion)")
	f.StringVar(&key, "vsa-key", "", "the gate's signing key: PEM file or KMS URI")
	f.StringVar(&reason, "reason", "", "why, for the ledger")
	return cmd
}

func newRevokeCmd() *cobra.Command {
	var lf ledgerFlags
	var subjectArg, env, key, reason string
	cmd := &cobra.Command{
		Use:   "revoke --subject NAME@sha256:HEX --env ENV --key KEY --reason TEXT",
		Short: "Record a signed revocation: the digest is never champion again and admission denies it",
		Long: `Write a signed revocation of a digest in an environment. KEY must belong to
a signer with the gate or waiver role. From then on the digest is never the
champion, a rollback to it is refused, and admission denies it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, [2]string{"--subject", subjectArg}, [2]string{"--env", env}, [2]string{"--key", key}, [2]string{"--reason", reason}); err != nil {
				return err
			}
			subject, err := digest.ParseRef(subjectArg)
			if err != nil {
				return fmt.Errorf("--subject: %w", err)
			}
			ctx := cmd.Context()
			b, _, store, sv, err := lf.openSigner(ctx, env, "--key", key, vsa.MayRecord[vsa.KindRevocation]...)
			if err != nil {
				return err
			}
			now := time.Now().UTC()
			st, err := vsa.Statement(subject.Name, subject.SHA256, env, vsa.Failed, nil,
				decision.Policy{URI: b.URI, Digest: b.Digest, Revision: b.Revision}, nil,
				vsa.Entry{Kind: vsa.KindRevocation, Revocation: &vsa.RevocationEntry{Digest: "sha256:" + subject.SHA256, Reason: reason}}, now)
			if err != nil {
				return err
			}
			id, err := signRecord(ctx, store, sv, st, "revocation")
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s in %s (record %s)\n", subject, env, id)
			return nil
		},
	}
	lf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&subjectArg, "subject", "", "the model: NAME@sha256:HEX")
	f.StringVar(&env, "env", "", "the environment")
	f.StringVar(&key, "key", "", "a gate or waiver key: PEM file or KMS URI")
	f.StringVar(&reason, "reason", "", "why, for the ledger")
	return cmd
}
