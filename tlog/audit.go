package tlog

import (
	"context"
	"fmt"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/fsck"
)

// Fsck runs Tessera's fsck library over the log at spec, whose checkpoint
// one of vs verifies, under a deadline (its command hangs or exits 0 on a
// tampered log; its library reports it). A fault is a *RewrittenError.
func Fsck(ctx context.Context, spec Spec, vs Verifiers) error {
	opened, err := Open(ctx, spec, nil)
	if err != nil {
		return err
	}
	defer opened.Close()
	cp, err := opened.Fetcher.ReadCheckpoint(ctx)
	if err != nil {
		return err
	}
	origin := Origin(cp)
	v := vs[origin]
	if v == nil {
		return fmt.Errorf("ledger %s: the policy bundle trusts no log %s", spec, origin)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	f := fsck.New(origin, v, opened.Fetcher, leafHashes, fsck.Opts{N: 2})
	if err := f.Check(ctx); err != nil {
		return &RewrittenError{Log: spec.String(), Detail: "Tessera's fsck: " + err.Error()}
	}
	return nil
}

// leafHashes hashes an entry bundle's entries as the log's leaves.
func leafHashes(bundle []byte) ([][]byte, error) {
	var eb api.EntryBundle
	if err := eb.UnmarshalText(bundle); err != nil {
		return nil, err
	}
	out := make([][]byte, len(eb.Entries))
	for i, e := range eb.Entries {
		out[i] = rfc6962.DefaultHasher.HashLeaf(e)
	}
	return out, nil
}

// Proof is an entry's inclusion in the tree a signed checkpoint commits to.
type Proof struct {
	Origin     string
	Index      uint64
	Leaf       []byte // the entry's leaf hash
	Size       uint64 // the tree's
	Root       []byte
	Hashes     [][]byte
	Checkpoint []byte
}

// Prove builds the inclusion proof of entry index under the signed
// checkpoint (one of vs verifies it), from the log's tiles, and checks it
// before returning it: a proof that does not verify is a *RewrittenError.
func Prove(ctx context.Context, spec Spec, vs Verifiers, checkpoint []byte, index uint64) (*Proof, error) {
	cp, err := vs.Verify(checkpoint)
	if err != nil {
		return nil, err
	}
	opened, err := Open(ctx, spec, nil)
	if err != nil {
		return nil, err
	}
	defer opened.Close()
	hashes, err := InclusionProof(ctx, opened.Fetcher, index, cp.Size)
	if err != nil {
		return nil, err
	}
	entry, err := entryAt(ctx, opened.Fetcher, index, cp.Size)
	if err != nil {
		return nil, err
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(entry)
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, cp.Size, leaf, hashes, cp.Hash); err != nil {
		return nil, &RewrittenError{Log: spec.String(), Detail: fmt.Sprintf("the inclusion proof of entry %d does not verify: %v", index, err)}
	}
	return &Proof{Origin: cp.Origin, Index: index, Leaf: leaf, Size: cp.Size, Root: cp.Hash, Hashes: hashes, Checkpoint: checkpoint}, nil
}

// entryAt reads one entry of the log.
func entryAt(ctx context.Context, f Fetcher, index, size uint64) ([]byte, error) {
	bundleIndex := index / 256
	var p uint8
	if last := size / 256; bundleIndex == last {
		p = uint8(size % 256)
	}
	raw, err := f.ReadEntryBundle(ctx, bundleIndex, p)
	if err != nil {
		return nil, err
	}
	var eb api.EntryBundle
	if err := eb.UnmarshalText(raw); err != nil {
		return nil, err
	}
	if int(index%256) >= len(eb.Entries) {
		return nil, fmt.Errorf("entry %d is missing from its bundle", index)
	}
	return eb.Entries[index%256], nil
}
