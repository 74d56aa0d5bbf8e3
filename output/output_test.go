package output

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/decision"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/output")

var extension = map[string]string{"text": "txt", "json": "json", "junit": "xml", "sarif": "sarif", "github": "txt", "markdown": "md", "html": "html"}

func load(t *testing.T, name string) *decision.Decision {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "decisions", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := decision.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Every format of every fixture decision matches its golden file
// (go test ./output -update rewrites them).
func TestGolden(t *testing.T) {
	for _, name := range []string{"denied", "allowed"} {
		d := load(t, name)
		for _, format := range Formats {
			var buf bytes.Buffer
			if err := Write(&buf, d, format, Options{Version: "v0.0.0-test"}); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("..", "testdata", "output", name+"."+format+"."+extension[format])
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				os.WriteFile(golden, buf.Bytes(), 0o644)
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./output -update writes it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from %s (go test ./output -update rewrites it)", format, golden)
			}
		}
	}
}

// The github format writes its step summary where the caller says (the
// command opens $GITHUB_STEP_SUMMARY): the markdown format's bytes; with
// no Summary, the annotations alone; and no renderer reads the environment.
func TestGitHubSummaryGoesWhereTheCallerSays(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", filepath.Join(t.TempDir(), "never-written"))
	d := load(t, "denied")
	var ann, summary, md bytes.Buffer
	if err := Write(&ann, d, "github", Options{Summary: &summary}); err != nil {
		t.Fatal(err)
	}
	Write(&md, d, "markdown", Options{})
	if summary.Len() == 0 || !bytes.Equal(summary.Bytes(), md.Bytes()) {
		t.Fatalf("the step summary is not the markdown rendering:\n%s", summary.String())
	}
	var alone bytes.Buffer
	Write(&alone, d, "github", Options{})
	if !bytes.Equal(alone.Bytes(), ann.Bytes()) {
		t.Fatal("the annotations differ with and without a summary")
	}
	if _, err := os.Stat(os.Getenv("GITHUB_STEP_SUMMARY")); err == nil {
		t.Fatal("a renderer opened $GITHUB_STEP_SUMMARY")
	}
	if _, err := Get("yaml", Options{}); err == nil || err.Error() != `unknown format "yaml": use one of text, json, junit, sarif, github, markdown, html` {
		t.Fatalf("%v", err)
	}
}

// SARIF and JUnit name modelgate, and carry the verdict, tier and subject.
func TestMachineFormatsNameModelgate(t *testing.T) {
	d := load(t, "denied")
	var sarif bytes.Buffer
	SARIF(&sarif, d, "v1")
	var log sarifLog
	if err := json.Unmarshal(sarif.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "modelgate" || run.Properties["verdict"] != "DENIED" || run.Properties["tier"] != "high" ||
		run.Properties["subject"] != d.Ref() || log.Version != "2.1.0" {
		t.Fatalf("sarif %+v", run.Properties)
	}
	for _, r := range run.Results {
		if r.Level == "error" && r.RuleID == "" {
			t.Fatalf("result without a rule: %+v", r)
		}
	}
	var junit bytes.Buffer
	JUnit(&junit, d, "v1")
	var suites junitSuites
	if err := xml.Unmarshal(junit.Bytes(), &suites); err != nil {
		t.Fatal(err)
	}
	props := map[string]string{}
	for _, p := range suites.Suites[0].Properties {
		props[p.Name] = p.Value
	}
	if suites.Name != "modelgate" || props["verdict"] != "DENIED" || props["tier"] != "high" || props["subject"] != d.Ref() || suites.Failures == 0 {
		t.Fatalf("junit %s %+v", suites.Name, props)
	}
}

// Strings from evidence never reach a reader raw: no escape sequence in
// text, no workflow command of its own in GitHub annotations, no markup in
// HTML or Markdown.
func TestEvidenceStringsAreEscaped(t *testing.T) {
	d := load(t, "denied")
	for _, format := range Formats {
		var buf bytes.Buffer
		Write(&buf, d, format, Options{})
		out := buf.String()
		if strings.Contains(out, "\x1b") {
			t.Errorf("%s: a raw escape sequence", format)
		}
		if (format == "html" || format == "markdown") && strings.Contains(out, "<script>") {
			t.Errorf("%s: a raw <script>", format)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "::notice::approved") {
				t.Errorf("%s: an injected workflow command", format)
			}
		}
	}
}

// A GitHub annotation points at the evidence file when it is there, and
// names no file otherwise.
func TestGitHubAnnotationsPointAtRealFiles(t *testing.T) {
	d := load(t, "denied")
	var buf bytes.Buffer
	GitHub(&buf, d)
	if strings.Contains(buf.String(), "file=") {
		t.Fatalf("the fixture's evidence files are gone, yet an annotation names one:\n%s", buf.String())
	}
	real := filepath.Join(t.TempDir(), "training.json")
	os.WriteFile(real, []byte("{}"), 0o644)
	for i, e := range d.Evidence {
		if strings.HasSuffix(e.Type, "/training/v1") {
			d.Evidence[i].Source = real
		}
	}
	buf.Reset()
	GitHub(&buf, d)
	if !strings.Contains(buf.String(), "::error file="+ghProperty(real)+",title=modelgate MG-TRAIN") && !strings.Contains(buf.String(), "::notice file="+ghProperty(real)+",title=modelgate MG-TRAIN") {
		t.Fatalf("no annotation points at %s:\n%s", real, buf.String())
	}
}

// Provenance, when the decision has some, is shown in text and on the page.
func TestProvenanceShown(t *testing.T) {
	d := load(t, "allowed")
	d.Provenance = []decision.Provenance{{Evidence: "sha256:pv", Signer: "training@example.com", Builder: "https://github.com/actions/runner/github-hosted",
		Source: "git+https://github.com/acme/churn@refs/heads/main@gitCommit:9b2f0c8e", Run: "https://github.com/acme/churn/actions/runs/42/attempts/1"}}
	var text, page bytes.Buffer
	if err := Write(&text, d, "text", Options{}); err != nil {
		t.Fatal(err)
	}
	want := "built by https://github.com/actions/runner/github-hosted from git+https://github.com/acme/churn@refs/heads/main@gitCommit:9b2f0c8e (run https://github.com/acme/churn/actions/runs/42/attempts/1), attested by training@example.com\n"
	if !strings.Contains(text.String(), want) {
		t.Fatalf("text lacks %q:\n%s", want, text.String())
	}
	if err := Write(&page, d, "html", Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), `<table id="provenance">`) || !strings.Contains(page.String(), "gitCommit:9b2f0c8e") {
		t.Fatal("the page shows no provenance")
	}
}
