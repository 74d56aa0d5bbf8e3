// Command sigstore-kms-gcpkms signs with keys held in Google Cloud for
// modelgate, and for cosign: a sigstore KMS plugin around sigstore's own
// gcpkms provider. modelgate runs it for each operation on a gcpkms:// key;
// install it beside modelgate or on PATH.
package main

import (
	"github.com/modelgate/modelgate/internal/kmsplugin"

	_ "github.com/sigstore/sigstore/pkg/signature/kms/gcp"
)

func main() { kmsplugin.Main("gcpkms://") }
