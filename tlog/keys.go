package tlog

import (
	"crypto/rand"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/modelgate/modelgate/internal/safeio"
)

// KeyEnv holds the path of the ledger's signing key.
const KeyEnv = "MODELGATE_LEDGER_KEY"

// GenerateKey makes a log's Ed25519 signed-note key pair: the signing key
// (PRIVATE+KEY+ORIGIN+…) and the verifier key (ORIGIN+HASH+KEY) the bundle
// trusts.
func GenerateKey(origin string) (skey, vkey string, err error) {
	if err := CheckOrigin(origin); err != nil {
		return "", "", err
	}
	return note.GenerateKey(rand.Reader, origin)
}

// CheckOrigin refuses an origin a signed note cannot carry.
func CheckOrigin(origin string) error {
	if origin == "" || strings.ContainsAny(origin, "+ \t\r\n") || len(origin) > 255 {
		return fmt.Errorf("origin %q: want a name such as ledger.acme.example/models, without spaces or '+'", origin)
	}
	return nil
}

// LoadSigner reads a log's signing key from a file.
func LoadSigner(path string) (note.Signer, error) {
	raw, err := safeio.ReadInput(path, 4<<10, nil)
	if err != nil {
		return nil, err
	}
	s, err := note.NewSigner(strings.TrimSpace(string(raw)))
	if err != nil {
		return nil, fmt.Errorf("%s is not a ledger signing key (%v): 'modelgate ledger init' writes one as PREFIX.ledger.key", path, err)
	}
	return s, nil
}

// ParseVerifier reads a log's verifier key (ORIGIN+HASH+KEY).
func ParseVerifier(text string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(text))
	if err != nil {
		return nil, fmt.Errorf("not a ledger verifier key ORIGIN+HASH+KEY (%v): 'modelgate ledger init' writes one as PREFIX.ledger.pub", err)
	}
	return v, nil
}

// IsVerifierKey says whether text looks like a signed-note verifier key
// rather than a PEM key.
func IsVerifierKey(text string) bool {
	t := strings.TrimSpace(text)
	return !strings.HasPrefix(t, "-----") && strings.Count(t, "+") == 2 && !strings.ContainsAny(t, " \n")
}
