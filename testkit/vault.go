package testkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// Vault is HashiCorp Vault's transit engine as far as signing goes: the two
// calls sigstore's hashivault provider makes (read a key, sign a SHA-256
// digest), answered in Vault's JSON by a real P-256 key named "gate". A
// test double: Vault itself cannot be installed here.
type Vault struct {
	URL    string
	Token  string
	Key    *ecdsa.PrivateKey
	PubPEM []byte
	Signs  atomic.Int32
}

// StartVault serves a Vault transit engine on loopback until the test ends.
func StartVault(t testing.TB) *Vault {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := cryptoutils.MarshalPublicKeyToPEM(key.Public())
	v := &Vault{Token: "s.modelgate-test", Key: key, PubPEM: pub}
	srv := httptest.NewServer(v)
	t.Cleanup(srv.Close)
	v.URL = srv.URL
	return v
}

func (v *Vault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Vault-Token") != v.Token {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"errors":["permission denied"]}`))
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/transit/keys/gate":
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{
			"latest_version": 1, "keys": map[string]any{"1": map[string]any{"name": "P-256", "public_key": string(v.PubPEM)}}}})
	case (r.Method == http.MethodPut || r.Method == http.MethodPost) && r.URL.Path == "/v1/transit/sign/gate/sha2-256":
		var req struct {
			Input     string `json:"input"`
			Prehashed bool   `json:"prehashed"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil || !req.Prehashed {
			http.Error(w, `{"errors":["bad request"]}`, http.StatusBadRequest)
			return
		}
		digest, err := base64.StdEncoding.DecodeString(req.Input)
		if err != nil || len(digest) != 32 {
			http.Error(w, `{"errors":["input is not a SHA-256 digest"]}`, http.StatusBadRequest)
			return
		}
		sig, _ := ecdsa.SignASN1(rand.Reader, v.Key, digest)
		v.Signs.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"signature": "vault:v1:" + base64.StdEncoding.EncodeToString(sig)}})
	default:
		http.Error(w, `{"errors":["no handler for route"]}`, http.StatusNotFound)
	}
}

// VaultKey is what a hashivault://gate key needs in a test: a Vault,
// VAULT_ADDR and VAULT_TOKEN pointing at it, and the plugin program first
// on PATH.
func VaultKey(t testing.TB) *Vault {
	v := StartVault(t)
	KMSPlugin(t, "hashivault")
	t.Setenv("VAULT_ADDR", v.URL)
	t.Setenv("VAULT_TOKEN", v.Token)
	return v
}

// KMSPlugin builds the plugin program for a KMS scheme (e.g. hashivault)
// into a directory of its own and puts that directory first on PATH.
func KMSPlugin(t testing.TB, scheme string) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "sigstore-kms-"+scheme), "./cmd/sigstore-kms-"+scheme)
	cmd.Dir = RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}
