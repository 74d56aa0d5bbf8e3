package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// How each external tool a test runs is installed; `make test` does it
// (scripts/tools.sh), caching Go-built tools outside the clone.
var installHints = map[string]string{
	"docker-registry":         "Debian package docker-registry",
	"chromium":                "Debian package chromium",
	"etcd":                    "Debian package etcd-server",
	"kube-apiserver":          "scripts/kube-build.sh",
	"kube-controller-manager": "scripts/kube-build.sh",
	"kubectl":                 "scripts/kube-build.sh",
	"curl":                    "Debian package curl",
	"openssl":                 "Debian package openssl",
}

// Tool finds an external program a test needs: on PATH, then in the tools
// caches scripts/tools.sh fills ($MODELGATE_TOOLS, $MODELGATE_KUBE/bin, or
// their defaults under ~/.cache). Missing, the test skips with one line
// saying how to install it, except under CI, where it fails: a skip there
// would prove nothing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short (make test-quick): this test runs the peer tool %s", name)
	}
	if p := FindTool(name); p != "" {
		return p
	}
	hint := installHints[name]
	if hint == "" {
		hint = "scripts/tools.sh " + name
	}
	Needed(t, "%s is not installed: make test installs it (%s)", name, hint)
	return ""
}

// FindTool is Tool without the test: the path, or "" when it is nowhere.
func FindTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	tools := os.Getenv("MODELGATE_TOOLS")
	if tools == "" {
		tools = filepath.Join(cache, "modelgate-tools")
	}
	kube := os.Getenv("MODELGATE_KUBE")
	if kube == "" {
		kube = filepath.Join(cache, "modelgate-kube")
	}
	for _, dir := range []string{tools, filepath.Join(kube, "bin")} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// Needed skips a test whose machinery this machine lacks, except under CI
// (CI is set), where it fails.
func Needed(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// OwnCheckpoints gives a test a user cache of its own, where readers of a
// ledger remember the checkpoints they have seen (tests that make a new
// log under one origin each would otherwise see each other's), keeping
// the tools caches where they were.
func OwnCheckpoints(t testing.TB) {
	t.Helper()
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	if os.Getenv("MODELGATE_TOOLS") == "" {
		t.Setenv("MODELGATE_TOOLS", filepath.Join(cache, "modelgate-tools"))
	}
	if os.Getenv("MODELGATE_KUBE") == "" {
		t.Setenv("MODELGATE_KUBE", filepath.Join(cache, "modelgate-kube"))
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
}
