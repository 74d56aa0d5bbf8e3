package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/keys"
	"github.com/modelgate/modelgate/testkit"
)

// make image builds the container image without a daemon and pushes it to
// a real registry on loopback; its config says entrypoint /modelgate and a
// non-root user, and the binaries in its one layer run on their own:
// modelgate, and the KMS plugins its cloud keys sign through.
func TestMakeImage(t *testing.T) {
	crane := testkit.Tool(t, "crane")
	ref := testkit.StartRegistry(t) + "/modelgate:test"
	cmd := exec.Command("bash", "scripts/image.sh", ref)
	cmd.Dir = testkit.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "pushed ") && !strings.Contains(string(out), "\npushed ") {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	out, err := exec.Command(crane, "config", "--insecure", ref).Output()
	if err != nil {
		t.Fatal(err)
	}
	var config struct {
		Config struct {
			Entrypoint []string
			User       string
		}
	}
	if err := json.Unmarshal(out, &config); err != nil || strings.Join(config.Config.Entrypoint, " ") != "/modelgate" || config.Config.User != "65532:65532" {
		t.Fatalf("image config: %v %s", err, out)
	}
	dir := t.TempDir()
	export := exec.Command("bash", "-c", `"$0" export --insecure "$1" - | tar -x -C "$2"`, crane, ref, dir)
	if out, err := export.CombinedOutput(); err != nil {
		t.Fatalf("export: %v %s", err, out)
	}
	version, err := exec.Command(filepath.Join(dir, "modelgate"), "--version").Output()
	if err != nil || !strings.HasPrefix(string(version), "modelgate ") {
		t.Fatalf("the image's binary: %v %q", err, version)
	}
	if info, err := os.Stat(filepath.Join(dir, "modelgate")); err != nil || info.Mode().Perm()&0o111 == 0 {
		t.Fatalf("the binary is not executable: %v", err)
	}
	for _, scheme := range keys.KMSSchemes {
		// Called without the protocol's arguments, a plugin answers in the
		// protocol's JSON that it could not parse them.
		out, err := exec.Command(filepath.Join(dir, "sigstore-kms-"+scheme)).Output()
		if err != nil || !strings.Contains(string(out), `"errorMessage":"error parsing plugin args: expected at least 3 args, got 1"`) {
			t.Fatalf("the image's %s plugin: %v %q", scheme, err, out)
		}
	}
}
