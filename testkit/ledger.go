package testkit

import (
	"context"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"

	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/tlog"
)

// LogKey is a ledger log's signed-note key pair.
type LogKey struct {
	Origin     string
	SKey, VKey string
	Signer     note.Signer
}

// NewLogKey generates a log's key for an origin.
func NewLogKey(origin string) *LogKey {
	skey, vkey, err := tlog.GenerateKey(origin)
	if err != nil {
		panic(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		panic(err)
	}
	return &LogKey{Origin: origin, SKey: skey, VKey: vkey, Signer: s}
}

// TrustEntry is the log as the bundle's trust list names it.
func (k *LogKey) TrustEntry() bundles.Signer {
	return bundles.Signer{ID: "log", Identity: k.Origin, Roles: []string{"ledger"}, PublicKey: k.VKey}
}

// WriteKey writes the signing key to dir/ledger.key (and the verifier key
// beside it) and returns the signing key's path.
func (k *LogKey) WriteKey(dir string) string {
	path := filepath.Join(dir, "ledger.key")
	if err := os.WriteFile(path, []byte(k.SKey+"\n"), 0o600); err != nil {
		panic(err)
	}
	os.WriteFile(filepath.Join(dir, "ledger.pub"), []byte(k.VKey+"\n"), 0o644)
	return path
}

// Init creates a log with this key at dir (a dir: ledger).
func (k *LogKey) Init(dir string) error {
	spec, err := tlog.ParseSpec("dir:" + dir)
	if err != nil {
		return err
	}
	return tlog.Init(context.Background(), spec, k.Signer)
}
