// Package digest computes the identity of a model: the SHA-256 of a file, or
// of a directory's canonical manifest.
package digest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// File is one entry of a directory manifest.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Manifest lists every regular file below a directory, sorted bytewise by path.
type Manifest struct {
	Files []File `json:"files"`
}

// Canonical returns the manifest's canonical JSON: no insignificant white
// space, keys in a fixed order, no HTML escaping. The model digest is its SHA-256.
func (m *Manifest) Canonical() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		panic(err) // a struct of strings and ints always encodes
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Result is the digest of a path, with the manifest when it is a directory.
type Result struct {
	Path     string    `json:"path"`
	SHA256   string    `json:"sha256"`
	Size     int64     `json:"size"`
	Manifest *Manifest `json:"manifest,omitempty"`
}

// Options tune Path.
type Options struct {
	// Progress, when set, receives the number of bytes hashed as they are read.
	Progress func(n int64)
	// Workers bounds the files hashed at once (default: GOMAXPROCS).
	Workers int
	// Context, when set, bounds the hashing: it stops within one read once
	// the context ends, with the context's error.
	Context context.Context
}

// bufSize is large so that each read syscall amortises well on big shards.
const bufSize = 4 << 20

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// Path returns the digest of a file or of a directory's manifest.
func Path(path string, opts Options) (*Result, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	switch {
	case info.Mode().IsRegular():
		sum, n, err := hashFile(opts.Context, path, opts.Progress)
		if err != nil {
			return nil, err
		}
		return &Result{Path: path, SHA256: sum, Size: n}, nil
	case info.IsDir():
		m, err := Dir(path, opts)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(m.Canonical())
		var total int64
		for _, f := range m.Files {
			total += f.Size
		}
		return &Result{Path: path, SHA256: hex.EncodeToString(sum[:]), Size: total, Manifest: m}, nil
	default:
		return nil, fmt.Errorf("%s is not a regular file or directory", path)
	}
}

// TotalSize is the number of bytes Path will hash, for sizing progress output.
func TotalSize(path string) int64 {
	var total int64
	filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
				total += info.Size()
			}
		}
		return nil
	})
	return total
}

type job struct {
	rel, abs string
	size     int64
	index    int
}

// Dir builds the manifest of the directory root, hashing files in parallel,
// largest first so the longest job never starts last.
func Dir(root string, opts Options) (*Manifest, error) {
	jobs, err := listFiles(root)
	if err != nil {
		return nil, err
	}
	files := make([]File, len(jobs))
	for i := range jobs {
		jobs[i].index = i
		files[i] = File{Path: jobs[i].rel, Size: jobs[i].size}
	}
	order := make([]job, len(jobs))
	copy(order, jobs)
	sort.SliceStable(order, func(i, j int) bool { return order[i].size > order[j].size })

	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	work := make(chan job)
	errs := make(chan error, len(order))
	var wg sync.WaitGroup
	for w := 0; w < min(workers, max(len(order), 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				sum, n, err := hashFile(opts.Context, j.abs, opts.Progress)
				if err != nil {
					errs <- err
					continue
				}
				if n != j.size {
					errs <- fmt.Errorf("%s changed size while being hashed", j.rel)
					continue
				}
				files[j.index].SHA256 = sum
			}
		}()
	}
	for _, j := range order {
		work <- j
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return &Manifest{Files: files}, nil
}

// listFiles walks root and returns its regular files sorted bytewise by
// their relative, '/'-separated path. Links that stay inside root and name a
// regular file count as that file; anything else that is not a regular file
// or directory is an error, never skipped.
func listFiles(root string) ([]job, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	realRoot, err = filepath.Abs(realRoot)
	if err != nil {
		return nil, err
	}
	var jobs []job
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !utf8.ValidString(rel) {
			return fmt.Errorf("%s: file name is not valid UTF-8; rename it", p)
		}
		mode := d.Type()
		switch {
		case mode.IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			jobs = append(jobs, job{rel: rel, abs: p, size: info.Size()})
		case mode&fs.ModeSymlink != 0:
			target, err := filepath.EvalSymlinks(p)
			if err != nil {
				return fmt.Errorf("%s: broken symlink: %w", rel, err)
			}
			target, err = filepath.Abs(target)
			if err != nil {
				return err
			}
			if target != realRoot && !strings.HasPrefix(target, realRoot+string(filepath.Separator)) {
				return fmt.Errorf("%s: symlink leaves the model directory (to %s); copy the file in instead", rel, target)
			}
			info, err := os.Stat(target)
			if err != nil {
				return err
			}
			if !info.Mode().IsRegular() {
				return fmt.Errorf("%s: symlink to something that is not a regular file", rel)
			}
			jobs = append(jobs, job{rel: rel, abs: target, size: info.Size()})
		default:
			return fmt.Errorf("%s: not a regular file (%s); remove it from the model directory", rel, mode.Type())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].rel < jobs[j].rel })
	return jobs, nil
}

// hashFile returns the hex SHA-256 of a file and its length, reading in large
// blocks so the hash, not the system calls, sets the pace.
func hashFile(ctx context.Context, path string, progress func(int64)) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	h := sha256.New()
	var total int64
	for {
		if ctx != nil {
			if err := ctx.Err(); err != nil {
				return "", 0, fmt.Errorf("hashing %s stopped after %d bytes: %w", filepath.Base(path), total, err)
			}
		}
		n, err := f.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			total += int64(n)
			if progress != nil {
				progress(int64(n))
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", 0, err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), total, nil
}
