package tlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
)

func newProofBuilder(ctx context.Context, size uint64, f Fetcher) (*client.ProofBuilder, error) {
	return client.NewProofBuilder(ctx, size, f.ReadTile)
}

// Handler serves a log's tlog-tiles read paths (/checkpoint, /tile/…,
// /tile/entries/…) and, when Add is set, POST /add.
type Handler struct {
	Fetcher Fetcher
	// Add checks a record and appends it; an error it marks with
	// ErrRefused is the caller's fault (400), any other the server's (503).
	Add func(ctx context.Context, data []byte) (*Appended, error)
	// MaxBody bounds a POSTed record.
	MaxBody int64
}

// ErrRefused marks a record the ledger refuses to append.
var ErrRefused = errors.New("refused")

// ServeHTTP routes one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	switch {
	case p == "add":
		h.add(w, r)
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		http.Error(w, "the log is read with GET, appended to with POST /add", http.StatusMethodNotAllowed)
	case p == layout.CheckpointPath:
		b, err := h.Fetcher.ReadCheckpoint(r.Context())
		h.write(w, b, err, "no-cache")
	case strings.HasPrefix(p, "tile/entries/"):
		i, w8, err := layout.ParseTileIndexPartial(strings.TrimPrefix(p, "tile/entries/"))
		if err != nil {
			http.Error(w, "not an entry bundle path", http.StatusNotFound)
			return
		}
		b, err := h.Fetcher.ReadEntryBundle(r.Context(), i, w8)
		h.write(w, b, err, cacheFor(w8))
	case strings.HasPrefix(p, "tile/"):
		level, index, ok := strings.Cut(strings.TrimPrefix(p, "tile/"), "/")
		if !ok {
			http.Error(w, "not a tile path", http.StatusNotFound)
			return
		}
		l, i, w8, err := layout.ParseTileLevelIndexPartial(level, index)
		if err != nil {
			http.Error(w, "not a tile path", http.StatusNotFound)
			return
		}
		b, err := h.Fetcher.ReadTile(r.Context(), l, i, w8)
		h.write(w, b, err, cacheFor(w8))
	default:
		http.NotFound(w, r)
	}
}

// cacheFor: full tiles and bundles never change; partial ones are
// replaced by full ones, so they too are immutable once written.
func cacheFor(uint8) string { return "public, max-age=31536000, immutable" }

func (h *Handler) write(w http.ResponseWriter, b []byte, err error, cache string) {
	if errors.Is(err, os.ErrNotExist) {
		http.Error(w, "not in the log", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "the log cannot be read now", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Cache-Control", cache)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(b)
}

func (h *Handler) add(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || h.Add == nil {
		http.Error(w, "POST a signed ledger record to /add", http.StatusMethodNotAllowed)
		return
	}
	limit := h.MaxBody
	if limit == 0 {
		limit = MaxEntry
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		http.Error(w, "the record could not be read", http.StatusBadRequest)
		return
	}
	if int64(len(body)) > limit {
		http.Error(w, fmt.Sprintf("a record of over %d bytes: a log entry may be at most that", limit), http.StatusRequestEntityTooLarge)
		return
	}
	a, err := h.Add(r.Context(), body)
	if err != nil {
		code := http.StatusServiceUnavailable
		if errors.Is(err, ErrRefused) {
			code = http.StatusBadRequest
		}
		http.Error(w, err.Error(), code)
		return
	}
	if a.Proof == nil {
		cp, _ := h.Fetcher.ReadCheckpoint(r.Context())
		if len(a.Checkpoint) == 0 {
			a.Checkpoint = cp
		}
		size := checkpointSize(a.Checkpoint)
		if a.Proof, err = InclusionProof(r.Context(), h.Fetcher, a.Index, size); err != nil {
			http.Error(w, "the record is appended, but its proof could not be built: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(a)
}

// checkpointSize reads a checkpoint's size line without verifying it (the
// appender signed it a moment ago; clients verify it).
func checkpointSize(cp []byte) uint64 {
	lines := strings.SplitN(string(cp), "\n", 3)
	if len(lines) < 2 {
		return 0
	}
	var n uint64
	fmt.Sscanf(lines[1], "%d", &n)
	return n
}
