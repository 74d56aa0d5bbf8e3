// Package policies embeds the default policy bundle, built into the binary.
package policies

import "embed"

// FS holds the bundle: .manifest, the Rego gates and their data files.
//
//go:embed .manifest modelgate
var FS embed.FS
