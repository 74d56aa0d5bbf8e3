package vsa

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/tlog"
)

// Book is the ledger as of one checkpoint of its log: every entry
// verified against the tree, read as a record, in log order. It is never
// changed once made: a follower makes a new one for each new checkpoint.
type Book struct {
	// Log names the log, Checkpoint is the signed checkpoint it was read
	// under (nil for a ledger with no log yet), Size its entries.
	Log        string
	Checkpoint []byte
	Size       uint64
	// Read is when the checkpoint was last verified.
	Read time.Time
	// Records are the records that count, the first copy of each, in log order.
	Records []*Record
	// Skipped are the entries that do not count, and why.
	Skipped []Skipped

	byKey    map[string][]*Record // model\x00env
	byModel  map[string][]*Record
	byDigest map[string][]*Record
	byID     map[string]*Record
	// states keeps each model and environment's replayed state, made at
	// first use: a follower's reviews then look it up, replaying nothing.
	states *sync.Map // model\x00env → *State
	// newest is the latest signed time among each key's records.
	newest map[string]time.Time
}

// State is a model's state in an environment as of at, from the records
// in log order; the whole replay is kept when no record is dated after at.
func (b *Book) State(model, env string, at time.Time) *State {
	rs := b.Of(model, env)
	k := model + "\x00" + env
	if b.newest[k].After(at) {
		return Replay(rs, env, at)
	}
	if s, ok := b.states.Load(k); ok {
		return s.(*State)
	}
	s := Replay(rs, env, time.Time{})
	b.states.Store(k, s)
	return s
}

func newBook() *Book {
	return &Book{byKey: map[string][]*Record{}, byModel: map[string][]*Record{}, byDigest: map[string][]*Record{}, byID: map[string]*Record{},
		states: &sync.Map{}, newest: map[string]time.Time{}}
}

// index files a record under its keys.
func (b *Book) index(rec *Record) {
	b.byID[rec.ID] = rec
	b.Records = append(b.Records, rec)
	k := rec.Model + "\x00" + rec.Environment
	b.byKey[k] = append(b.byKey[k], rec)
	b.byModel[rec.Model] = append(b.byModel[rec.Model], rec)
	b.byDigest[rec.Digest] = append(b.byDigest[rec.Digest], rec)
	if rec.Time.After(b.newest[k]) {
		b.newest[k] = rec.Time
	}
}

// Of are a model's records in an environment (every environment for ""), in log order.
func (b *Book) Of(model, env string) []*Record {
	if env == "" {
		return b.byModel[model]
	}
	return b.byKey[model+"\x00"+env]
}

// Find is the record with a statement id, or nil.
func (b *Book) Find(id string) *Record { return b.byID[id] }

// extend is a new book holding b's records and the entries that follow them.
func (b *Book) extend(ctx context.Context, r *Reader, entries [][]byte, from uint64) *Book {
	n := newBook()
	n.Log, n.Records, n.Skipped = b.Log, slices.Clip(b.Records), slices.Clip(b.Skipped)
	for k, v := range b.byKey {
		n.byKey[k] = slices.Clip(v)
	}
	for k, v := range b.byModel {
		n.byModel[k] = slices.Clip(v)
	}
	for k, v := range b.byDigest {
		n.byDigest[k] = slices.Clip(v)
	}
	for k, v := range b.byID {
		n.byID[k] = v
	}
	for k, v := range b.newest {
		n.newest[k] = v
	}
	recs, skipped := r.read(ctx, entries, from)
	n.Skipped = append(n.Skipped, skipped...)
	for _, rec := range recs {
		if n.byID[rec.ID] != nil {
			continue // a record appended twice counts once, where it first is
		}
		n.index(rec)
	}
	return n
}

// at is the same records under a new checkpoint: a new book that shares
// the old one's (unchanging) records, indexes and replayed states.
func (b *Book) at() *Book {
	return &Book{Log: b.Log, Records: b.Records, Skipped: b.Skipped, byKey: b.byKey, byModel: b.byModel, byDigest: b.byDigest, byID: b.byID,
		states: b.states, newest: b.newest}
}

// Reader turns log entries into records, as a bundle trusts them.
type Reader struct {
	Trust *facts.Trust
	// Admitters, when set, narrows who may admit (see Ledger.Admitters).
	Admitters map[string]bool
	// Now dates the reading: a record dated in the future does not count.
	Now func() time.Time
}

// read verifies entries (the log's from index from on) in parallel.
func (r *Reader) read(ctx context.Context, entries [][]byte, from uint64) ([]*Record, []Skipped) {
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	out := make([]*Record, len(entries))
	skip := make([]*Skipped, len(entries))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rec, err := r.record(ctx, entries[i], now)
				if err != nil {
					skip[i] = &Skipped{ID: fmt.Sprintf("entry %d", from+uint64(i)), Reason: err.Error()}
					continue
				}
				rec.Index = from + uint64(i)
				out[i] = rec
			}
		}()
	}
	for i := range entries {
		next <- i
	}
	close(next)
	wg.Wait()
	var recs []*Record
	var skipped []Skipped
	for i := range entries {
		if out[i] != nil {
			recs = append(recs, out[i])
		} else {
			skipped = append(skipped, *skip[i])
		}
	}
	return recs, skipped
}

// Verify reads one signed record as the bundle trusts it: its signature,
// its statement, and a signer with a role that may write its kind. It
// does not apply Admitters: those narrow what a reader counts, not what
// the log accepts.
func Verify(ctx context.Context, trust *facts.Trust, data []byte, now time.Time) (*Record, error) {
	r := Reader{Trust: trust}
	return r.verify(ctx, data, now)
}

func (r *Reader) verify(ctx context.Context, data []byte, now time.Time) (*Record, error) {
	subjects, err := evidence.Subjects(data)
	if err != nil {
		return nil, err
	}
	if len(subjects) == 0 {
		return nil, errors.New("the statement names no subject")
	}
	f, err := r.Trust.Verify(ctx, subjects[0], evidence.Envelope{ID: attest.EnvelopeID(data), Data: data}, now)
	if err != nil {
		return nil, err
	}
	if f.Type != attest.VSAType {
		return nil, fmt.Errorf("a %s statement is not a ledger record", f.Type)
	}
	rec, err := ParseRaw(f.Raw, f.Subjects)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(MayRecord[rec.Kind], func(role string) bool { return slices.Contains(f.Signer.Roles, role) }) {
		return nil, fmt.Errorf("signer %s may not sign a %s record (needs role %v)", f.Signer.ID, rec.Kind, MayRecord[rec.Kind])
	}
	rec.ID, rec.Envelope, rec.Signer, rec.SignerRoles, rec.signerKey = f.StatementID, f.ID, f.Signer.Identity, f.Signer.Roles, f.Signer.KeyID
	return rec, nil
}

func (r *Reader) record(ctx context.Context, data []byte, now time.Time) (*Record, error) {
	rec, err := r.verify(ctx, data, now)
	if err != nil {
		return nil, err
	}
	if r.Admitters != nil && rec.Admits() && !r.Admitters[rec.signerKey] {
		return nil, fmt.Errorf("signer %s is not among the gate keys this reader accepts", rec.Signer)
	}
	return rec, nil
}

// Source gives the ledger's book.
type Source interface {
	Book(ctx context.Context) (*Book, error)
}

// Fixed is a source of records given in order: a ledger in a test, or
// records read elsewhere.
type Fixed struct{ B *Book }

func (f Fixed) Book(context.Context) (*Book, error) { return f.B, nil }

// BookOf makes a book of records in the order given.
func BookOf(records []*Record) *Book {
	b := newBook()
	for i, rec := range records {
		if b.byID[rec.ID] != nil && rec.ID != "" {
			continue
		}
		if rec.ID == "" {
			rec.ID = fmt.Sprintf("record-%d", i)
		}
		rec.Index = uint64(i)
		b.index(rec)
	}
	b.Size = uint64(len(records))
	return b
}

// LogSource reads a ledger's log once, whole, verified: what a command
// needs. A log that does not exist yet is an empty ledger, unless this
// reader has seen a checkpoint of a log the bundle trusts (then it was
// deleted, and that is a rewrite).
type LogSource struct {
	Spec   tlog.Spec
	Reader *Reader
	Seen   tlog.Seen
	once   sync.Once
	book   *Book
	err    error
	tree   *tlog.Tree
}

// Book reads the log on first use; later calls return what was read.
func (s *LogSource) Book(ctx context.Context) (*Book, error) {
	s.once.Do(func() { s.book, s.err = s.read(ctx) })
	return s.book, s.err
}

func (s *LogSource) read(ctx context.Context) (*Book, error) {
	opened, err := tlog.Open(ctx, s.Spec, nil)
	if errors.Is(err, tlog.ErrNoLog) {
		if s.Seen != nil {
			for origin := range s.Reader.Trust.Logs() {
				if seen, serr := s.Seen.Get(origin); serr == nil && seen != nil && seen.Size > 0 {
					return nil, &tlog.RewrittenError{Log: s.Spec.String(), Detail: fmt.Sprintf("the log is gone; checkpoint %d of %s was seen at %s", seen.Size, origin, seen.Time.UTC().Format(time.RFC3339))}
				}
			}
		}
		if len(s.Reader.Trust.Logs()) > 0 {
			// The bundle trusts a ledger, and it is not where it was named:
			// a mistyped ledger must not read as one with no revocation.
			return nil, err
		}
		b := newBook()
		b.Log, b.Read = s.Spec.String(), time.Now().UTC()
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	defer opened.Close()
	s.tree = tlog.NewTree(s.Spec.String(), s.Reader.Trust.Logs(), s.Seen)
	entries, err := s.tree.Update(ctx, opened.Fetcher)
	if err != nil {
		return nil, err
	}
	b := newBook()
	b.Log = s.Spec.String()
	b = b.extend(ctx, s.Reader, entries, 0)
	b.Checkpoint, b.Size, b.Read = s.tree.Checkpoint, s.tree.Size, s.tree.Time
	return b, nil
}

// Follower keeps a ledger's book up to date with its log: serve's source.
// A review reads the book it holds, with no I/O; when the log cannot be
// read, the book answers for at most MaxStaleness after it was last
// verified, then every read is an error.
type Follower struct {
	Spec         tlog.Spec
	Reader       *Reader
	Seen         tlog.Seen
	MaxStaleness time.Duration
	Now          func() time.Time

	mu     sync.Mutex // one update at a time
	tree   *tlog.Tree
	opened *tlog.Opened
	cur    sync.Map // "book" → *Book, "err" → error
}

// StaleError is a follower whose log has not been read within its bound.
type StaleError struct {
	Log   string
	Age   time.Duration
	Max   time.Duration
	Cause error
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("the ledger %s was last read %s ago, over --max-staleness %s (%v); modelgate fails closed until it can read the log again", e.Log, e.Age.Round(time.Second), e.Max, e.Cause)
}

// Book is the newest verified book, or why there is none to answer with:
// a log found rewritten, or a state older than MaxStaleness (the log could
// not be read, or a read hangs).
func (f *Follower) Book(context.Context) (*Book, error) {
	b, _ := f.cur.Load("book")
	var last error
	if e, ok := f.cur.Load("err"); ok && e != nil {
		last = e.(error)
		var rw *tlog.RewrittenError
		if errors.As(last, &rw) {
			return nil, last
		}
	}
	if b == nil {
		if last != nil {
			return nil, last
		}
		return nil, fmt.Errorf("the ledger %s has not been read yet", f.Spec)
	}
	if age := f.now().Sub(b.(*Book).Read); f.MaxStaleness > 0 && age > f.MaxStaleness {
		if last == nil {
			last = errors.New("no new checkpoint could be read in time")
		}
		return nil, &StaleError{Log: f.Spec.String(), Age: age, Max: f.MaxStaleness, Cause: last}
	}
	return b.(*Book), nil
}

// Current is the newest verified book and the last error, for /readyz.
func (f *Follower) Current() (*Book, error) {
	b, _ := f.cur.Load("book")
	e, _ := f.cur.Load("err")
	var book *Book
	if b != nil {
		book = b.(*Book)
	}
	var err error
	if e != nil {
		err, _ = e.(error)
	}
	return book, err
}

func (f *Follower) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// Update reads the log's new checkpoint and entries, if any. A rewritten
// log sticks: the follower refuses to answer until it is restarted on a
// log consistent with what it saw.
func (f *Follower) Update(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.cur.Load("err"); ok && e != nil {
		var rw *tlog.RewrittenError
		if errors.As(e.(error), &rw) {
			return e.(error)
		}
	}
	err := f.update(ctx)
	if err != nil {
		f.cur.Store("err", err)
	} else {
		f.cur.Store("err", error(nil))
	}
	return err
}

func (f *Follower) update(ctx context.Context) error {
	if f.opened == nil {
		o, err := tlog.Open(ctx, f.Spec, nil)
		if err != nil {
			return err
		}
		f.opened = o
		f.tree = tlog.NewTree(f.Spec.String(), f.Reader.Trust.Logs(), f.Seen)
	}
	old, _ := f.cur.Load("book")
	from := f.tree.Size
	entries, err := f.tree.Update(ctx, f.opened.Fetcher)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || ctx.Err() != nil {
			return err
		}
		return err
	}
	var b *Book
	if old == nil {
		b = newBook()
		b.Log = f.Spec.String()
	} else {
		b = old.(*Book)
	}
	if len(entries) > 0 || old == nil {
		b = b.extend(ctx, f.Reader, entries, from)
	} else {
		b = b.at()
	}
	b.Checkpoint, b.Size, b.Read = f.tree.Checkpoint, f.tree.Size, f.now().UTC()
	f.cur.Store("book", b)
	return nil
}

// Audit reads the whole log again from its first entry, as a new reader
// would, and checks it against the checkpoints seen: an entry or tile
// changed under entries the follower already holds is found this way, and
// then every answer is a deny until the log is restored.
func (f *Follower) Audit(ctx context.Context) error {
	o, err := tlog.Open(ctx, f.Spec, nil)
	if err != nil {
		return err
	}
	defer o.Close()
	_, err = tlog.NewTree(f.Spec.String(), f.Reader.Trust.Logs(), f.Seen).Update(ctx, o.Fetcher)
	var rw *tlog.RewrittenError
	if errors.As(err, &rw) {
		f.mu.Lock()
		f.cur.Store("err", err)
		f.mu.Unlock()
	}
	return err
}

// Follow polls the log every poll until ctx ends, and audits it whole
// every audit (0: never); each update's error is passed to report (nil on
// success).
func (f *Follower) Follow(ctx context.Context, poll, audit time.Duration, report func(error)) {
	t := time.NewTicker(poll)
	defer t.Stop()
	lastAudit := time.Now()
	for {
		select {
		case <-ctx.Done():
			if f.opened != nil {
				f.opened.Close()
			}
			return
		case <-t.C:
		}
		uctx, cancel := context.WithTimeout(ctx, 4*poll+10*time.Second)
		err := f.Update(uctx)
		cancel()
		if err == nil && audit > 0 && time.Since(lastAudit) >= audit {
			lastAudit = time.Now()
			actx, cancel := context.WithTimeout(ctx, audit+time.Minute)
			if aerr := f.Audit(actx); aerr != nil {
				var rw *tlog.RewrittenError
				if errors.As(aerr, &rw) {
					err = aerr
				}
			}
			cancel()
		}
		if report != nil {
			report(err)
		}
	}
}
