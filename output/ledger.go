package output

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/tlog"
	"github.com/modelgate/modelgate/vsa"
)

// LedgerFormats lists what the auditors' ledger documents accept.
var LedgerFormats = names(checkpointFormats)

// The auditors' documents about the ledger's log: its checkpoint, the
// whole log checked, and one record's inclusion proof.
type (
	checkpointDoc struct{ book *vsa.Book }
	checkDoc      struct{ book *vsa.Book }
	proofDoc      struct {
		book  *vsa.Book
		rec   *vsa.Record
		proof *tlog.Proof
	}
)

var checkpointFormats = []format[checkpointDoc]{
	{"text", func(w io.Writer, d checkpointDoc) error {
		_, err := w.Write(d.book.Checkpoint)
		return err
	}},
	{"json", func(w io.Writer, d checkpointDoc) error {
		b := d.book
		return indentedJSON(w, map[string]any{"ledger": b.Log, "origin": tlog.Origin(b.Checkpoint), "size": b.Size, "checkpoint": string(b.Checkpoint)})
	}},
}

// WriteCheckpoint renders the log's signed checkpoint.
func WriteCheckpoint(w io.Writer, b *vsa.Book, format string) error {
	return write(checkpointFormats, format, w, checkpointDoc{b})
}

var checkFormats = []format[checkDoc]{
	{"text", func(w io.Writer, d checkDoc) error {
		b := d.book
		fmt.Fprintf(w, "ledger %s (%s): %d entries under the checkpoint, every entry and tile verified, consistent with every checkpoint seen; Tessera's fsck agrees\n", b.Log, tlog.Origin(b.Checkpoint), b.Size)
		fmt.Fprintf(w, "%d records, each signed by a signer whose role may write it\n", len(b.Records))
		for _, s := range b.Skipped {
			if _, err := fmt.Fprintf(w, "INVALID %s: %s\n", s.ID, Clean(s.Reason)); err != nil {
				return err
			}
		}
		return nil
	}},
	{"json", func(w io.Writer, d checkDoc) error {
		b := d.book
		return indentedJSON(w, map[string]any{"ledger": b.Log, "origin": tlog.Origin(b.Checkpoint), "size": b.Size, "records": len(b.Records), "invalid": b.Skipped, "checkpoint": string(b.Checkpoint)})
	}},
}

// WriteLedgerCheck renders what 'ledger verify' found: the log verified
// under its checkpoint, its records, and every entry that is no valid record.
func WriteLedgerCheck(w io.Writer, b *vsa.Book, format string) error {
	return write(checkFormats, format, w, checkDoc{b})
}

var proofFormats = []format[proofDoc]{
	{"text", func(w io.Writer, d proofDoc) error {
		rec, p := d.rec, d.proof
		fmt.Fprintf(w, "record %s (%s of %s in %s, %s) is entry %d of %s\n", rec.ID, rec.Kind, rec.Ref(), rec.Environment, attest.NormalTime(rec.Time), rec.Index, p.Origin)
		fmt.Fprintf(w, "leaf hash %s\ntree size %d, root %s\ninclusion proof (%d hashes):\n", hex.EncodeToString(p.Leaf), p.Size, hex.EncodeToString(p.Root), len(p.Hashes))
		for _, h := range p.Hashes {
			fmt.Fprintf(w, "  %s\n", hex.EncodeToString(h))
		}
		_, err := fmt.Fprintf(w, "verified against the checkpoint:\n%s", p.Checkpoint)
		return err
	}},
	{"json", func(w io.Writer, d proofDoc) error {
		p := d.proof
		b64 := make([]string, len(p.Hashes))
		for i, h := range p.Hashes {
			b64[i] = base64.StdEncoding.EncodeToString(h)
		}
		return indentedJSON(w, map[string]any{"ledger": d.book.Log, "origin": p.Origin, "record": d.rec.ID, "index": d.rec.Index,
			"leaf_hash": base64.StdEncoding.EncodeToString(p.Leaf), "tree_size": p.Size, "root_hash": base64.StdEncoding.EncodeToString(p.Root),
			"inclusion_proof": b64, "checkpoint": string(p.Checkpoint)})
	}},
}

// WriteProof renders a record's inclusion proof.
func WriteProof(w io.Writer, b *vsa.Book, rec *vsa.Record, p *tlog.Proof, format string) error {
	return write(proofFormats, format, w, proofDoc{b, rec, p})
}
