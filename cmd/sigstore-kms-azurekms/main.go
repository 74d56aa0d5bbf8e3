// Command sigstore-kms-azurekms signs with keys held in Azure Key Vault for
// modelgate, and for cosign: a sigstore KMS plugin around sigstore's own
// azurekms provider. modelgate runs it for each operation on a azurekms:// key;
// install it beside modelgate or on PATH.
package main

import (
	"github.com/modelgate/modelgate/internal/kmsplugin"

	_ "github.com/sigstore/sigstore/pkg/signature/kms/azure"
)

func main() { kmsplugin.Main("azurekms://") }
