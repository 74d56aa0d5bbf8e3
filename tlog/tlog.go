// Package tlog is the promotion ledger's transparency log: a C2SP
// tlog-tiles log kept by Tessera (a POSIX directory or MySQL), or one served
// over HTTPS by 'modelgate ledger serve'. It opens a log to read or to
// append, verifies what it reads against the signed checkpoint and the tiles,
// and remembers the largest checkpoint it has seen of each log, so a log
// rewritten after it was read is refused. It knows nothing of what the
// entries say: the vsa package reads them as ledger records.
package tlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-sql-driver/mysql"
	"github.com/transparency-dev/tessera/api/layout"
	tmysql "github.com/transparency-dev/tessera/storage/mysql"
	"k8s.io/klog/v2"
)

func init() {
	// Tessera logs through klog and the default slog logger; modelgate
	// speaks for itself on stderr (serve's audit log has its own handler),
	// one line per error, and a warning about a temporary file is not one.
	klog.SetLogger(logr.Discard())
	slog.SetDefault(slog.New(slog.DiscardHandler))
}

// Limits on what one read from a log may amount to: a checkpoint, a tile
// (256 hashes), an entry bundle (256 entries of at most 64 KiB each).
const (
	MaxCheckpoint  = 64 << 10
	MaxTile        = 256*32 + 1
	MaxEntryBundle = 256 * (2 + 65535)
	MaxEntry       = 65535
)

// PasswordEnv holds the password of a mysql:// ledger.
const PasswordEnv = "MODELGATE_LEDGER_PASSWORD"

// Fetcher reads a log's public resources (tlog-tiles): the same interface
// as Tessera's client and fsck read.
type Fetcher interface {
	ReadCheckpoint(ctx context.Context) ([]byte, error)
	ReadTile(ctx context.Context, level, index uint64, p uint8) ([]byte, error)
	ReadEntryBundle(ctx context.Context, index uint64, p uint8) ([]byte, error)
}

// Spec names a log: dir:PATH, mysql://USER@HOST:PORT/DB or https://HOST/PREFIX.
type Spec struct {
	Kind string // "dir", "mysql" or "https"
	Path string // dir: the directory
	DSN  string // mysql: the go-sql-driver DSN
	URL  *url.URL
	raw  string
}

func (s Spec) String() string { return s.raw }

// ErrNoLog is a log that does not exist yet.
var ErrNoLog = errors.New("does not exist")

// ParseSpec reads a ledger's name.
func ParseSpec(spec string) (Spec, error) {
	s := Spec{raw: spec}
	switch {
	case strings.HasPrefix(spec, "dir:"):
		s.Kind, s.Path = "dir", strings.TrimPrefix(spec, "dir:")
		if s.Path == "" {
			return s, fmt.Errorf("ledger %q names no directory: use dir:PATH", spec)
		}
	case strings.HasPrefix(spec, "mysql://"):
		u, err := url.Parse(spec)
		if err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			return s, fmt.Errorf("ledger %q: use mysql://USER@HOST:PORT/DATABASE (the password in $%s)", spec, PasswordEnv)
		}
		if _, has := u.User.Password(); has {
			return s, fmt.Errorf("ledger %q carries a password: give it in $%s instead, so it stays out of process lists and logs", redact(u), PasswordEnv)
		}
		cfg := mysql.NewConfig()
		cfg.User = u.User.Username()
		cfg.Passwd = os.Getenv(PasswordEnv)
		cfg.Net, cfg.Addr, cfg.DBName = "tcp", u.Host, strings.Trim(u.Path, "/")
		if strings.HasPrefix(u.Host, "unix(") || strings.HasPrefix(u.Host, "/") {
			cfg.Net, cfg.Addr = "unix", strings.TrimSuffix(strings.TrimPrefix(u.Host, "unix("), ")")
		}
		if sock := u.Query().Get("socket"); sock != "" {
			cfg.Net, cfg.Addr = "unix", sock
		}
		cfg.ParseTime = true
		cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 10*time.Second, 30*time.Second, 30*time.Second
		s.Kind, s.DSN, s.URL = "mysql", cfg.FormatDSN(), u
	case strings.HasPrefix(spec, "https://"):
		u, err := url.Parse(spec)
		if err != nil || u.Host == "" {
			return s, fmt.Errorf("ledger %q: use https://HOST/PREFIX, as 'modelgate ledger serve' serves it", spec)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		s.Kind, s.URL = "https", u
	default:
		return s, fmt.Errorf("ledger %q: use dir:PATH, mysql://USER@HOST:PORT/DATABASE or https://HOST/PREFIX", spec)
	}
	return s, nil
}

func redact(u *url.URL) string {
	c := *u
	c.User = url.User(u.User.Username())
	return c.String()
}

// Opened is a log opened for reading.
type Opened struct {
	Spec    Spec
	Fetcher Fetcher
	db      *sql.DB
	storage *tmysql.Storage
}

// Close releases the database connection of a mysql:// log.
func (o *Opened) Close() error {
	if o.db != nil {
		return o.db.Close()
	}
	return nil
}

// Open opens a log to read it. A dir: log that does not exist is ErrNoLog.
// client, when set, is used for https:// logs.
func Open(ctx context.Context, spec Spec, client *http.Client) (*Opened, error) {
	o := &Opened{Spec: spec}
	switch spec.Kind {
	case "dir":
		if _, err := os.Stat(filepath.Join(spec.Path, layout.CheckpointPath)); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("ledger %s %w", spec, ErrNoLog)
			}
			return nil, fmt.Errorf("ledger %s: %w", spec, err)
		}
		o.Fetcher = dirFetcher{root: spec.Path}
	case "mysql":
		db, err := openDB(ctx, spec)
		if err != nil {
			return nil, err
		}
		st, err := tmysql.New(ctx, db)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("ledger %s: %v (was it made with 'modelgate ledger init'?)", redact(spec.URL), err)
		}
		o.db, o.storage, o.Fetcher = db, st, boundedMySQL{st}
	case "https":
		if client == nil {
			client = &http.Client{Timeout: 30 * time.Second}
		}
		o.Fetcher = &httpFetcher{base: spec.URL, c: client}
	default:
		return nil, fmt.Errorf("ledger %s: unknown kind", spec)
	}
	return o, nil
}

func openDB(ctx context.Context, spec Spec) (*sql.DB, error) {
	db, err := sql.Open("mysql", spec.DSN)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %v", redact(spec.URL), err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger %s cannot be reached: %v", redact(spec.URL), err)
	}
	return db, nil
}

// readBounded reads a file of at most max bytes, refusing anything else.
func readBounded(path string, max int64) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes, over the %d a log resource may be", path, fi.Size(), max)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max+1))
}

// dirFetcher reads a POSIX log, each resource bounded.
type dirFetcher struct{ root string }

func (d dirFetcher) ReadCheckpoint(context.Context) ([]byte, error) {
	return readBounded(filepath.Join(d.root, layout.CheckpointPath), MaxCheckpoint)
}

func (d dirFetcher) ReadTile(ctx context.Context, l, i uint64, p uint8) ([]byte, error) {
	return partialOrFull(p, func(p uint8) ([]byte, error) {
		return readBounded(filepath.Join(d.root, layout.TilePath(l, i, p)), MaxTile)
	})
}

func (d dirFetcher) ReadEntryBundle(ctx context.Context, i uint64, p uint8) ([]byte, error) {
	return partialOrFull(p, func(p uint8) ([]byte, error) {
		return readBounded(filepath.Join(d.root, layout.EntriesPath(i, p)), MaxEntryBundle)
	})
}

// partialOrFull reads a partial resource, or the full one that replaced it
// (Tessera may garbage-collect partials once the full one exists).
func partialOrFull(p uint8, read func(uint8) ([]byte, error)) ([]byte, error) {
	if p == 0 {
		return read(0)
	}
	b, err := read(p)
	if errors.Is(err, os.ErrNotExist) {
		return read(0)
	}
	return b, err
}

// boundedMySQL reads a MySQL log through Tessera's driver.
type boundedMySQL struct{ s *tmysql.Storage }

func (m boundedMySQL) ReadCheckpoint(ctx context.Context) ([]byte, error) {
	b, err := m.s.ReadCheckpoint(ctx)
	if err == nil && b == nil {
		return nil, os.ErrNotExist
	}
	return bound(b, err, MaxCheckpoint)
}

func (m boundedMySQL) ReadTile(ctx context.Context, l, i uint64, p uint8) ([]byte, error) {
	b, err := m.s.ReadTile(ctx, l, i, p)
	if err == nil && b == nil {
		return nil, os.ErrNotExist
	}
	return bound(b, err, MaxTile)
}

func (m boundedMySQL) ReadEntryBundle(ctx context.Context, i uint64, p uint8) ([]byte, error) {
	b, err := m.s.ReadEntryBundle(ctx, i, p)
	if err == nil && b == nil {
		return nil, os.ErrNotExist
	}
	return bound(b, err, MaxEntryBundle)
}

func bound(b []byte, err error, max int) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	if len(b) > max {
		return nil, fmt.Errorf("a log resource of %d bytes, over the %d it may be", len(b), max)
	}
	return b, nil
}

// httpFetcher reads a log served over HTTPS, each response bounded.
type httpFetcher struct {
	base *url.URL
	c    *http.Client
}

func (h *httpFetcher) get(ctx context.Context, p string, max int64) ([]byte, error) {
	u, err := h.base.Parse(p)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := h.c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, fmt.Errorf("%s: %w", u, os.ErrNotExist)
	default:
		return nil, fmt.Errorf("%s: %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: over the %d bytes a log resource may be", u, max)
	}
	return b, nil
}

func (h *httpFetcher) ReadCheckpoint(ctx context.Context) ([]byte, error) {
	return h.get(ctx, layout.CheckpointPath, MaxCheckpoint)
}

func (h *httpFetcher) ReadTile(ctx context.Context, l, i uint64, p uint8) ([]byte, error) {
	return partialOrFull(p, func(p uint8) ([]byte, error) { return h.get(ctx, layout.TilePath(l, i, p), MaxTile) })
}

func (h *httpFetcher) ReadEntryBundle(ctx context.Context, i uint64, p uint8) ([]byte, error) {
	return partialOrFull(p, func(p uint8) ([]byte, error) { return h.get(ctx, layout.EntriesPath(i, p), MaxEntryBundle) })
}
