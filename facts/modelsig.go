package facts

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
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
		ShardSize   int64    `json:"shard_size"`
	} `json:"serialization"`
	Resources []struct {
		Name      string `json:"name"`
		Algorithm string `json:"algorithm"`
		Digest    string `json:"digest"`
	} `json:"resources"`
}

// MatchModelSignature holds a model signature's statement (not its
// signature, which the trust list verifies) against a model's files: the
// same check a decision makes. sigHex is the SHA-256 of the signature file.
func MatchModelSignature(st *attest.Statement, model digest.Subject, sigHex string) error {
	return checkModelSignature(st, model.Files, model.Root, sigHex)
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
func checkModelSignature(st *attest.Statement, files *digest.Manifest, root, sigHex string) error {
	if files == nil {
		return fmt.Errorf("a model signature is checked against the model's files: give the model's directory (or file) as the subject, not NAME@sha256")
	}
	var ms modelSignature
	if err := json.Unmarshal(st.Predicate, &ms); err != nil {
		return fmt.Errorf("model signature: the predicate does not parse: %v", err)
	}
	switch {
	case ms.Serialization.HashType != "sha256":
		return fmt.Errorf("model signature: %q hashes are not supported; sign with sha256", ms.Serialization.HashType)
	case ms.Serialization.Method == "shards" && ms.Serialization.ShardSize <= 0:
		return errors.New("model signature: the shards serialization needs a positive shard_size")
	case ms.Serialization.Method == "shards" && root == "":
		return errors.New("model signature: a signature in shards is checked against the model's bytes: give the model's directory (or file) as the subject")
	case ms.Serialization.Method != "files" && ms.Serialization.Method != "shards":
		return fmt.Errorf("model signature: serialization %q is not one OMS v1.0 defines (files, shards)", ms.Serialization.Method)
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
	// model_signing before 1.0.1 named the one resource of a single-file
	// model "." (OMS v1.0 §11): it is that file.
	if d, ok := signed["."]; ok && len(signed) == 1 && len(files.Files) == 1 {
		signed = map[string]string{files.Files[0].Path: d}
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
	if ms.Serialization.Method == "shards" {
		return checkShards(signed, files, root, ms.Serialization.ShardSize, ignored)
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
	return mismatch(changed, extra, missing)
}

// checkShards holds a signature in shards (§6.3.2) against the model's
// files: each file's byte ranges of shardSize, hashed again, must be the
// ranges the signature lists for it ("PATH:START:END"), in full.
func checkShards(signed map[string]string, files *digest.Manifest, root string, shardSize int64, ignored func(digest.File) bool) error {
	byFile := map[string]map[string]string{} // path → "START:END" → digest
	for name, d := range signed {
		i := strings.LastIndexByte(name, ':')
		j := -1
		if i > 0 {
			j = strings.LastIndexByte(name[:i], ':')
		}
		if j <= 0 {
			return fmt.Errorf("model signature: shard %q is not PATH:START:END", name)
		}
		p := name[:j]
		if byFile[p] == nil {
			byFile[p] = map[string]string{}
		}
		byFile[p][name[j+1:]] = d
	}
	var missing, extra, changed []string
	have := map[string]bool{}
	for _, f := range files.Files {
		if ignored(f) || f.Size == 0 {
			continue // files of no bytes have no shard (§6.3.2)
		}
		have[f.Path] = true
		want, ok := byFile[f.Path]
		if !ok {
			extra = append(extra, f.Path)
			continue
		}
		got, err := digest.Shards(filepath.Join(root, filepath.FromSlash(f.Path)), shardSize, digest.Options{})
		if err != nil {
			return fmt.Errorf("model signature: %s: %v", f.Path, err)
		}
		same := len(got) == len(want)
		for k, d := range got {
			start := int64(k) * shardSize
			end := min(start+shardSize, f.Size)
			same = same && want[fmt.Sprintf("%d:%d", start, end)] == d
		}
		if !same {
			changed = append(changed, f.Path)
		}
	}
	for p := range byFile {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	return mismatch(changed, extra, missing)
}

// mismatch says which files differ from what was signed; nil when none.
func mismatch(changed, extra, missing []string) error {
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
