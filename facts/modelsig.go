package facts

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
)

// MaxSignedFiles bounds the files one model signature may list.
const MaxSignedFiles = 100000

// modelSignature is the predicate of an OpenSSF model signature (v1.0).
type modelSignature struct {
	Serialization struct {
		Method      string   `json:"method"`
		HashType    string   `json:"hash_type"`
		IgnorePaths []string `json:"ignore_paths"`
	} `json:"serialization"`
	Resources []struct {
		Name      string `json:"name"`
		Algorithm string `json:"algorithm"`
		Digest    string `json:"digest"`
	} `json:"resources"`
}

// checkModelSignature holds a verified model signature against the model's
// files: its root digest must be the digest of its file list, and that list
// must be exactly the model's files (paths and sha256), ignored paths aside.
func checkModelSignature(st *attest.Statement, files *digest.Manifest) error {
	if files == nil {
		return fmt.Errorf("a model signature is checked against the model's files: give the model's directory (or file) as the subject, not NAME@sha256")
	}
	var ms modelSignature
	if err := json.Unmarshal(st.Predicate, &ms); err != nil {
		return fmt.Errorf("model signature: the predicate does not parse: %v", err)
	}
	if ms.Serialization.Method != "files" || ms.Serialization.HashType != "sha256" {
		return fmt.Errorf("model signature: serialization %q with %q hashes is not supported; sign with method files and sha256", ms.Serialization.Method, ms.Serialization.HashType)
	}
	if len(ms.Resources) == 0 || len(ms.Resources) > MaxSignedFiles {
		return fmt.Errorf("model signature: it lists %d files; between 1 and %d are read", len(ms.Resources), MaxSignedFiles)
	}
	if len(st.Subject) != 1 {
		return fmt.Errorf("model signature: it names %d subjects, want the model alone", len(st.Subject))
	}
	// The root digest is the SHA-256 of the files' digests, in their order.
	h := sha256.New()
	signed := map[string]string{}
	for _, r := range ms.Resources {
		if r.Algorithm != "sha256" || !digest.IsHex64(r.Digest) {
			return fmt.Errorf("model signature: file %q has no sha256 digest", r.Name)
		}
		if _, dup := signed[r.Name]; dup {
			return fmt.Errorf("model signature: it lists file %q twice", r.Name)
		}
		raw, _ := hex.DecodeString(r.Digest)
		h.Write(raw)
		signed[r.Name] = r.Digest
	}
	if root := hex.EncodeToString(h.Sum(nil)); root != st.Subject[0].Digest["sha256"] {
		return fmt.Errorf("model signature: its subject digest sha256:%s is not the digest of the files it lists (sha256:%s)", st.Subject[0].Digest["sha256"], root)
	}
	ignored := func(p string) bool {
		for _, ig := range ms.Serialization.IgnorePaths {
			if p == ig || strings.HasPrefix(p, strings.TrimSuffix(ig, "/")+"/") || path.Base(p) == ig {
				return true
			}
		}
		return false
	}
	var missing, extra, changed []string
	have := map[string]bool{}
	for _, f := range files.Files {
		if ignored(f.Path) {
			continue
		}
		have[f.Path] = true
		d, ok := signed[f.Path]
		switch {
		case !ok:
			extra = append(extra, f.Path)
		case d != f.SHA256:
			changed = append(changed, f.Path)
		}
	}
	for name := range signed {
		if !have[name] {
			missing = append(missing, name)
		}
	}
	if len(missing)+len(extra)+len(changed) == 0 {
		return nil
	}
	var parts []string
	for _, c := range []struct {
		what  string
		names []string
	}{{"changed", changed}, {"not signed (added)", extra}, {"missing (removed)", missing}} {
		if len(c.names) > 0 {
			sort.Strings(c.names)
			if len(c.names) > 10 {
				c.names = append(c.names[:10], fmt.Sprintf("and %d more", len(c.names)-10))
			}
			parts = append(parts, c.what+": "+strings.Join(c.names, ", "))
		}
	}
	return fmt.Errorf("model signature does not match the model's files: %s", strings.Join(parts, "; "))
}
