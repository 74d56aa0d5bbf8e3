package tlog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func newLog(t *testing.T) (Spec, note.Signer, Verifiers) {
	t.Helper()
	skey, vkey, err := GenerateKey("ledger.test.example/models")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	v, err := ParseVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := ParseSpec("dir:" + filepath.Join(t.TempDir(), "tlog"))
	if err := Init(context.Background(), spec, s); err != nil {
		t.Fatal(err)
	}
	return spec, s, Verifiers{v.Name(): v}
}

func read(t *testing.T, spec Spec, vs Verifiers, seen Seen) ([][]byte, *Tree, error) {
	t.Helper()
	o, err := Open(context.Background(), spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	tr := NewTree(spec.String(), vs, seen)
	es, err := tr.Update(context.Background(), o.Fetcher)
	return es, tr, err
}

func TestAppendReadTamper(t *testing.T) {
	ctx := context.Background()
	spec, s, vs := newLog(t)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			a, err := OpenAppender(ctx, spec, s, Options{})
			if err != nil {
				t.Error(err)
				return
			}
			defer a.Close(ctx)
			for i := 0; i < 80; i++ {
				if _, err := a.Append(ctx, []byte(fmt.Sprintf("entry %d/%d", w, i))); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	seen := &SeenDir{Dir: t.TempDir()}
	es, tr, err := read(t, spec, vs, seen)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 320 || tr.Size != 320 {
		t.Fatalf("%d entries, size %d; want 320", len(es), tr.Size)
	}
	// Roll the checkpoint back to the empty one: a reader that saw 320 refuses.
	cpPath := filepath.Join(spec.Path, "checkpoint")
	good, _ := os.ReadFile(cpPath)
	bundle := filepath.Join(spec.Path, "tile", "entries", "000")
	orig, _ := os.ReadFile(bundle)
	changed := append([]byte(nil), orig...)
	changed[10] ^= 1
	os.WriteFile(bundle, changed, 0o644)
	_, _, err = read(t, spec, vs, nil)
	var rw *RewrittenError
	if !errors.As(err, &rw) || !strings.Contains(err.Error(), "do not hash to the root") {
		t.Fatalf("changed entry: %v", err)
	}
	os.WriteFile(bundle, orig, 0o644)
	tile := filepath.Join(spec.Path, "tile", "0", "000")
	torig, _ := os.ReadFile(tile)
	tch := append([]byte(nil), torig...)
	tch[5] ^= 1
	os.WriteFile(tile, tch, 0o644)
	if _, _, err = read(t, spec, vs, nil); !errors.As(err, &rw) || !strings.Contains(err.Error(), "tile 0/0 disagrees") {
		t.Fatalf("changed tile: %v", err)
	}
	os.WriteFile(tile, torig, 0o644)
	if _, _, err := read(t, spec, vs, seen); err != nil {
		t.Fatal(err)
	}
	// The checkpoint rolled back to an older one (after one more entry):
	// a reader that saw the newer refuses it.
	a, err := OpenAppender(ctx, spec, s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Append(ctx, []byte("one more")); err != nil {
		t.Fatal(err)
	}
	a.Close(ctx)
	if _, _, err := read(t, spec, vs, seen); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cpPath, good, 0o644)
	_, _, err = read(t, spec, vs, seen)
	if !errors.As(err, &rw) || !strings.Contains(err.Error(), "ledger rewritten: checkpoint 320 of ledger.test.example/models is smaller than checkpoint 321 seen at") {
		t.Fatalf("rolled back checkpoint: %v", err)
	}
	// A reader that never saw the newer one cannot know.
	if _, _, err := read(t, spec, vs, nil); err != nil {
		t.Fatal(err)
	}
}
