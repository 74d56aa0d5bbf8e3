package evidence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/internal/safeio"
)

// Dir is a content-addressed store in a directory:
//
//	objects/AB/ABCDEF…   one envelope per file, named by the SHA-256 of its bytes
//	index/SUBJECTHEX     one line per envelope id naming that subject, append-only
//	ledger/SUBJECTHEX    the same, for ledger records (VSAs) alone
//
// Envelope files are written to a temp file, synced and renamed, so a reader
// never sees half an envelope; index lines are appended under an exclusive
// lock, and a torn last line is skipped and reported.
type Dir struct {
	root  string
	index string // "index", or "ledger" for the ledger's view
}

// OpenDir opens (creating if needed) a directory store.
func OpenDir(root string) (*Dir, error) {
	for _, sub := range []string{"objects", "index", "ledger", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o755); err != nil {
			return nil, fmt.Errorf("store %s: %w", root, err)
		}
	}
	return &Dir{root: root, index: "index"}, nil
}

// OpenExistingDir opens a directory store that must already exist: commands
// that only read never create one.
func OpenExistingDir(root string) (*Dir, error) {
	d := &Dir{root: root, index: "index"}
	if err := d.Check(context.Background()); err != nil {
		return nil, err
	}
	return d, nil
}

// Check reports whether the directory is (still) a store.
func (d *Dir) Check(context.Context) error {
	info, err := os.Stat(filepath.Join(d.root, "objects"))
	if err != nil || !info.IsDir() {
		if _, rootErr := os.Stat(d.root); rootErr != nil {
			return fmt.Errorf("store dir:%s %w", d.root, ErrNoStore)
		}
		return fmt.Errorf("store dir:%s %w", d.root, ErrNotAStore)
	}
	return nil
}

func (d *Dir) String() string { return "dir:" + d.root }

// Ledger is the store seen through its ledger index.
func (d *Dir) Ledger() Store { return &Dir{root: d.root, index: "ledger"} }

func (d *Dir) objectPath(hex string) string {
	return filepath.Join(d.root, "objects", hex[:2], hex)
}

func (d *Dir) indexPath(subject string) string {
	return filepath.Join(d.root, d.index, subject)
}

// Add stores an envelope and indexes it under each subject it names.
func (d *Dir) Add(ctx context.Context, data []byte) (string, bool, error) {
	return d.AddAlso(ctx, data, nil)
}

// AddAlso stores an envelope and indexes it under its subjects and also.
func (d *Dir) AddAlso(_ context.Context, data []byte, also []string) (string, bool, error) {
	subjects, record, err := indexing(data)
	if err != nil {
		return "", false, fmt.Errorf("not stored: %w", err)
	}
	subjects = append(subjects, also...)
	id := attest.EnvelopeID(data)
	hex := digest.Hex(id)
	added, err := d.writeObject(hex, data)
	if err != nil {
		return "", false, err
	}
	indexes := []string{"index"}
	if record {
		indexes = append(indexes, "ledger")
	}
	for _, index := range indexes {
		if err := os.MkdirAll(filepath.Join(d.root, index), 0o755); err != nil {
			return "", false, err
		}
		for _, s := range subjects {
			if err := d.indexAdd(filepath.Join(d.root, index, s), hex); err != nil {
				return "", false, err
			}
		}
	}
	return id, added, nil
}

// writeObject writes the envelope atomically; it reports false if it was there.
func (d *Dir) writeObject(hex string, data []byte) (bool, error) {
	path := d.objectPath(hex)
	if existing, err := safeio.ReadFile(path, attest.MaxEnvelopeSize); err == nil && bytes.Equal(existing, data) {
		return false, nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(filepath.Join(d.root, "tmp"), hex[:16]+".*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return false, err
	}
	return true, syncDir(dir)
}

// indexAdd appends hex to an index file unless it is already there.
func (d *Dir) indexAdd(path, hex string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		return fmt.Errorf("index %s: %w (a symlink or special file in the store?)", path, err)
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return fmt.Errorf("index %s is not a regular file; remove it", path)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock index: %w", err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	content, err := readAllFrom(f)
	if err != nil {
		return err
	}
	ids, _ := ParseIndex(content)
	for _, have := range ids {
		if have == hex {
			return nil
		}
	}
	line := hex + "\n"
	if len(content) > 0 && content[len(content)-1] != '\n' {
		// A writer died mid-line: end the torn line so ours stands alone.
		line = "\n" + line
	}
	if _, err := f.WriteString(line); err != nil {
		return err
	}
	return f.Sync()
}

func readAllFrom(f *os.File) ([]byte, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > maxIndexSize {
		return nil, fmt.Errorf("%w: index %s is %d bytes, over %d", ErrLimit, f.Name(), info.Size(), maxIndexSize)
	}
	buf := make([]byte, info.Size())
	n, err := f.ReadAt(buf, 0)
	if err != nil && n != len(buf) {
		return nil, err
	}
	return buf[:n], nil
}

// maxIndexSize bounds an index file: MaxPerSubject lines of at most
// MaxIndexLine bytes.
const maxIndexSize = MaxPerSubject * (MaxIndexLine + 1)

// ParseIndex reads an index file: one 64-hex envelope id per line. Lines that
// are not ids (a torn write, a foreign edit, a line over MaxIndexLine) are
// returned as bad, not fatal, and never hide the lines after them; repeated
// ids are returned once.
func ParseIndex(data []byte) (ids []string, bad []string) {
	seen := map[string]bool{}
	for len(data) > 0 {
		raw := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(raw) > MaxIndexLine {
			bad = append(bad, fmt.Sprintf("line of %d bytes, over the %d limit", len(raw), MaxIndexLine))
			continue
		}
		line := strings.TrimSpace(string(raw))
		if line == "" {
			continue
		}
		if _, err := ParseID(line); err != nil {
			if len(line) > 80 {
				line = line[:80] + "…"
			}
			bad = append(bad, strings.ToValidUTF8(line, "?"))
			continue
		}
		if !seen[line] {
			seen[line] = true
			ids = append(ids, line)
		}
	}
	return ids, bad
}

// IDs lists the envelope ids indexed under a subject, oldest first.
func (d *Dir) IDs(_ context.Context, subject string) ([]string, error) {
	content, err := safeio.ReadFile(d.indexPath(subject), maxIndexSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: index of sha256:%s: %w; repair or remove the index file", d, subject, err)
	}
	ids, _ := ParseIndex(content)
	if len(ids) > MaxPerSubject {
		return nil, fmt.Errorf("store %s: %w: %d envelopes name sha256:%s, the limit is %d", d, ErrLimit, len(ids), subject, MaxPerSubject)
	}
	for i, id := range ids {
		ids[i] = digest.Prefixed(id)
	}
	return ids, nil
}

// Envelope reads one envelope by id.
func (d *Dir) Envelope(_ context.Context, id string) (Envelope, error) {
	hex, err := ParseID(id)
	if err != nil {
		return Envelope{}, err
	}
	return d.readObject(hex)
}

// Subject returns the envelopes indexed under a subject digest.
func (d *Dir) Subject(ctx context.Context, subject string) ([]Envelope, []Problem, error) {
	path := d.indexPath(subject)
	content, err := safeio.ReadFile(path, maxIndexSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store %s: index of sha256:%s: %w; repair or remove the index file", d, subject, err)
	}
	ids, bad := ParseIndex(content)
	if len(ids) > MaxPerSubject {
		return nil, nil, fmt.Errorf("store %s: %w: %d envelopes name sha256:%s, the limit is %d", d, ErrLimit, len(ids), subject, MaxPerSubject)
	}
	var problems []Problem
	for _, b := range bad {
		problems = append(problems, Problem{Source: path, Reason: fmt.Sprintf("index line %q is not an envelope id; skipped", b)})
	}
	envs := make([]Envelope, 0, len(ids))
	var total int64
	for _, hex := range ids {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("store %s: %w", d, err)
		}
		env, err := d.readObject(hex)
		if err != nil {
			problems = append(problems, Problem{Source: d.objectPath(hex), Reason: err.Error()})
			continue
		}
		if total += int64(len(env.Data)); total > MaxSubjectBytes {
			return nil, nil, fmt.Errorf("store %s: %w: the envelopes naming sha256:%s exceed %d bytes", d, ErrLimit, subject, MaxSubjectBytes)
		}
		envs = append(envs, env)
	}
	return envs, problems, nil
}

// readObject reads an envelope and checks that its bytes match its name.
func (d *Dir) readObject(hex string) (Envelope, error) {
	path := d.objectPath(hex)
	data, err := safeio.ReadFile(path, attest.MaxEnvelopeSize)
	if err != nil {
		return Envelope{}, fmt.Errorf("unreadable: %v; skipped", err)
	}
	id := attest.EnvelopeID(data)
	if id != digest.Prefixed(hex) {
		return Envelope{}, fmt.Errorf("content does not match its name (torn or foreign file); skipped")
	}
	return Envelope{ID: id, Source: path, Data: data}, nil
}

// Get returns one envelope by id.
func (d *Dir) Get(_ context.Context, id string) ([]byte, error) {
	hex, err := ParseID(id)
	if err != nil {
		return nil, err
	}
	env, err := d.readObject(hex)
	if err != nil {
		if _, statErr := os.Lstat(d.objectPath(hex)); errors.Is(statErr, fs.ErrNotExist) {
			return nil, fmt.Errorf("no envelope %s in %s", id, d)
		}
		return nil, fmt.Errorf("envelope %s: %v", id, err)
	}
	return env.Data, nil
}

// All returns every envelope in the store.
func (d *Dir) All(_ context.Context) ([]Envelope, []Problem, error) {
	var envs []Envelope
	var problems []Problem
	err := filepath.WalkDir(filepath.Join(d.root, "objects"), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		hex := e.Name()
		if _, err := ParseID(hex); err != nil {
			problems = append(problems, Problem{Source: p, Reason: "foreign file in the store; skipped"})
			return nil
		}
		env, err := d.readObject(hex)
		if err != nil {
			problems = append(problems, Problem{Source: p, Reason: err.Error()})
			return nil
		}
		envs = append(envs, env)
		return nil
	})
	return envs, problems, err
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
