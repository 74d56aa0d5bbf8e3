package tlog_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/fsck"
	"golang.org/x/mod/sumdb/note"

	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/tlog"
)

// A child process appends: TLOG_CHILD=SPEC, TLOG_KEY, TLOG_N (0: until
// killed), TLOG_PREFIX.
func TestMain(m *testing.M) {
	if spec := os.Getenv("TLOG_CHILD"); spec != "" {
		os.Exit(child(spec))
	}
	os.Exit(m.Run())
}

func child(specText string) int {
	ctx := context.Background()
	spec, err := tlog.ParseSpec(specText)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	s, err := note.NewSigner(os.Getenv("TLOG_KEY"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	a, err := tlog.OpenAppender(ctx, spec, s, tlog.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer a.Close(ctx)
	n, _ := strconv.Atoi(os.Getenv("TLOG_N"))
	if n > 0 {
		// All at once: each process's appends batch together.
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			go func() {
				_, err := a.Append(ctx, []byte(fmt.Sprintf("%s-%d %s", os.Getenv("TLOG_PREFIX"), i, strings.Repeat("x", 200))))
				errs <- err
			}()
		}
		for i := 0; i < n; i++ {
			if err := <-errs; err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
		}
		return 0
	}
	for i := 0; ; i++ {
		if _, err := a.Append(ctx, []byte(fmt.Sprintf("%s-%d %s", os.Getenv("TLOG_PREFIX"), i, strings.Repeat("x", 200)))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Println(i) // the parent knows the appends are under way
	}
}

// lastVKey is the verifier key newLog made last.
var lastVKey string

// driver is one of Tessera's storage drivers under the same suite.
type driver struct {
	name string
	spec func(t testing.TB) string
}

func drivers() []driver {
	var db *testkit.MariaDB
	return []driver{
		{"posix", func(t testing.TB) string { return "dir:" + filepath.Join(t.TempDir(), "tlog") }},
		{"mysql", func(t testing.TB) string {
			if db == nil {
				db = testkit.StartMariaDB(t)
			}
			t.Setenv(tlog.PasswordEnv, db.Password)
			return db.Database(t)
		}},
	}
}

func newLog(t testing.TB, specText string) (tlog.Spec, string, tlog.Verifiers) {
	t.Helper()
	skey, vkey, err := tlog.GenerateKey("ledger.test.example/drivers")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	v, _ := tlog.ParseVerifier(vkey)
	lastVKey = vkey
	spec, err := tlog.ParseSpec(specText)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.Init(context.Background(), spec, s); err != nil {
		t.Fatal(err)
	}
	return spec, skey, tlog.Verifiers{v.Name(): v}
}

func appender(spec tlog.Spec, skey, prefix string, n int) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), "TLOG_CHILD="+spec.String(), "TLOG_KEY="+skey, "TLOG_PREFIX="+prefix, "TLOG_N="+strconv.Itoa(n))
	return cmd
}

// readAll reads the whole log as a reader does, verified.
func readAll(t *testing.T, spec tlog.Spec, vs tlog.Verifiers) [][]byte {
	t.Helper()
	o, err := tlog.Open(context.Background(), spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	es, err := tlog.NewTree(spec.String(), vs, nil).Update(context.Background(), o.Fetcher)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// fsckLog runs Tessera's own fsck library over the log, under a deadline.
func fsckLog(t *testing.T, spec tlog.Spec, vs tlog.Verifiers) error {
	o, err := tlog.Open(context.Background(), spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	origin := "ledger.test.example/drivers"
	return fsck.New(origin, vs[origin], o.Fetcher, func(b []byte) ([][]byte, error) {
		var eb api.EntryBundle
		if err := eb.UnmarshalText(b); err != nil {
			return nil, err
		}
		out := make([][]byte, len(eb.Entries))
		for i, e := range eb.Entries {
			out[i] = rfc6962.DefaultHasher.HashLeaf(e)
		}
		return out, nil
	}, fsck.Opts{N: 2}).Check(ctx)
}

// 8 processes × 50 records appended at once, on each driver: every record
// is there once, in one order every reader agrees on, and fsck accepts it.
func TestEightWritersAtOnce(t *testing.T) {
	for _, d := range drivers() {
		t.Run(d.name, func(t *testing.T) {
			spec, skey, vs := newLog(t, d.spec(t))
			var cmds []*exec.Cmd
			for w := 0; w < 8; w++ {
				cmd := appender(spec, skey, fmt.Sprintf("w%d", w), 50)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				cmds = append(cmds, cmd)
			}
			for i, cmd := range cmds {
				if err := cmd.Wait(); err != nil {
					t.Fatalf("writer %d: %v", i, err)
				}
			}
			first, second := readAll(t, spec, vs), readAll(t, spec, vs)
			if len(first) != 400 {
				t.Fatalf("%d entries, want 400", len(first))
			}
			seen := map[string]bool{}
			for i, e := range first {
				if string(e) != string(second[i]) {
					t.Fatalf("two readers disagree at %d", i)
				}
				key := strings.Fields(string(e))[0]
				if seen[key] {
					t.Fatalf("%s appended twice", key)
				}
				seen[key] = true
			}
			for w := 0; w < 8; w++ {
				for i := 0; i < 50; i++ {
					if !seen[fmt.Sprintf("w%d-%d", w, i)] {
						t.Fatalf("w%d-%d is missing", w, i)
					}
				}
			}
			if err := fsckLog(t, spec, vs); err != nil {
				t.Fatalf("fsck: %v", err)
			}
		})
	}
}

// A writer killed with SIGKILL mid-append leaves whole entries or none:
// the log verifies, every entry is one the writer wrote whole, and the
// next writer appends after them.
func TestKilledWriterLeavesWholeEntries(t *testing.T) {
	for _, d := range drivers() {
		t.Run(d.name, func(t *testing.T) {
			spec, skey, vs := newLog(t, d.spec(t))
			for round := 0; round < 3; round++ {
				cmd := appender(spec, skey, fmt.Sprintf("k%d", round), 0)
				out, _ := cmd.StdoutPipe()
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 64)
				out.Read(buf) // the first append is done
				time.Sleep(time.Duration(150+round*170) * time.Millisecond)
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
			}
			finish := appender(spec, skey, "after", 3)
			if out, err := finish.CombinedOutput(); err != nil {
				t.Fatalf("the next writer: %v %s", err, out)
			}
			entries := readAll(t, spec, vs)
			for i, e := range entries {
				f := strings.Fields(string(e))
				if len(f) != 2 || len(f[1]) != 200 {
					t.Fatalf("entry %d is torn: %q", i, e)
				}
			}
			for _, e := range entries[len(entries)-3:] {
				if !strings.HasPrefix(string(e), "after-") {
					t.Fatalf("the next writer's entries are not the last: %.20q", e)
				}
			}
			if err := fsckLog(t, spec, vs); err != nil {
				t.Fatalf("fsck: %v", err)
			}
		})
	}
}

// Tessera's own fsck accepts a log modelgate wrote (its command, as an
// auditor runs it); on a tampered log its library reports the fault (its
// command's exit code does not, so nothing is decided on it).
func TestTesserasFsck(t *testing.T) {
	spec, skey, vs := newLog(t, "dir:"+filepath.Join(t.TempDir(), "tlog"))
	if out, err := appender(spec, skey, "e", 300).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	pub := filepath.Join(t.TempDir(), "ledger.pub")
	_, vkey := keysOf(t, skey)
	os.WriteFile(pub, []byte(vkey+"\n"), 0o644)
	bin := testkit.Tool(t, "tessera-fsck")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--storage_url=file://"+spec.Path+"/", "--public_key="+pub, "--ui=false", "--N=2").CombinedOutput()
	if err != nil {
		t.Fatalf("fsck: %v\n%s", err, out)
	}
	if err := fsckLog(t, spec, vs); err != nil {
		t.Fatalf("fsck library: %v", err)
	}
	tile := filepath.Join(spec.Path, "tile", "0", "000")
	raw, _ := os.ReadFile(tile)
	raw[7] ^= 1
	os.WriteFile(tile, raw, 0o644)
	if err := fsckLog(t, spec, vs); err == nil {
		t.Fatal("Tessera's fsck library accepts a changed tile")
	}
}

// keysOf derives the verifier key of a signing key.
func keysOf(t *testing.T, skey string) (note.Signer, string) {
	t.Helper()
	// PRIVATE+KEY+NAME+HASH+KEY: the verifier key is NAME+HASH+public key,
	// which note does not derive; the test keeps the one GenerateKey made.
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, lastVKey
}
