package evidence_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelgate/modelgate/attest"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/testkit"
)

// ed25519 signatures are deterministic: the same predicate makes the same envelope.
var party = testkit.FixedParty("p", "risk")

// envelope makes a distinct signed envelope about subject.
func envelope(subject string, n int) []byte {
	return party.Sign(digest.Subject{Name: "m", SHA256: subject}, "risk", map[string]any{
		"model": "m", "tier": "low", "rationale": "n" + strconv.Itoa(n), "valid_until": "2030-01-01T00:00:00Z",
	})
}

var subjectA = strings.Repeat("aa", 32)

func TestAddTwiceIsANoOp(t *testing.T) {
	ctx := context.Background()
	s, _ := evidence.OpenDir(t.TempDir())
	env := envelope(subjectA, 1)
	id, added, err := s.Add(ctx, env)
	if err != nil || !added {
		t.Fatalf("first add: %v %v", added, err)
	}
	id2, added, err := s.Add(ctx, env)
	if err != nil || added || id2 != id {
		t.Fatalf("second add: %v %v %v", id2, added, err)
	}
	envs, problems, _ := s.Subject(ctx, subjectA)
	if len(envs) != 1 || len(problems) != 0 || envs[0].ID != id {
		t.Fatalf("got %d envelopes, %v", len(envs), problems)
	}
	got, err := s.Get(ctx, id)
	if err != nil || string(got) != string(env) {
		t.Fatalf("get: %v", err)
	}
}

func TestRefusesWhatIsNotAnEnvelope(t *testing.T) {
	s, _ := evidence.OpenDir(t.TempDir())
	_, _, err := s.Add(context.Background(), []byte(`{"hello": 1}`))
	if err == nil || !strings.HasPrefix(err.Error(), "not stored: malformed envelope") {
		t.Fatalf("got %v", err)
	}
}

func TestTornAndForeignFilesAreReportedAndSkipped(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, _ := evidence.OpenDir(root)
	good, _, _ := s.Add(ctx, envelope(subjectA, 1))
	bad, _, _ := s.Add(ctx, envelope(subjectA, 2))
	hex := strings.TrimPrefix(bad, "sha256:")
	// Tear one envelope, and a torn index line after the good ones.
	os.WriteFile(filepath.Join(root, "objects", hex[:2], hex), []byte(`{"payl`), 0o644)
	f, _ := os.OpenFile(filepath.Join(root, "index", subjectA), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("deadbe")
	f.Close()
	envs, problems, err := s.Subject(ctx, subjectA)
	if err != nil || len(envs) != 1 || envs[0].ID != good || len(problems) != 2 {
		t.Fatalf("got %d envelopes, problems %v, err %v", len(envs), problems, err)
	}
	reasons := problems[0].Reason + " | " + problems[1].Reason
	if !strings.Contains(reasons, `index line "deadbe" is not an envelope id; skipped`) ||
		!strings.Contains(reasons, "content does not match its name (torn or foreign file); skipped") {
		t.Fatalf("reasons: %s", reasons)
	}
	// A later add still lands on a line of its own.
	third, _, _ := s.Add(ctx, envelope(subjectA, 3))
	envs, _, _ = s.Subject(ctx, subjectA)
	if len(envs) != 2 || envs[1].ID != third {
		t.Fatalf("after torn line: %d envelopes", len(envs))
	}
}

// The helper process: adds envelopes N..N+count to the store, as a separate writer.
func TestHelperWriter(t *testing.T) {
	root := os.Getenv("MODELGATE_HELPER_STORE")
	if root == "" {
		return
	}
	start, _ := strconv.Atoi(os.Getenv("MODELGATE_HELPER_START"))
	count, _ := strconv.Atoi(os.Getenv("MODELGATE_HELPER_COUNT"))
	s, err := evidence.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for i := start; i < start+count; i++ {
		if _, _, err := s.Add(context.Background(), envelope(subjectA, i%1000)); err != nil {
			t.Fatal(err)
		}
		if os.Getenv("MODELGATE_HELPER_SIGNAL") != "" && i == start {
			fmt.Println("READY")
		}
	}
}

func helper(root string, start, count int) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
	cmd.Env = append(os.Environ(), "MODELGATE_HELPER_STORE="+root,
		"MODELGATE_HELPER_START="+strconv.Itoa(start), "MODELGATE_HELPER_COUNT="+strconv.Itoa(count))
	return cmd
}

func TestConcurrentWritersLoseNothing(t *testing.T) {
	root := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	// 8 processes, 200 envelopes each, half of them shared with a neighbour.
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			if out, err := helper(root, w*100, 200).CombinedOutput(); err != nil {
				errs <- fmt.Errorf("writer %d: %v %s", w, err, out)
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s, _ := evidence.OpenDir(root)
	envs, problems, _ := s.Subject(context.Background(), subjectA)
	if len(envs) != 900 || len(problems) != 0 {
		t.Fatalf("got %d distinct envelopes (want 900), problems %v", len(envs), problems)
	}
}

func TestKilledWriterLeavesStoreIntact(t *testing.T) {
	root := t.TempDir()
	if out, err := helper(root, 0, 50).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	cmd := helper(root, 50, 100000)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it mid-stream, once it has written some: however loaded the
	// machine, the kill lands while the writer is writing.
	index := filepath.Join(root, "index", subjectA)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if raw, _ := os.ReadFile(index); bytes.Count(raw, []byte("\n")) > 60 {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	s, _ := evidence.OpenDir(root)
	envs, _, err := s.Subject(context.Background(), subjectA)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, e := range envs {
		have[e.ID] = true
	}
	for i := 0; i < 50; i++ {
		if id := attest.EnvelopeID(envelope(subjectA, i)); !have[id] {
			t.Fatalf("envelope %d (%s), written before the kill, is gone", i, id)
		}
	}
	if len(envs) <= 50 {
		t.Fatalf("the killed writer added nothing (%d envelopes); the test proves nothing", len(envs))
	}
}
