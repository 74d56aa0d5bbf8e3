package bundles

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A 150-byte tarball whose header claims a huge file is an error, never a
// panic or an allocation of what the header claims.
func TestTarballHeaderThatLiesIsRefused(t *testing.T) {
	var raw bytes.Buffer
	zw := gzip.NewWriter(&raw)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "data.json", Mode: 0o644, Size: 1 << 40, Typeflag: tar.TypeReg})
	tw.Flush()
	zw.Close()
	path := filepath.Join(t.TempDir(), "lie.tar.gz")
	os.WriteFile(path, raw.Bytes(), 0o644)
	if raw.Len() > 200 {
		t.Fatalf("the fixture is %d bytes", raw.Len())
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), `tarball unpacks to more than 67108864 bytes (entry "data.json" claims 1099511627776)`) {
		t.Fatalf("err %v", err)
	}
}

// A gzip bomb (a small file that unpacks to far more than the bundle
// limit) is refused while it is read, in bounded memory.
func TestGzipBombIsRefused(t *testing.T) {
	var raw bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&raw, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	const size = 1 << 30
	tw.WriteHeader(&tar.Header{Name: "a.json", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
	zero := make([]byte, 1<<20)
	for i := 0; i < size>>20; i++ {
		tw.Write(zero)
	}
	tw.Close()
	zw.Close()
	if raw.Len() > 2<<20 {
		t.Fatalf("bomb is %d bytes", raw.Len())
	}
	err := CheckTarball(raw.Bytes())
	if err == nil || !strings.Contains(err.Error(), "tarball unpacks to more than 67108864 bytes") {
		t.Fatalf("err %v", err)
	}
}

// A bundle directory with a FIFO or a symlink to a device is refused, not read.
func TestBundleDirWithSpecialFilesIsRefused(t *testing.T) {
	dir := writeBundle(t, "decision := 1\n")
	fifo := filepath.Join(dir, "modelgate", "pipe.json")
	os.MkdirAll(filepath.Dir(fifo), 0o755)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "pipe.json is not a regular file") {
		t.Fatalf("err %v", err)
	}
	os.Remove(fifo)
	os.Symlink("/dev/zero", filepath.Join(dir, "zero.json"))
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "zero.json is not a regular file") {
		t.Fatalf("err %v", err)
	}
}

// A tarball bundle file that is a symlink to /dev/zero is refused unread.
func TestBundleFileThatIsADeviceIsRefused(t *testing.T) {
	link := filepath.Join(t.TempDir(), "b.tar.gz")
	os.Symlink("/dev/zero", link)
	if _, err := Load(link); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("err %v", err)
	}
}

// FuzzCheckTarball: whatever the bytes, the bound check returns.
func FuzzCheckTarball(f *testing.F) {
	var raw bytes.Buffer
	zw := gzip.NewWriter(&raw)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "x.rego", Mode: 0o644, Size: 4, Typeflag: tar.TypeReg})
	tw.Write([]byte("abcd"))
	tw.Close()
	zw.Close()
	f.Add(raw.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = CheckTarball(data)
	})
}
