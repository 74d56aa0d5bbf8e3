// Command sigstore-kms-awskms signs with keys held in AWS for
// modelgate, and for cosign: a sigstore KMS plugin around sigstore's own
// awskms provider. modelgate runs it for each operation on a awskms:// key;
// install it beside modelgate or on PATH.
package main

import (
	"github.com/modelgate/modelgate/internal/kmsplugin"

	_ "github.com/sigstore/sigstore/pkg/signature/kms/aws"
)

func main() { kmsplugin.Main("awskms://") }
