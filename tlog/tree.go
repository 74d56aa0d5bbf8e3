package tlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"
)

// RewrittenError is a log that is not what it was, or not what its
// checkpoint says: a smaller or inconsistent checkpoint than one seen,
// entries that do not hash to the signed root, a tile that disagrees with
// the entries. A reader fails closed on it.
type RewrittenError struct {
	Log    string
	Detail string
}

func (e *RewrittenError) Error() string {
	return fmt.Sprintf("ledger rewritten: %s (ledger %s); restore the log from a backup and find out who changed it before trusting it", e.Detail, e.Log)
}

// ErrNoLogKey is a policy bundle that trusts no ledger key at all.
var ErrNoLogKey = errors.New("the policy bundle trusts no ledger key")

// Verifiers are the log keys a bundle trusts, by origin.
type Verifiers map[string]note.Verifier

// Origin reads a checkpoint's first line without verifying it.
func Origin(cp []byte) string {
	line, _, _ := bytes.Cut(cp, []byte("\n"))
	return string(line)
}

// Tree is what a reader has verified of one log: the entries it has read
// up to Size, hashed into a compact range whose root the checkpoint signed.
type Tree struct {
	Log        string
	Origin     string
	Size       uint64
	Root       []byte
	Checkpoint []byte // the raw signed checkpoint it verified last
	Time       time.Time
	verifiers  Verifiers
	rng        *compact.Range
	seen       Seen
}

var rangeFactory = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// NewTree starts a reader of a log: nothing read yet. seen (nil: none)
// remembers the largest checkpoint of each log across processes.
func NewTree(logName string, vs Verifiers, seen Seen) *Tree {
	return &Tree{Log: logName, verifiers: vs, rng: rangeFactory.NewEmptyRange(0), seen: seen}
}

// Verify checks a signed checkpoint against the trusted log keys.
func (vs Verifiers) Verify(raw []byte) (*log.Checkpoint, error) {
	origin := Origin(raw)
	v, ok := vs[origin]
	if !ok {
		known := make([]string, 0, len(vs))
		for o := range vs {
			known = append(known, o)
		}
		if len(known) == 0 {
			return nil, fmt.Errorf("the log %s: %w", origin, ErrNoLogKey)
		}
		return nil, fmt.Errorf("the checkpoint's origin %q is not a log the policy bundle trusts (it trusts %s)", origin, strings.Join(known, ", "))
	}
	cp, _, _, err := log.ParseCheckpoint(raw, origin, v)
	if err != nil {
		return nil, fmt.Errorf("checkpoint of %s: %v", origin, err)
	}
	return cp, nil
}

// Update reads what the log holds past what the tree has verified, and
// verifies it: the checkpoint's signature, every new entry hashed into the
// root it signs, the tiles over the new entries, and consistency with every
// checkpoint seen before. It returns the new entries, in log order from the
// tree's old size; on any error the tree is as it was.
func (t *Tree) Update(ctx context.Context, f Fetcher) ([][]byte, error) {
	raw, err := f.ReadCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: reading its checkpoint: %w", t.Log, err)
	}
	cp, err := t.verifiers.Verify(raw)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", t.Log, err)
	}
	if t.Origin != "" && cp.Origin != t.Origin {
		return nil, &RewrittenError{Log: t.Log, Detail: fmt.Sprintf("the log's origin changed from %s to %s", t.Origin, cp.Origin)}
	}
	var prior *Seen1
	if t.seen != nil {
		if prior, err = t.seen.Get(cp.Origin); err != nil {
			return nil, err
		}
	}
	switch {
	case cp.Size < t.Size:
		return nil, t.rewritten(cp, t.Size, t.Root, t.Time)
	case prior != nil && cp.Size < prior.Size:
		return nil, t.rewritten(cp, prior.Size, prior.Root, prior.Time)
	case cp.Size == t.Size && t.Checkpoint != nil:
		if !bytes.Equal(cp.Hash, t.Root) {
			return nil, t.rewritten(cp, t.Size, t.Root, t.Time)
		}
		t.Checkpoint = raw
		return nil, nil
	}
	rng := rangeFactory.NewEmptyRange(0)
	if err := rng.AppendRange(t.rng, nil); err != nil {
		return nil, err
	}
	nodes := map[compact.NodeID][]byte{}
	visit := func(id compact.NodeID, h []byte) {
		if id.Level%layout.TileHeight == 0 {
			nodes[id] = h
		}
	}
	var entries [][]byte
	checkPrior := func() error {
		if prior != nil && rng.End() == prior.Size {
			root, err := rootOf(rng)
			if err != nil {
				return err
			}
			if !bytes.Equal(root, prior.Root) {
				return t.rewritten(cp, prior.Size, prior.Root, prior.Time)
			}
		}
		return nil
	}
	if err := checkPrior(); err != nil {
		return nil, err
	}
	for ri := range layout.Range(t.Size, cp.Size-t.Size, cp.Size) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := f.ReadEntryBundle(ctx, ri.Index, ri.Partial)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, &RewrittenError{Log: t.Log, Detail: fmt.Sprintf("entry bundle %d, under checkpoint %d, is missing", ri.Index, cp.Size)}
			}
			return nil, fmt.Errorf("ledger %s: reading entry bundle %d: %w", t.Log, ri.Index, err)
		}
		var eb api.EntryBundle
		if err := eb.UnmarshalText(b); err != nil || uint64(len(eb.Entries)) < uint64(ri.First)+uint64(ri.N) {
			return nil, &RewrittenError{Log: t.Log, Detail: fmt.Sprintf("entry bundle %d does not hold the entries checkpoint %d commits to", ri.Index, cp.Size)}
		}
		for _, e := range eb.Entries[ri.First : uint64(ri.First)+uint64(ri.N)] {
			if err := rng.Append(rfc6962.DefaultHasher.HashLeaf(e), visit); err != nil {
				return nil, err
			}
			entries = append(entries, e)
			if err := checkPrior(); err != nil {
				return nil, err
			}
		}
	}
	root, err := rootOf(rng)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(root, cp.Hash) {
		return nil, &RewrittenError{Log: t.Log, Detail: fmt.Sprintf("its entries do not hash to the root that checkpoint %d signs: an entry was changed, removed or reordered", cp.Size)}
	}
	if err := checkTiles(ctx, f, nodes, cp.Size); err != nil {
		return nil, &RewrittenError{Log: t.Log, Detail: err.Error()}
	}
	t.Origin, t.Size, t.Root, t.Checkpoint, t.Time, t.rng = cp.Origin, cp.Size, cp.Hash, raw, time.Now().UTC(), rng
	if t.seen != nil && (prior == nil || cp.Size > prior.Size) {
		if err := t.seen.Put(cp.Origin, Seen1{Size: cp.Size, Root: cp.Hash, Time: t.Time, Checkpoint: raw}); err != nil {
			return nil, err
		}
	}
	return entries, nil
}

func (t *Tree) rewritten(cp *log.Checkpoint, size uint64, root []byte, at time.Time) error {
	when := "earlier"
	if !at.IsZero() {
		when = at.UTC().Format(time.RFC3339)
	}
	if cp.Size < size {
		return &RewrittenError{Log: t.Log, Detail: fmt.Sprintf("checkpoint %d of %s is smaller than checkpoint %d seen at %s", cp.Size, cp.Origin, size, when)}
	}
	return &RewrittenError{Log: t.Log, Detail: fmt.Sprintf("checkpoint %d of %s is not consistent with checkpoint %d seen at %s", cp.Size, cp.Origin, size, when)}
}

// checkTiles compares the tiles over the new entries with the nodes the
// entries hash to.
func checkTiles(ctx context.Context, f Fetcher, nodes map[compact.NodeID][]byte, size uint64) error {
	type tileID struct{ level, index uint64 }
	tiles := map[tileID][]compact.NodeID{}
	for id := range nodes {
		k := tileID{uint64(id.Level) / layout.TileHeight, id.Index / layout.TileWidth}
		tiles[k] = append(tiles[k], id)
	}
	for k, ids := range tiles {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := layout.PartialTileSize(k.level, k.index, size)
		raw, err := f.ReadTile(ctx, k.level, k.index, p)
		if err != nil {
			return fmt.Errorf("tile %d/%d cannot be read under checkpoint %d: %v", k.level, k.index, size, err)
		}
		var ht api.HashTile
		if err := ht.UnmarshalText(raw); err != nil {
			return fmt.Errorf("tile %d/%d is not a tile: %v", k.level, k.index, err)
		}
		for _, id := range ids {
			i := id.Index % layout.TileWidth
			if i >= uint64(len(ht.Nodes)) || !bytes.Equal(ht.Nodes[i], nodes[id]) {
				return fmt.Errorf("tile %d/%d disagrees with the entries under checkpoint %d", k.level, k.index, size)
			}
		}
	}
	return nil
}

// Hashes are the tree's compact range: what a follower keeps to go on.
func (t *Tree) Clone() *Tree {
	c := *t
	c.rng = rangeFactory.NewEmptyRange(0)
	c.rng.AppendRange(t.rng, nil)
	return &c
}

// rootOf is a compact range's root hash, the empty tree's included.
func rootOf(r *compact.Range) ([]byte, error) {
	if r.End() == 0 {
		return rfc6962.DefaultHasher.EmptyRoot(), nil
	}
	return r.GetRootHash(nil)
}
