package keys_test

import (
	"testing"

	"github.com/modelgate/modelgate/keys"
)

// FuzzParsePublicKey: any bytes either fail cleanly or give a key with a
// 64-hex key id; the trust list feeds this parser.
func FuzzParsePublicKey(f *testing.F) {
	for _, alg := range []string{"ecdsa-p256", "ed25519"} {
		_, pub, err := keys.Generate(alg, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pub)
	}
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := keys.ParsePublicKey(data)
		if err != nil {
			return
		}
		if len(v.KeyID) != 64 || v.Verifier == nil || v.Public == nil {
			t.Fatalf("ParsePublicKey gave %+v", v)
		}
	})
}

// FuzzParseSigner: a private key file never crashes the parser.
func FuzzParseSigner(f *testing.F) {
	priv, _, err := keys.Generate("ed25519", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(priv)
	f.Add([]byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sv, err := keys.ParseSigner(data, nil)
		if err == nil && sv == nil {
			t.Fatal("no signer and no error")
		}
	})
}
