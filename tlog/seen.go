package tlog

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/modelgate/modelgate/internal/safeio"
)

// Seen1 is the largest checkpoint a reader has seen of one log.
type Seen1 struct {
	Size       uint64    `json:"size"`
	Root       []byte    `json:"root"`
	Time       time.Time `json:"seen_at"`
	Checkpoint []byte    `json:"checkpoint"`
}

// Seen remembers, per log origin, the largest checkpoint seen.
type Seen interface {
	Get(origin string) (*Seen1, error)
	Put(origin string, s Seen1) error
}

// SeenDir keeps one file per origin in a directory: the user cache for
// commands, --state-dir for serve.
type SeenDir struct {
	Dir string
	mu  sync.Mutex
}

// DefaultSeenDir is $XDG_CACHE_HOME/modelgate/checkpoints (or the
// platform's user cache).
func DefaultSeenDir() (*SeenDir, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return nil, fmt.Errorf("no user cache directory to remember the ledger's checkpoints in (%v): set XDG_CACHE_HOME", err)
	}
	return &SeenDir{Dir: filepath.Join(dir, "modelgate", "checkpoints")}, nil
}

func (s *SeenDir) path(origin string) string {
	sum := sha256.Sum256([]byte(origin))
	return filepath.Join(s.Dir, hex.EncodeToString(sum[:16])+".json")
}

// Get reads what was seen of origin; nil when nothing.
func (s *SeenDir) Get(origin string) (*Seen1, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, err := readBounded(s.path(origin), 2*MaxCheckpoint)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the checkpoint remembered of %s cannot be read (%v): delete %s only if you know the log was never rewritten", origin, err, s.path(origin))
	}
	var out Seen1
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Root) != 32 {
		return nil, fmt.Errorf("the checkpoint remembered of %s in %s is damaged: delete it only if you know the log was never rewritten", origin, s.path(origin))
	}
	return &out, nil
}

// Put remembers a checkpoint when it is larger than the one remembered.
func (s *SeenDir) Put(origin string, v Seen1) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("remembering the ledger's checkpoint: %w", err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// Another process may have remembered a larger one meanwhile.
	if old, err := readBounded(s.path(origin), 2*MaxCheckpoint); err == nil {
		var o Seen1
		if json.Unmarshal(old, &o) == nil && o.Size > v.Size {
			return nil
		}
	}
	if err := safeio.WriteFileAtomic(s.path(origin), raw, 0o600); err != nil {
		return fmt.Errorf("remembering the ledger's checkpoint: %w", err)
	}
	return nil
}
