package keys_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/modelgate/modelgate/internal/testkit"
	"github.com/modelgate/modelgate/keys"
)

// transit is HashiCorp Vault's transit engine as far as signing goes: the
// two calls sigstore's hashivault provider makes (read a key, sign a
// SHA-256 digest), answered in Vault's JSON with a real P-256 key.
type transit struct {
	key   *ecdsa.PrivateKey
	token string
	signs int
}

func (v *transit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Vault-Token") != v.token {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"errors":["permission denied"]}`))
		return
	}
	pub, _ := cryptoutils.MarshalPublicKeyToPEM(v.key.Public())
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/transit/keys/gate":
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{
			"latest_version": 1, "keys": map[string]any{"1": map[string]any{"name": "P-256", "public_key": string(pub)}}}})
	case (r.Method == http.MethodPut || r.Method == http.MethodPost) && r.URL.Path == "/v1/transit/sign/gate/sha2-256":
		var req struct {
			Input     string `json:"input"`
			Prehashed bool   `json:"prehashed"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !req.Prehashed {
			http.Error(w, `{"errors":["bad request"]}`, http.StatusBadRequest)
			return
		}
		digest, _ := base64.StdEncoding.DecodeString(req.Input)
		sig, _ := ecdsa.SignASN1(rand.Reader, v.key, digest)
		v.signs++
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"signature": "vault:v1:" + base64.StdEncoding.EncodeToString(sig)}})
	default:
		http.Error(w, `{"errors":["no handler for route"]}`, http.StatusNotFound)
	}
}

// buildPlugin builds the hashivault plugin program into a directory of its own.
func buildPlugin(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "sigstore-kms-hashivault"), "./cmd/sigstore-kms-hashivault")
	cmd.Dir = testkit.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// A hashivault:// key signs through the plugin program, which runs
// sigstore's own provider against Vault: the signature verifies with the
// key Vault holds, and a wrong token is Vault's refusal, said.
func TestVaultKeySignsThroughThePlugin(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	vault := &transit{key: key, token: "s.modelgate-test"}
	srv := httptest.NewServer(vault)
	defer srv.Close()
	t.Setenv("PATH", buildPlugin(t)+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("VAULT_ADDR", srv.URL)
	t.Setenv("VAULT_TOKEN", vault.token)

	sv, err := keys.LoadSigner(context.Background(), "hashivault://gate")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sv.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if !key.PublicKey.Equal(pub) {
		t.Fatalf("public key %v is not Vault's", pub)
	}
	msg := []byte("a DSSE pre-authentication encoding")
	sig, err := sv.SignMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(&key.PublicKey, sum[:], sig) || vault.signs != 1 {
		t.Fatalf("signature does not verify with Vault's key (%d signs)", vault.signs)
	}

	t.Setenv("VAULT_TOKEN", "s.wrong")
	sv, err = keys.LoadSigner(context.Background(), "hashivault://gate")
	if err == nil {
		_, err = sv.SignMessage(bytes.NewReader(msg))
	}
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("wrong token: %v", err)
	}
}

// Without its plugin program a KMS key is one line saying what to install.
func TestKMSWithoutPlugin(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("VAULT_ADDR", "http://127.0.0.1:1")
	t.Setenv("VAULT_TOKEN", "s.x")
	_, err := keys.LoadSigner(context.Background(), "hashivault://gate")
	var missing *keys.MissingPluginError
	if !errors.As(err, &missing) || err.Error() != "hashivault:// keys sign through the program sigstore-kms-hashivault, which is neither beside modelgate nor on PATH: "+
		"install it beside modelgate with 'go install github.com/modelgate/modelgate/cmd/sigstore-kms-hashivault@latest' (the container image carries it)" {
		t.Fatalf("got %v", err)
	}
}
