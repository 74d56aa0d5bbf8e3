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

// defaultExclusions are the paths OMS v1.0 (§6.2) leaves out of every
// model signature: top-level path components of the model root only.
var defaultExclusions = []string{".git", ".gitignore", ".gitattributes", ".github"}

// checkModelSignature holds a verified model signature against the model's
// files: its root digest must be the digest of its file list, and that list
// must be exactly the model's files (paths and sha256), as OMS v1.0 (§6.2,
// §8.4) reads them: the default exclusions at the top level, the signature's
// ignore_paths as exact relative paths (and their subtrees), and the
// signature file itself (the model's file whose bytes are this signature,
// sigHex its SHA-256) left out.
func checkModelSignature(st *attest.Statement, files *digest.Manifest, sigHex string) error {
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
	under := func(p, root string) bool {
		root = strings.TrimSuffix(root, "/")
		return root != "" && (p == root || strings.HasPrefix(p, root+"/"))
	}
	for _, ig := range ms.Serialization.IgnorePaths {
		if strings.ContainsAny(ig, "*?[") || strings.HasPrefix(ig, "/") || ig == ".." || strings.HasPrefix(ig, "../") || strings.Contains(ig, "/../") {
			return fmt.Errorf("model signature: ignore path %q is not a relative path from the model root (no globs, no leading /, no ../)", ig)
		}
	}
	ignored := func(f digest.File) bool {
		if f.SHA256 == sigHex {
			return true // the signature file itself
		}
		top, _, _ := strings.Cut(f.Path, "/")
		for _, d := range defaultExclusions {
			if top == d {
				return true
			}
		}
		for _, ig := range ms.Serialization.IgnorePaths {
			if under(f.Path, path.Clean(ig)) {
				return true
			}
		}
		return false
	}
	var missing, extra, changed []string
	have := map[string]bool{}
	for _, f := range files.Files {
		if ignored(f) {
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
