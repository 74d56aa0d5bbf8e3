package digest_test

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelgate/modelgate/digest"
)

// makeFile writes size random bytes (once per benchmark process).
func makeFile(b *testing.B, path string, size int64) {
	if info, err := os.Stat(path); err == nil && info.Size() == size {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		b.Fatal(err)
	}
}

func timeIt(b *testing.B, f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// benchAgainstSHA256Sum reports modelgate's time over sha256sum's for the
// same files, warm in the page cache, as the metric "x_sha256sum".
func benchAgainstSHA256Sum(b *testing.B, target string, files []string) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		b.Skip("sha256sum not installed")
	}
	sha := func() {
		if out, err := exec.Command("sha256sum", files...).CombinedOutput(); err != nil {
			b.Fatalf("sha256sum: %v %s", err, out)
		}
	}
	ours := func() {
		if _, err := digest.Path(target, digest.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	sha()
	ours() // warm the page cache for both
	b.ResetTimer()
	var oursT, shaT time.Duration
	for i := 0; i < b.N; i++ {
		oursT += timeIt(b, ours)
		shaT += timeIt(b, sha)
	}
	b.ReportMetric(float64(oursT)/float64(shaT), "x_sha256sum")
	b.ReportMetric(float64(oursT.Milliseconds())/float64(b.N), "ms/digest")
}

func BenchmarkFile1GiB(b *testing.B) {
	dir := filepath.Join(os.TempDir(), "modelgate-bench")
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, "one-1g.bin")
	makeFile(b, path, 1<<30)
	benchAgainstSHA256Sum(b, path, []string{path})
}

func BenchmarkDirFourShards256MiB(b *testing.B) {
	dir := filepath.Join(os.TempDir(), "modelgate-bench", "shards")
	os.MkdirAll(dir, 0o755)
	var files []string
	for i := 0; i < 4; i++ {
		p := filepath.Join(dir, fmt.Sprintf("shard-%d.bin", i))
		makeFile(b, p, 256<<20)
		files = append(files, p)
	}
	benchAgainstSHA256Sum(b, dir, files)
}
