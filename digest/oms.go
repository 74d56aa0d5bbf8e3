package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// OMSDefaultExclusions are the top-level paths every OMS v1.0 model
// signature leaves out (§6.2).
var OMSDefaultExclusions = []string{".git", ".gitignore", ".gitattributes", ".github"}

// OMSManifest is a model's file list as an OMS v1.0 signature lists it
// ("files" serialization, sha256): the files signed, sorted by name, and
// the root digest over their digests (§6.5.1).
type OMSManifest struct {
	Name   string // the model's base name
	Files  []File
	Root   string // hex SHA-256 over the files' raw digests, in order
	Ignore []string
}

// OMS enumerates a model file or directory as OMS v1.0 signs it: the
// default exclusions at the top level, ignore (exact relative paths from
// the model root, and their subtrees) and, when it lies inside the model,
// the signature file itself are left out.
func OMS(root string, ignore []string, signatureFile string, opts Options) (*OMSManifest, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	abs, _ := filepath.Abs(root)
	out := &OMSManifest{Name: filepath.Base(abs), Ignore: slices.Clone(ignore)}
	if signatureFile != "" && info.IsDir() {
		if sig, err := filepath.Abs(signatureFile); err == nil {
			if rel, err := filepath.Rel(abs, sig); err == nil && !strings.HasPrefix(rel, "..") && rel != "." {
				rel = filepath.ToSlash(rel)
				if !slices.Contains(out.Ignore, rel) {
					out.Ignore = append(out.Ignore, rel)
				}
			}
		}
	}
	var files []File
	if info.IsDir() {
		m, err := Dir(root, opts)
		if err != nil {
			return nil, err
		}
		for _, f := range m.Files {
			if !omsIgnored(f.Path, out.Ignore) {
				files = append(files, f)
			}
		}
	} else {
		r, err := Path(root, opts)
		if err != nil {
			return nil, err
		}
		files = []File{{Path: filepath.Base(abs), SHA256: r.SHA256, Size: r.Size}}
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	h := sha256.New()
	for _, f := range files {
		raw, _ := hex.DecodeString(f.SHA256)
		h.Write(raw)
	}
	out.Files, out.Root = files, hex.EncodeToString(h.Sum(nil))
	return out, nil
}

// omsIgnored reports whether a relative path is left out of a signature.
func omsIgnored(p string, ignore []string) bool {
	top, _, _ := strings.Cut(p, "/")
	if slices.Contains(OMSDefaultExclusions, top) {
		return true
	}
	for _, ig := range ignore {
		ig = path.Clean(ig)
		if p == ig || strings.HasPrefix(p, ig+"/") {
			return true
		}
	}
	return false
}

// Shards hashes a file's consecutive byte ranges of shardSize bytes (the
// last may be shorter) with SHA-256, as OMS v1.0's "shards" serialization
// does (§6.3.2); a file of no bytes has none.
func Shards(path string, shardSize int64, opts Options) ([]string, error) {
	if shardSize <= 0 {
		return nil, fmt.Errorf("shard size %d: want a positive number of bytes", shardSize)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var out []string
	for {
		if opts.Context != nil {
			if err := opts.Context.Err(); err != nil {
				return nil, err
			}
		}
		h := sha256.New()
		n, err := io.CopyBuffer(h, io.LimitReader(f, shardSize), buf)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return out, nil
		}
		if opts.Progress != nil {
			opts.Progress(n)
		}
		out = append(out, hex.EncodeToString(h.Sum(nil)))
		if n < shardSize {
			return out, nil
		}
	}
}
