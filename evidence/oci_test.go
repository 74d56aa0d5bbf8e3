package evidence_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/modelgate/modelgate/evidence"
)

// startRegistry runs Debian's docker-registry on a free loopback port and
// returns host:port; it stops when the test ends.
func startRegistry(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Fatal("docker-registry is not installed: apt-get install docker-registry (.ci/run does)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	config := fmt.Sprintf("version: 0.1\nlog: {level: error}\nstorage:\n  filesystem: {rootdirectory: %s}\n  delete: {enabled: true}\nhttp: {addr: %q}\n", filepath.Join(dir, "data"), addr)
	cfg := filepath.Join(dir, "config.yml")
	os.WriteFile(cfg, []byte(config), 0o644)
	cmd := exec.Command(bin, "serve", cfg)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			return addr
		}
	}
	t.Fatal("registry did not start")
	return ""
}

func ids(envs []evidence.Envelope) []string {
	var out []string
	for _, e := range envs {
		out = append(out, e.ID)
	}
	sort.Strings(out)
	return out
}

func TestOCIRoundTripMatchesDir(t *testing.T) {
	ctx := context.Background()
	addr := startRegistry(t)
	oci, err := evidence.Open("oci://"+addr+"/models/evidence", evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := evidence.OpenDir(t.TempDir())
	for i := 0; i < 5; i++ {
		env := envelope(subjectA, 500+i)
		for _, s := range []evidence.Store{oci, dir} {
			if _, added, err := s.Add(ctx, env); err != nil || !added {
				t.Fatalf("%s add: %v %v", s, added, err)
			}
		}
	}
	// Adding again is a no-op in the registry too.
	if _, added, err := oci.Add(ctx, envelope(subjectA, 500)); err != nil || added {
		t.Fatalf("re-add: %v %v", added, err)
	}
	fromOCI, problems, err := oci.Subject(ctx, subjectA)
	if err != nil || len(problems) != 0 {
		t.Fatalf("%v %v", err, problems)
	}
	fromDir, _, _ := dir.Subject(ctx, subjectA)
	if got, want := fmt.Sprint(ids(fromOCI)), fmt.Sprint(ids(fromDir)); got != want || len(fromOCI) != 5 {
		t.Fatalf("oci %s\ndir %s", got, want)
	}
	data, err := oci.Get(ctx, fromDir[0].ID)
	if err != nil || string(data) != string(fromDir[0].Data) {
		t.Fatalf("get: %v", err)
	}
	other, _, err := oci.Subject(ctx, subjectB)
	if err != nil || len(other) != 0 {
		t.Fatalf("another subject: %d envelopes, %v", len(other), err)
	}
}

var subjectB = "bb" + subjectA[2:]
