package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/modelgate/modelgate/admission"
	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/internal/safeio"
	"github.com/modelgate/modelgate/output"
	"github.com/modelgate/modelgate/tlog"
	"github.com/modelgate/modelgate/vsa"
)

func newLedgerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "The promotion ledger's transparency log: create, serve, audit, prove, import",
		Long: `The ledger's records are the entries of a C2SP tlog-tiles transparency log
(Tessera): one order every writer and reader shares, an append that happened
or did not, and no record deleted or rewritten unseen. LEDGER is dir:PATH
(the default, dir:STORE/tlog beside a dir: store), mysql://USER@HOST:PORT/DB
(password in $MODELGATE_LEDGER_PASSWORD) or https://HOST/PREFIX (a ledger
served by 'modelgate ledger serve').`,
	}
	cmd.AddCommand(newLedgerInitCmd(), newLedgerServeCmd(), newLedgerVerifyCmd(), newLedgerCheckpointCmd(), newLedgerProofCmd(), newLedgerImportCmd())
	return cmd
}

// ledgerInitOptions are the flags of the command.
type ledgerInitOptions struct {
	origin, out string
}

func newLedgerInitCmd() *cobra.Command {
	var o ledgerInitOptions
	cmd := &cobra.Command{
		Use:   "init LEDGER --origin ORIGIN --out PREFIX",
		Short: "Create a new log and its Ed25519 signed-note key",
		Long: `Create an empty log at LEDGER (dir:PATH or mysql://…) under a signed
checkpoint, and write its signing key to PREFIX.ledger.key (mode 0600; keep it
where only the writers are) and its verifier key to PREFIX.ledger.pub
(ORIGIN+HASH+KEY). Then trust the log in the policy bundle:

  modelgate bundle signer add DIR --signer log=PREFIX.ledger.pub:ORIGIN:ledger`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runLedgerInit(cmd, args, o) },
	}
	cmd.Flags().StringVar(&o.origin, "origin", "", "the log's name, e.g. ledger.acme.example/models")
	cmd.Flags().StringVar(&o.out, "out", "", "write PREFIX.ledger.key and PREFIX.ledger.pub")
	return cmd
}

func runLedgerInit(cmd *cobra.Command, args []string, o ledgerInitOptions) error {
	if err := requireFlags(cmd, [2]string{"--origin", o.origin}, [2]string{"--out", o.out}); err != nil {
		return err
	}
	spec, err := tlog.ParseSpec(args[0])
	if err != nil {
		return err
	}
	skey, vkey, err := tlog.GenerateKey(o.origin)
	if err != nil {
		return fmt.Errorf("--origin: %w", err)
	}
	keyPath, pubPath := o.out+".ledger.key", o.out+".ledger.pub"
	for _, p := range []string{keyPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s exists: a log's key is made once; choose another --out", p)
		}
	}
	signer, err := noteSigner(skey)
	if err != nil {
		return err
	}
	if err := tlog.Init(cmd.Context(), spec, signer); err != nil {
		return err
	}
	if err := safeio.WriteFileAtomic(keyPath, []byte(skey+"\n"), 0o600); err != nil {
		return err
	}
	if err := safeio.WriteFileAtomic(pubPath, []byte(vkey+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "created the log %s at %s\nsigning key %s (keep it with the writers), verifier key %s\ntrust it: modelgate bundle signer add DIR --signer log=%s:%s:ledger\n", o.origin, spec, keyPath, pubPath, pubPath, o.origin)
	return nil
}

// ledgerReadFlags are what the auditors' commands share.
type ledgerReadFlags struct {
	ledgerFlags
	format string
}

func (l *ledgerReadFlags) register(cmd *cobra.Command) {
	l.ledgerFlags.register(cmd, false)
	cmd.Flags().StringVar(&l.format, "format", "text", "text|json")
}

// read reads the whole log, verified, with the bundle's trust.
func (l *ledgerReadFlags) read(ctx context.Context) (*vsa.LogSource, *vsa.Book, error) {
	if !slices.Contains(output.LedgerFormats, l.format) {
		return nil, nil, fmt.Errorf("--format %q: use %s", l.format, strings.Join(output.LedgerFormats, " or "))
	}
	_, trust, _, err := l.bundle(ctx)
	if err != nil {
		return nil, nil, err
	}
	src, err := l.lf.source(l.sf.spec, trust)
	if err != nil {
		return nil, nil, err
	}
	book, err := src.Book(ctx)
	if err != nil {
		return nil, nil, err
	}
	if book.Checkpoint == nil {
		return nil, nil, fmt.Errorf("ledger %s %v: create it with 'modelgate ledger init'", src.Spec, tlog.ErrNoLog)
	}
	return src, book, nil
}

// ledgerCheckpointOptions are the flags of the command.
type ledgerCheckpointOptions struct {
	ledgerReadFlags
}

func newLedgerCheckpointCmd() *cobra.Command {
	var o ledgerCheckpointOptions
	cmd := &cobra.Command{
		Use:   "checkpoint [--ledger LEDGER]",
		Short: "Print the log's signed checkpoint, after verifying the log under it",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return runLedgerCheckpoint(cmd, args, o) },
	}
	o.register(cmd)
	return cmd
}
func runLedgerCheckpoint(cmd *cobra.Command, args []string, o ledgerCheckpointOptions) error {
	_, book, err := o.read(cmd.Context())
	if err != nil {
		return err
	}
	return output.WriteCheckpoint(cmd.OutOrStdout(), book, o.format)
}

// ledgerVerifyOptions are the flags of the command.
type ledgerVerifyOptions struct {
	ledgerReadFlags
}

func newLedgerVerifyCmd() *cobra.Command {
	var o ledgerVerifyOptions
	cmd := &cobra.Command{
		Use:   "verify [--ledger LEDGER]",
		Short: "Audit the whole log: checkpoint, every entry and tile, every record's signature and role",
		Long: `Read the whole log and check it: the checkpoint is signed by a log key the
policy bundle trusts; every entry hashes into the root it signs; every tile
agrees with the entries; the checkpoint is consistent with the largest one
this user has seen of the log; and every entry is a record signed by a
signer whose role may write it. Tessera's own fsck then checks the log
again. Exit 0 when all holds, 1 when an entry is not a valid record, 2 when
the log cannot be read or was rewritten.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runLedgerVerify(cmd, args, o) },
	}
	o.register(cmd)
	return cmd
}
func runLedgerVerify(cmd *cobra.Command, args []string, o ledgerVerifyOptions) error {
	ctx := cmd.Context()
	src, book, err := o.read(ctx)
	if err != nil {
		return err
	}
	if err := tlog.Fsck(ctx, src.Spec, src.Reader.Trust.Logs()); err != nil {
		return err
	}
	if err := output.WriteLedgerCheck(cmd.OutOrStdout(), book, o.format); err != nil {
		return err
	}
	if len(book.Skipped) > 0 {
		return errDenied
	}
	return nil
}

// ledgerProofOptions are the flags of the command.
type ledgerProofOptions struct {
	ledgerReadFlags
}

func newLedgerProofCmd() *cobra.Command {
	var o ledgerProofOptions
	cmd := &cobra.Command{
		Use:   "proof RECORD [--ledger LEDGER] [--format text|json]",
		Short: "A record's inclusion proof against the current checkpoint",
		Long: `Prove that a record is in the log: RECORD is its id (sha256:HEX of its
signed statement, as history and verify print it) or its index. The proof
is built from the log's tiles and checked against the signed checkpoint
before it is printed; an auditor checks it again with any tlog client.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runLedgerProof(cmd, args, o) },
	}
	o.register(cmd)
	return cmd
}

func runLedgerProof(cmd *cobra.Command, args []string, o ledgerProofOptions) error {
	ctx := cmd.Context()
	src, book, err := o.read(ctx)
	if err != nil {
		return err
	}
	var rec *vsa.Record
	if n, err := strconv.ParseUint(args[0], 10, 64); err == nil {
		i := slices.IndexFunc(book.Records, func(r *vsa.Record) bool { return r.Index == n })
		if i < 0 {
			return fmt.Errorf("entry %d of %s is not a record that counts (the log has %d entries)", n, book.Log, book.Size)
		}
		rec = book.Records[i]
	} else if rec = book.Find(args[0]); rec == nil {
		return fmt.Errorf("the ledger %s holds no record %s: give a record id (sha256:HEX, as history prints it) or an index", book.Log, args[0])
	}
	p, err := tlog.Prove(ctx, src.Spec, src.Reader.Trust.Logs(), book.Checkpoint, rec.Index)
	if err != nil {
		return err
	}
	return output.WriteProof(cmd.OutOrStdout(), book, rec, p, o.format)
}

// ledgerImportOptions are the flags of the command.
type ledgerImportOptions struct {
	ledgerFlags
	from string
}

func newLedgerImportCmd() *cobra.Command {
	var o ledgerImportOptions
	cmd := &cobra.Command{
		Use:   "import --from STORE [--ledger LEDGER] [--ledger-key KEY]",
		Short: "Append the records of an evidence store's old ledger index to the log, in their order",
		Long: `Move the ledger of a store written before the ledger was a log: every
record in its ledger index that verifies against the policy bundle, ordered
by signed time as the old readers ordered them, each record's previous
checked to come before it, appended in that order. Records already in the
log are not appended again, so an import that stopped can be run again.
Nothing reads the old index afterwards.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runLedgerImport(cmd, args, o) },
	}
	o.register(cmd, true)
	cmd.Flags().StringVar(&o.from, "from", "", "the store whose old ledger index to import")
	return cmd
}

func runLedgerImport(cmd *cobra.Command, args []string, o ledgerImportOptions) error {
	if o.from == "" {
		return errors.New("--from STORE is required: the store whose old ledger index to import")
	}
	ctx := cmd.Context()
	_, trust, v, err := o.bundle(ctx)
	if err != nil {
		return err
	}
	store, err := evidence.Open(o.from, evidence.Options{})
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	envs, problems, err := store.Ledger().All(ctx)
	if err != nil {
		return fmt.Errorf("--from %s: %w", o.from, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("--from %s: %s cannot be read (%s); repair the store before importing: a missing record could be a revocation", o.from, problems[0].Source, problems[0].Reason)
	}
	storeSpec := o.sf.spec
	if o.lf.spec == "" && os.Getenv("MODELGATE_LEDGER") == "" {
		storeSpec = o.from
	}
	ledger, err := o.lf.open(ctx, storeSpec, trust, v, true)
	if err != nil {
		return err
	}
	defer closeLedger(ctx, ledger)
	var recs []*vsa.Record
	raw := map[string][]byte{}
	skipped := 0
	for _, e := range envs {
		r, err := vsa.Verify(ctx, trust, e.Data, time.Now())
		if err != nil {
			skipped++
			fmt.Fprintf(cmd.ErrOrStderr(), "not imported: %s: %v\n", e.ID, err)
			continue
		}
		if _, dup := raw[r.ID]; dup {
			continue
		}
		raw[r.ID] = e.Data
		recs = append(recs, r)
	}
	vsa.OrderByTime(recs)
	pos := map[string]int{}
	for i, r := range recs {
		pos[r.ID] = i
	}
	for i, r := range recs {
		if r.Previous == "" {
			continue
		}
		j, ok := pos[r.Previous]
		switch {
		case !ok:
			return fmt.Errorf("--from %s: record %s (%s of %s in %s) names the record %s before it, which the store lacks; restore it from a backup before importing", o.from, r.ID, r.Kind, r.Ref(), r.Environment, r.Previous)
		case j > i:
			return fmt.Errorf("--from %s: record %s names %s before it, which is dated after it; the store's records disagree with their own order", o.from, r.ID, r.Previous)
		}
	}
	added, dups := 0, 0
	for _, r := range recs {
		a, err := ledger.Append(ctx, raw[r.ID])
		if err != nil {
			return fmt.Errorf("importing record %s: %w (%d imported so far; run the import again to go on)", r.ID, err, added)
		}
		if a.Duplicate {
			dups++
		} else {
			added++
		}
	}
	book, _ := ledger.Book(ctx)
	name := ""
	if book != nil {
		name = book.Log
	}
	fmt.Fprintf(cmd.OutOrStdout(), "imported %d records from %s into %s (%d were there already, %d did not verify)\n", added, o.from, name, dups, skipped)
	return nil
}

// ledgerServeOptions are the flags of the command.
type ledgerServeOptions struct {
	ledgerFlags
	listen, certFile, keyFile, stateDir string
}

func newLedgerServeCmd() *cobra.Command {
	var o ledgerServeOptions
	cmd := &cobra.Command{
		Use:   "serve --ledger dir:…|mysql://… --ledger-key KEY --policy BUNDLE --listen ADDR --tls-cert FILE --tls-key FILE",
		Short: "Serve the log over HTTPS: its tlog-tiles read paths, and POST /add for CI jobs",
		Long: `Serve the ledger's log so readers and writers need no access to where it is
kept: GET /checkpoint, /tile/… and /tile/entries/… (tlog-tiles, static and
cacheable), and POST /add, which takes one signed record, verifies it
against the policy bundle (a signer whose role may write its kind), appends
it, and answers with its index, the checkpoint that covers it and an
inclusion proof. CI jobs then append with --ledger https://HOST/ without
holding the ledger key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runLedgerServe(cmd, args, o) },
	}
	o.register(cmd, true)
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "", "address to listen on, e.g. :8444")
	f.StringVar(&o.certFile, "tls-cert", "", "TLS certificate (PEM), re-read when it changes")
	f.StringVar(&o.keyFile, "tls-key", "", "TLS private key (PEM), re-read when it changes")
	f.StringVar(&o.stateDir, "state-dir", "", "where to remember the largest checkpoint seen across restarts (default: the user cache)")
	return cmd
}

func runLedgerServe(cmd *cobra.Command, args []string, o ledgerServeOptions) error {
	if err := requireFlags(cmd, [2]string{"--listen", o.listen}, [2]string{"--tls-cert", o.certFile}, [2]string{"--tls-key", o.keyFile}); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	_, trust, v, err := o.bundle(ctx)
	if err != nil {
		return err
	}
	spec, err := o.lf.resolve(o.sf.spec)
	if err != nil {
		return err
	}
	if spec.Kind == "https" {
		return errors.New("--ledger: serve a log where it is kept (dir: or mysql://), not another server's")
	}
	var seen tlog.Seen
	if o.stateDir != "" {
		seen = &tlog.SeenDir{Dir: o.stateDir}
	} else if seen, err = tlog.DefaultSeenDir(); err != nil {
		return err
	}
	follower := &vsa.Follower{Spec: spec, Reader: &vsa.Reader{Trust: trust}, Seen: seen, MaxStaleness: time.Minute}
	if err := follower.Update(ctx); err != nil {
		return err
	}
	go follower.Follow(ctx, time.Second, 0, nil)
	ledger := vsa.NewLedger(follower, trust, v)
	if ledger.Appender, err = o.lf.appender(ctx, spec, trust); err != nil {
		return err
	}
	defer closeLedger(ctx, ledger)
	opened, err := tlog.Open(ctx, spec, nil)
	if err != nil {
		return err
	}
	defer opened.Close()
	certs, err := admission.NewCertReloader(o.certFile, o.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	h := &tlog.Handler{Fetcher: opened.Fetcher, MaxBody: tlog.MaxEntry, Add: func(ctx context.Context, data []byte) (*tlog.Appended, error) {
		if _, err := attest.ParseEnvelope(data); err != nil {
			return nil, fmt.Errorf("%w: not a signed record: %v", tlog.ErrRefused, err)
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		a, err := ledger.Append(ctx, data)
		if err != nil {
			return nil, err
		}
		follower.Update(ctx)
		return &tlog.Appended{Index: a.Index, Checkpoint: a.Checkpoint, Duplicate: a.Duplicate}, nil
	}}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", o.listen, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		IdleTimeout: 90 * time.Second, MaxHeaderBytes: 64 << 10,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.GetCertificate}}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	fmt.Fprintf(cmd.ErrOrStderr(), "modelgate ledger serve: https://%s/ (checkpoint, tile/…, POST add), ledger %s\n", l.Addr(), spec)
	if err := srv.ServeTLS(l, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func noteSigner(skey string) (note.Signer, error) { return note.NewSigner(skey) }
