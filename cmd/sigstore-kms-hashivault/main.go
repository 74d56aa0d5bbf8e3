// Command sigstore-kms-hashivault signs with keys held in HashiCorp Vault (transit engine) for
// modelgate, and for cosign: a sigstore KMS plugin around sigstore's own
// hashivault provider. modelgate runs it for each operation on a hashivault:// key;
// install it beside modelgate or on PATH.
package main

import (
	"github.com/modelgate/modelgate/internal/kmsplugin"

	_ "github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
)

func main() { kmsplugin.Main("hashivault://") }
