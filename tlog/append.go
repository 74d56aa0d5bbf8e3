package tlog

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
)

// schemaSQL is Tessera v1.0.4's storage/mysql/schema.sql, which must be
// applied before its driver opens a database.
//
//go:embed mysql_schema.sql
var schemaSQL string

// ErrNoKey is a dir: or mysql:// log appended to without its signing key.
var ErrNoKey = errors.New("a log kept here is appended to with its signing key, or through its server")

// Appended is an entry integrated into the log, and the signed checkpoint
// that covers it.
type Appended struct {
	Index      uint64   `json:"index"`
	Checkpoint []byte   `json:"checkpoint"`
	Proof      [][]byte `json:"inclusion_proof,omitempty"`
	// Duplicate says the entry was in the log already, at Index.
	Duplicate bool `json:"duplicate,omitempty"`
}

// Appender appends entries to a log; Append returns once the entry is
// integrated and a signed checkpoint covers it.
type Appender interface {
	Append(ctx context.Context, data []byte) (*Appended, error)
	Close(ctx context.Context) error
}

// Options tune how a local appender batches and publishes.
type Options struct {
	// CheckpointInterval is how often a checkpoint may be published
	// (POSIX at least 100 ms, MySQL at least 1 s; 0: the least).
	CheckpointInterval time.Duration
	// Verifiers check what an https:// ledger answers.
	Verifiers Verifiers
	Client    *http.Client
}

// local is a dir: or mysql:// log appended to by this process with the key.
type local struct {
	app      *tessera.Appender
	shutdown func(context.Context) error
	awaiter  *tessera.PublicationAwaiter
	cancel   context.CancelFunc
	opened   *Opened
	key      string
	refs     int
}

// OpenAppender opens a log to append to it. dir: and mysql:// logs need
// the log's signing key; https:// logs are appended to through their
// server, which holds it.
func OpenAppender(ctx context.Context, spec Spec, signer note.Signer, opts Options) (Appender, error) {
	if spec.Kind == "https" {
		if opts.Client == nil {
			opts.Client = &http.Client{Timeout: 60 * time.Second}
		}
		return &remote{base: spec, c: opts.Client, vs: opts.Verifiers}, nil
	}
	if signer == nil {
		return nil, fmt.Errorf("appending to ledger %s: %w", spec, ErrNoKey)
	}
	opened, err := Open(ctx, spec, nil)
	if err != nil {
		return nil, err
	}
	if cp, err := opened.Fetcher.ReadCheckpoint(ctx); err == nil && Origin(cp) != signer.Name() {
		opened.Close()
		return nil, fmt.Errorf("the ledger key signs for %s, but ledger %s is the log %s: give that log's key", signer.Name(), spec, Origin(cp))
	}
	key := string(spec.Kind) + "\x00" + spec.Path + spec.DSN
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if l := shared[key]; l != nil {
		opened.Close()
		l.refs++
		return l, nil
	}
	l, err := newLocal(ctx, opened, signer, opts)
	if err != nil {
		opened.Close()
		return nil, err
	}
	l.key, l.refs = key, 1
	shared[key] = l
	return l, nil
}

// One appender per log in a process: Tessera's POSIX driver serialises
// writers across processes with fcntl locks, which do not exclude each
// other within one process, so writers in one process share one appender.
var (
	sharedMu sync.Mutex
	shared   = map[string]*local{}
)

func newLocal(ctx context.Context, opened *Opened, signer note.Signer, opts Options) (*local, error) {
	var driver tessera.Driver
	interval := opts.CheckpointInterval
	switch opened.Spec.Kind {
	case "dir":
		if err := canLock(opened.Spec.Path); err != nil {
			return nil, fmt.Errorf("ledger %s cannot be written: %w", opened.Spec, err)
		}
		d, err := posix.New(ctx, posix.Config{Path: opened.Spec.Path})
		if err != nil {
			return nil, fmt.Errorf("ledger %s: %w", opened.Spec, err)
		}
		driver = d
		interval = max(interval, 100*time.Millisecond)
	case "mysql":
		driver = opened.storage
		interval = max(interval, time.Second)
	}
	// The appender lives as long as this value: its context is not the
	// caller's, which may end with one request.
	actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	o := tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithCheckpointInterval(interval).
		WithBatching(256, 10*time.Millisecond).
		WithCheckpointRepublishInterval(max(interval, time.Minute))
	app, shutdown, reader, err := tessera.NewAppender(actx, driver, o)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("ledger %s: %w", opened.Spec, err)
	}
	return &local{app: app, shutdown: shutdown, cancel: cancel, opened: opened,
		awaiter: tessera.NewPublicationAwaiter(actx, reader.ReadCheckpoint, 20*time.Millisecond)}, nil
}

// Append adds one entry and waits for a checkpoint that covers it.
func (l *local) Append(ctx context.Context, data []byte) (*Appended, error) {
	if len(data) > MaxEntry {
		return nil, fmt.Errorf("a ledger record of %d bytes, over the %d bytes a log entry may be", len(data), MaxEntry)
	}
	if l.opened.Spec.Kind == "dir" {
		if err := canLock(l.opened.Spec.Path); err != nil {
			return nil, fmt.Errorf("ledger %s cannot be written: %w", l.opened.Spec, err)
		}
	}
	idx, cp, err := l.awaiter.Await(ctx, l.app.Add(ctx, tessera.NewEntry(data)))
	if err != nil {
		return nil, fmt.Errorf("appending to ledger %s: %w", l.opened.Spec, err)
	}
	return &Appended{Index: idx.Index, Checkpoint: cp, Duplicate: idx.IsDup}, nil
}

// Close flushes and stops the appender when its last user closes it.
func (l *local) Close(ctx context.Context) error {
	if l.key != "" {
		sharedMu.Lock()
		l.refs--
		last := l.refs == 0
		if last {
			delete(shared, l.key)
		}
		sharedMu.Unlock()
		if !last {
			return nil
		}
	}
	return l.stop(ctx)
}

func (l *local) stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := l.shutdown(ctx)
	l.cancel()
	if cerr := l.opened.Close(); err == nil {
		err = cerr
	}
	return err
}

// canLock checks that the POSIX driver will be able to take its lock and
// write: the driver panics when it cannot take its lock (a read-only file
// system, a log owned by another user), which would end the process
// mid-append; asked first, the append is refused with the reason instead.
// It writes a probe file of its own beside the lock, never opening the lock
// file itself: closing any descriptor of a file releases this process's
// fcntl lock on it, which would let another process write at once. (A file
// system that turns read-only between the check and the append still ends
// the process; the entry is then whole or absent, as after a kill.)
func canLock(dir string) error {
	state := filepath.Join(dir, ".state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(state, ".probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// Init creates a new log: an empty tree under a signed checkpoint. A dir:
// that already holds a log, or a database that holds one, is refused.
func Init(ctx context.Context, spec Spec, signer note.Signer) error {
	switch spec.Kind {
	case "dir":
		if _, err := os.Stat(filepath.Join(spec.Path, layout.CheckpointPath)); err == nil {
			return fmt.Errorf("ledger %s is a log already: a log is created once; to start over, move it aside", spec)
		}
		if err := os.MkdirAll(spec.Path, 0o755); err != nil {
			return fmt.Errorf("ledger %s: %w", spec, err)
		}
	case "mysql":
		db, err := openDB(ctx, spec)
		if err != nil {
			return err
		}
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'Checkpoint'").Scan(&n); err != nil {
			db.Close()
			return fmt.Errorf("ledger %s: %v", redact(spec.URL), err)
		}
		if n > 0 {
			db.Close()
			return fmt.Errorf("ledger %s is a log already: a log is created once", redact(spec.URL))
		}
		for _, stmt := range splitSQL(schemaSQL) {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				db.Close()
				return fmt.Errorf("ledger %s: creating its tables: %v", redact(spec.URL), err)
			}
		}
		db.Close()
	default:
		return fmt.Errorf("ledger %s: a log is created where it is kept (dir: or mysql://), not through its server", spec)
	}
	opened, err := Open(ctx, spec, nil)
	if spec.Kind == "dir" && errors.Is(err, ErrNoLog) {
		opened, err = &Opened{Spec: spec, Fetcher: dirFetcher{root: spec.Path}}, nil
	}
	if err != nil {
		return err
	}
	l, err := newLocal(ctx, opened, signer, Options{})
	if err != nil {
		opened.Close()
		return err
	}
	defer l.Close(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if cp, err := opened.Fetcher.ReadCheckpoint(ctx); err == nil && len(cp) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ledger %s: no checkpoint was published within 30s", spec)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// splitSQL splits a schema file into statements.
func splitSQL(s string) []string {
	var out []string
	for _, part := range bytes.Split([]byte(s), []byte(";")) {
		lines := bytes.Split(part, []byte("\n"))
		var keep [][]byte
		for _, l := range lines {
			if t := bytes.TrimSpace(l); len(t) > 0 && !bytes.HasPrefix(t, []byte("--")) {
				keep = append(keep, l)
			}
		}
		if len(keep) > 0 {
			out = append(out, string(bytes.Join(keep, []byte("\n"))))
		}
	}
	return out
}

// remote appends through 'modelgate ledger serve'.
type remote struct {
	base Spec
	c    *http.Client
	vs   Verifiers
}

// Append posts the entry and checks what the server answers: a checkpoint
// signed by a trusted log key and an inclusion proof of this very entry.
func (r *remote) Append(ctx context.Context, data []byte) (*Appended, error) {
	u, err := r.base.URL.Parse("add")
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("appending to ledger %s: %w", r.base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("appending to ledger %s: %w", r.base, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ledger %s refused the record: %s", r.base, bytes.TrimSpace(body))
	}
	var a Appended
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("ledger %s answered what is not an append: %v", r.base, err)
	}
	cp, err := r.vs.Verify(a.Checkpoint)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", r.base, err)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, a.Index, cp.Size, rfc6962.DefaultHasher.HashLeaf(data), a.Proof, cp.Hash); err != nil {
		return nil, &RewrittenError{Log: r.base.String(), Detail: fmt.Sprintf("the server's inclusion proof of the record at %d does not verify against checkpoint %d: %v", a.Index, cp.Size, err)}
	}
	return &a, nil
}

func (r *remote) Close(context.Context) error { return nil }

// InclusionProof proves entry index in the tree of checkpoint size.
func InclusionProof(ctx context.Context, f Fetcher, index, size uint64) ([][]byte, error) {
	pb, err := newProofBuilder(ctx, size, f)
	if err != nil {
		return nil, err
	}
	return pb.InclusionProof(ctx, index)
}
