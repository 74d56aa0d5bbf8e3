package bundles

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/modelgate/modelgate/internal/safeio"
)

// CheckTarball checks a gzipped tar bundle's bounds.
func CheckTarball(data []byte) error {
	_, err := readTar(data)
	return err
}

// readTar checks a gzipped tar bundle's bounds and returns its files by
// path, at most MaxBundleSize in all.
func readTar(data []byte) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := walkTar(data, func(name string, content []byte) { files[name] = content })
	return files, err
}

func walkTar(data []byte, file func(name string, content []byte)) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not a gzipped tarball: %v", err)
	}
	// Headers are 512-byte blocks; allow them on top of the content limit.
	limited := &io.LimitedReader{R: zr, N: MaxBundleSize + 8<<20}
	tr := tar.NewReader(limited)
	var total int64
	seen := map[string]bool{}
	for files := 0; ; files++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tarball is damaged: %v", err)
		}
		if files >= 10000 {
			return errors.New("tarball has more than 10,000 entries")
		}
		if hdr.Typeflag != tar.TypeReg {
			return fmt.Errorf("tarball entry %q is not a regular file; a bundle holds regular files alone", hdr.Name)
		}
		name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		if seen[name] {
			return fmt.Errorf("tarball holds two entries named %q; a reader could take either: rebuild the bundle", name)
		}
		seen[name] = true
		if hdr.Size < 0 || hdr.Size > MaxBundleSize-total {
			return fmt.Errorf("tarball unpacks to more than %d bytes (entry %q claims %d); the limit is MaxBundleSize", MaxBundleSize, hdr.Name, hdr.Size)
		}
		var buf bytes.Buffer
		n, err := io.Copy(&buf, tr)
		if err != nil {
			if limited.N <= 0 {
				return fmt.Errorf("tarball unpacks to more than %d bytes", MaxBundleSize)
			}
			return fmt.Errorf("tarball entry %q is damaged: %v", hdr.Name, err)
		}
		if n != hdr.Size {
			return fmt.Errorf("tarball entry %q holds %d bytes, not the %d its header claims", hdr.Name, n, hdr.Size)
		}
		total += n
		file(name, buf.Bytes())
	}
}

// readTree reads a bundle directory's files by relative path; anything but
// regular files and directories (a FIFO, a device, a symlink), or more
// than MaxBundleSize bytes in all, is refused.
func readTree(root string) (map[string][]byte, error) {
	var total int64
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		if !e.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file (%s); a bundle holds only files and directories", p, e.Type())
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		if total > MaxBundleSize {
			return fmt.Errorf("more than %d bytes in all", MaxBundleSize)
		}
		data, err := safeio.ReadFile(p, MaxBundleSize)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	return files, err
}
