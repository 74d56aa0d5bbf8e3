package main

// Fault injection with real processes and real filesystems: a store on a
// full filesystem, a read-only store. Both need a tmpfs mount, which root
// can make here; elsewhere these tests say why they cannot run.

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/testkit"
)

// mountTmpfs mounts a small tmpfs at dir for the test's life.
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		testkit.Needed(t, "cannot mount a tmpfs here (%v): run as root to inject a full or read-only filesystem", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
}

// A store on a full filesystem refuses the envelope that does not fit with
// the system's own error, and loses nothing stored before it.
func TestFullFilesystemLosesNothing(t *testing.T) {
	r := newRun(t, "high")
	root := filepath.Join(r.dir, "full")
	os.MkdirAll(root, 0o755)
	mountTmpfs(t, root, "96k")
	s, err := evidence.OpenDir(filepath.Join(root, "store"))
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	var full error
	for i := 0; i < 200 && full == nil; i++ {
		p := r.p.Predicates()["canary"]
		p["duration_s"] = 3600 + i
		p["padding"] = strings.Repeat("x", 2000)
		id, _, err := s.Add(t.Context(), r.p.Canary.Sign(r.p.Subject, "canary", p))
		if err != nil {
			full = err
			break
		}
		stored = append(stored, id)
	}
	if full == nil || !strings.Contains(full.Error(), "no space left on device") {
		t.Fatalf("after %d envelopes: %v", len(stored), full)
	}
	envs, problems, err := s.Subject(t.Context(), r.p.Subject.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, e := range envs {
		have[e.ID] = true
	}
	for _, id := range stored {
		if !have[id] {
			t.Fatalf("%s, stored before the disk filled, is gone (problems %v)", id, problems)
		}
	}
	for _, p := range problems {
		if !strings.Contains(p.Reason, "skipped") {
			t.Fatalf("problem %+v", p)
		}
	}
	if len(stored) < 5 {
		t.Fatalf("only %d envelopes fit; the test proves little", len(stored))
	}
}

// A read-only store still decides; writing a VSA into it is exit 2 with
// the reason, and changes nothing.
func TestReadOnlyStoreStillDecides(t *testing.T) {
	r := newRun(t, "high")
	root := filepath.Join(r.dir, "ro")
	os.MkdirAll(root, 0o755)
	mountTmpfs(t, root, "4m")
	s, _ := evidence.OpenDir(filepath.Join(root, "store"))
	for _, e := range r.p.Envelopes(nil) {
		if _, _, err := s.Add(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.p.Ledger.Init(filepath.Join(root, "store", "tlog")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("", root, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		testkit.Needed(t, "cannot remount read-only: %v", err)
	}
	args := []string{"verify", "--subject", r.p.Subject.String(), "--env", "production", "--policy", r.policy, "--store", "dir:" + filepath.Join(root, "store")}
	if code, out, stderr := runCLI(args...); code != 0 || !strings.HasPrefix(out, "ALLOWED") {
		t.Fatalf("exit %d %s %s", code, out, stderr)
	}
	code, _, stderr := runCLI(append(args, "--vsa-key", r.p.Gate.WriteKey(r.dir))...)
	undecided(t, code, stderr, "read-only file system")
	// Nothing was recorded: the ledger admits nothing.
	if code, out, _ := runCLI("history", "--model", r.p.Subject.Name, "--policy", r.policy, "--store", "dir:"+filepath.Join(root, "store")); code != 0 || !strings.HasPrefix(out, "no ledger records") {
		t.Fatalf("history after a failed append: exit %d %s", code, out)
	}
}

// A promotion whose append fails (the log's disk is full) exits 2, and the
// model is admitted nowhere: history has no record of it, serve denies it,
// and the log is as it was.
func TestFailedAppendAdmitsNothing(t *testing.T) {
	r := newRun(t, "medium")
	logDir := filepath.Join(r.dir, "store", "tlog")
	os.RemoveAll(logDir)
	os.MkdirAll(logDir, 0o755)
	mountTmpfs(t, logDir, "64k")
	if err := r.p.Ledger.Init(logDir); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(logDir, "checkpoint"))
	// Fill what is left of the log's file system.
	f, _ := os.Create(filepath.Join(logDir, "filler"))
	f.Write(make([]byte, 64<<10))
	f.Close()
	code, _, stderr := r.verify(r.p.Envelopes(nil), "--vsa-key", r.p.Gate.WriteKey(r.dir))
	undecided(t, code, stderr, "the decision is not recorded, and admits nothing: ", "no space left on device")
	if after, _ := os.ReadFile(filepath.Join(logDir, "checkpoint")); string(after) != string(before) {
		t.Fatalf("the checkpoint moved: %s", after)
	}
	code, out, stderr := runCLI("history", "--model", r.p.Subject.Name, "--policy", r.policy, "--store", "dir:"+filepath.Join(r.dir, "store"))
	if code != 0 || !strings.HasPrefix(out, "no ledger records for fraud-scorer") {
		t.Fatalf("history after a failed append: exit %d %s %s", code, out, stderr)
	}
	os.Remove(filepath.Join(logDir, "filler"))
	certFile, keyFile, pool := selfSigned(t, r.dir, "serving")
	gatePub := filepath.Join(r.dir, "gate.pub")
	os.WriteFile(gatePub, r.p.Gate.PubPEM, 0o644)
	w := startWebhook(t, pool, "--tls-cert", certFile, "--tls-key", keyFile, "--gate-key", gatePub, "--policy", r.policy, "--store", "dir:"+filepath.Join(r.dir, "store"))
	if _, a := w.send(t, "production", review("a", "Pod", "CREATE", objectOf("Pod", r.p.Subject.String(), "", ""), nil)); a.Response.Allowed ||
		!strings.Contains(a.Response.Status.Message, "has no PASSED decision in production") {
		t.Fatalf("serve after a failed append: %+v", a.Response)
	}
	// With room again, the same promotion is recorded once.
	code, _, stderr = r.verify(r.p.Envelopes(nil), "--vsa-key", r.p.Gate.WriteKey(r.dir))
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
}
