package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/modelgate/modelgate/testkit"
)

// headless runs the browser on a page with no network and returns its DOM
// after rendering; it also takes a screenshot into the artefacts folder.
func headless(t *testing.T, page, shot string) *html.Node {
	bin := testkit.Tool(t, "chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	profile := t.TempDir()
	common := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--user-data-dir=" + profile, "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"}
	out, err := exec.CommandContext(ctx, bin, append(common, "--dump-dom", "file://"+page)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	if err := exec.CommandContext(ctx, bin, append(common, "--window-size=1280,2000", "--screenshot="+shot, "file://"+page)...).Run(); err != nil {
		t.Fatalf("chromium --screenshot: %v", err)
	}
	if info, err := os.Stat(shot); err != nil || info.Size() < 10000 {
		t.Fatalf("no screenshot at %s: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)
	doc, err := html.Parse(strings.NewReader(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// artefacts is where browser screenshots are kept: $MODELGATE_ARTIFACTS, or
// the test's own folder.
func artefacts(t *testing.T) string {
	if dir := os.Getenv("MODELGATE_ARTIFACTS"); dir != "" {
		os.MkdirAll(dir, 0o755)
		return dir
	}
	return t.TempDir()
}

func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	for _, t := range find(n, func(x *html.Node) bool { return x.Type == html.TextNode }) {
		b.WriteString(t.Data)
	}
	return b.String()
}

func byID(doc *html.Node, id string) *html.Node {
	if nodes := find(doc, func(n *html.Node) bool { return attr(n, "id") == id }); len(nodes) == 1 {
		return nodes[0]
	}
	return nil
}

// The report, rendered by a real browser: the verdict, every gate row with
// its status, charts, and a <script> from evidence shown as text.
func TestReportInARealBrowser(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "denied.html")
	fixture := filepath.Join(testkit.RepoRoot(), "testdata", "decisions", "denied.json")
	if code, out, stderr := runCLI("report", fixture, "--out", page); code != 0 || !strings.HasPrefix(out, "wrote "+page+" (FAILED fraud-scorer@sha256:") {
		t.Fatalf("report: exit %d %s %s", code, out, stderr)
	}
	doc := headless(t, page, filepath.Join(artefacts(t), "report-denied.png"))
	if v := byID(doc, "verdict"); v == nil || text(v) != "DENIED" {
		t.Fatal("no DENIED verdict in the rendered page")
	}
	if s := byID(doc, "subject"); s == nil || text(s) != "fraud-scorer@sha256:"+strings.Repeat("ab", 32) {
		t.Fatal("subject missing")
	}
	rows := find(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-gate") != "" })
	status := map[string]string{}
	for _, r := range rows {
		status[attr(r, "data-gate")] = attr(r, "data-status")
	}
	want := map[string]string{"approvals": "fail", "metrics": "fail", "regression": "fail", "slices": "fail", "training": "waived", "canary": "pass", "smoke_test": "pass"}
	if len(rows) != 12 { // the fixture was decided before the promotion gate
		t.Fatalf("%d gate rows, want 12", len(rows))
	}
	for gate, st := range want {
		if status[gate] != st {
			t.Errorf("gate %s is %q in the page, want %q", gate, status[gate], st)
		}
	}
	if scripts := find(doc, func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == "script" }); len(scripts) != 0 {
		t.Fatalf("the page runs %d script(s)", len(scripts))
	}
	if !strings.Contains(text(doc), "<script>alert('x')</script> bias in the") {
		t.Fatal("the <script> from evidence is not shown as text")
	}
	if svgs := find(doc, func(n *html.Node) bool { return n.Data == "svg" }); len(svgs) < 5 {
		t.Fatalf("%d charts", len(svgs))
	}
	if w := byID(doc, "waivers"); w == nil || !strings.Contains(text(w), "RISK-42") {
		t.Fatal("the waiver's ticket is not in the page")
	}
}
