package tlog

import (
	"context"
	"os"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// FuzzParseSpec: any ledger name is parsed or refused, never a crash.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"dir:evidence/tlog", "mysql://modelgate@127.0.0.1:3306/ledger", "mysql://u:p@h/db", "https://ledger.example/models",
		"https://", "mysql://", "dir:", "oci://r/x", "mysql://u@unix(/run/mysqld.sock)/db", "mysql://u@h:1/db?socket=/s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseSpec(s)
		if err == nil && spec.Kind == "" {
			t.Fatalf("%q parsed to no kind", s)
		}
	})
}

// fixed serves one checkpoint, entry bundle and tile, whatever is asked.
type fixed struct{ cp, bundle, tile []byte }

func (f fixed) ReadCheckpoint(context.Context) ([]byte, error) { return f.cp, nil }
func (f fixed) ReadTile(context.Context, uint64, uint64, uint8) ([]byte, error) {
	if f.tile == nil {
		return nil, os.ErrNotExist
	}
	return f.tile, nil
}
func (f fixed) ReadEntryBundle(context.Context, uint64, uint8) ([]byte, error) {
	if f.bundle == nil {
		return nil, os.ErrNotExist
	}
	return f.bundle, nil
}

// FuzzTreeUpdate: a reader given any checkpoint, entry bundle and tile
// bytes verifies them or refuses them, never crashes or loops.
func FuzzTreeUpdate(f *testing.F) {
	skey, vkey, _ := GenerateKey("ledger.fuzz.example/log")
	s, _ := note.NewSigner(skey)
	v, _ := ParseVerifier(vkey)
	vs := Verifiers{v.Name(): v}
	signed, _ := note.Sign(&note.Note{Text: "ledger.fuzz.example/log\n1\nbm90IGEgcm9vdCBoYXNoIG9mIDMyIGJ5dGVzISEhISE=\n"}, s)
	f.Add(signed, []byte{0, 3, 'a', 'b', 'c'}, make([]byte, 32))
	f.Add([]byte("ledger.fuzz.example/log\n18446744073709551615\nAAAA\n"), []byte{}, []byte{})
	f.Add([]byte("other\n0\n\n"), []byte(nil), []byte(nil))
	f.Fuzz(func(t *testing.T, cp, bundle, tile []byte) {
		tr := NewTree("fuzz", vs, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tr.Update(ctx, fixed{cp: cp, bundle: bundle, tile: tile})
	})
}
