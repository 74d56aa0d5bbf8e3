// Package safeio reads files that someone else may have planted and writes
// output files without replacing what a path names.
package safeio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrNotRegular marks a path that is a symlink, FIFO, device or directory
// where a regular file was expected.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge marks a file over the limit it was read under.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads a regular file of at most limit bytes. It never follows a
// symlink, never blocks on a FIFO, and never reads past the limit whatever
// the file's size claims; a file that changes under it is an error.
func ReadFile(path string, limit int64) ([]byte, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, info.Mode().Type())
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("%s: %w: %d bytes, the limit is %d", path, ErrTooLarge, info.Size(), limit)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || !os.SameFile(info, st) {
		return nil, fmt.Errorf("%s: %w (it changed while being opened)", path, ErrNotRegular)
	}
	return readLimited(f, path, limit)
}

// ReadInput reads a file a person named on the command line, or standard
// input for "-": pipes and process substitution are welcome, but never more
// than limit bytes are read.
func ReadInput(path string, limit int64, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		return readLimited(stdin, "standard input", limit)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return nil, fmt.Errorf("%s is a directory; give a file", path)
	}
	if info.Mode().IsRegular() && info.Size() > limit {
		return nil, fmt.Errorf("%s: %w: %d bytes, the limit is %d", path, ErrTooLarge, info.Size(), limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, path, limit)
}

func readLimited(r io.Reader, name string, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", name, ErrTooLarge, limit)
	}
	return data, nil
}

// WriteFile writes an output file without ever replacing what the path
// names: a new or regular file is replaced atomically (temp file, fsync,
// rename) and keeps its place; a symlink is written through to its target;
// a device or FIFO (/dev/null, /dev/stdout) is written to as it is; a
// directory or socket is refused.
// WriteTimeout bounds a write to a FIFO or device when the context has no
// deadline of its own.
const WriteTimeout = 30 * time.Second

func WriteFile(ctx context.Context, path string, data []byte, mode os.FileMode) error {
	target := path
	info, err := os.Lstat(path)
	if err == nil && info.Mode()&fs.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			// A dangling link: create its target.
			if target, err = os.Readlink(path); err != nil {
				return err
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(filepath.Dir(path), target)
			}
		}
		info, err = os.Lstat(target)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return atomic(target, data, mode)
	case err != nil:
		return err
	case info.Mode().IsRegular():
		return atomic(target, data, info.Mode().Perm())
	case info.IsDir():
		return fmt.Errorf("%s is a directory; name a file", path)
	case info.Mode()&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe) != 0:
		// Opened without blocking: a FIFO nobody reads fails at once, and a
		// reader that stops reading fails the write at the deadline.
		f, err := os.OpenFile(target, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if errors.Is(err, syscall.ENXIO) {
			return fmt.Errorf("%s is a FIFO that nobody reads: start its reader first, or name a file", path)
		}
		if err != nil {
			return err
		}
		deadline, ok := ctx.Deadline()
		if !ok {
			deadline = time.Now().Add(WriteTimeout)
		}
		f.SetWriteDeadline(deadline) // devices that cannot poll write at once
		if _, err := f.Write(data); err != nil {
			f.Close()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("%s: not written by the deadline (its reader stopped reading)", path)
			}
			return err
		}
		return f.Close()
	default:
		return fmt.Errorf("%s is a %s, not a file; name a file", path, info.Mode().Type())
	}
}

func atomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".modelgate-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteFileAtomic replaces path with data whole: a temporary file beside
// it, synced, then renamed over it.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	return atomic(path, data, mode)
}
