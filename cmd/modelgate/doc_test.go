package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modelgate/modelgate/testkit"
)

// Every test docs/threat-model.md names exists, so the table cannot
// promise a proof that is not there.
func TestThreatModelNamesRealTests(t *testing.T) {
	root := testkit.RepoRoot()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "threat-model.md"))
	if err != nil {
		t.Fatal(err)
	}
	var sources strings.Builder
	filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && (strings.HasSuffix(p, "_test.go") || strings.HasSuffix(p, "_test.rego")) {
			data, _ := os.ReadFile(p)
			sources.Write(data)
		}
		return nil
	})
	src := sources.String()
	names := regexp.MustCompile("`((?:Test|Fuzz|test_)[A-Za-z0-9_]+)`").FindAllStringSubmatch(string(doc), -1)
	if len(names) < 30 {
		t.Fatalf("only %d tests named", len(names))
	}
	for _, m := range names {
		name := m[1]
		if !strings.Contains(src, "func "+name+"(") && !strings.Contains(src, "\n"+name+" if") {
			t.Errorf("docs/threat-model.md names %s, which no test defines", name)
		}
	}
}

// docCommand is one modelgate command line shown in a document.
type docCommand struct {
	file string
	line string // continuation lines joined, a "$ " prompt removed
}

// docCommands lists every modelgate command line in the fenced blocks and
// inline code of README.md and docs/*.md.
func docCommands(t *testing.T) []docCommand {
	root := testkit.RepoRoot()
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	var out []docCommand
	inline := regexp.MustCompile("`([^`]*modelgate [a-z][^`]*)`")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		fenced := false
		var lines []string
		for _, l := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(l, "```") {
				fenced = !fenced
				continue
			}
			if fenced {
				lines = append(lines, l)
				continue
			}
			for _, m := range inline.FindAllStringSubmatch(l, -1) {
				lines = append(lines, m[1])
			}
		}
		text := strings.ReplaceAll(strings.Join(lines, "\n"), "\\\n", " ")
		for _, l := range strings.Split(text, "\n") {
			l = strings.TrimPrefix(strings.TrimSpace(l), "$ ")
			if invocation.MatchString(l) {
				out = append(out, docCommand{rel, l})
			}
		}
	}
	return out
}

// shellWords splits a command line as a shell would, as far as the docs
// need: quotes, and the end of the command at a comment, pipe, redirection,
// ';', '&&' or ')'.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
			continue
		case c == '"' || c == '\'':
			quote, in = c, true
			continue
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
			continue
		case !in && (c == '#' || c == '>' || c == ';' || c == ')' || c == '&' || (c == '|' && i+1 < len(line) && line[i+1] == ' ')):
			return words
		}
		cur.WriteByte(c)
		in = true
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// Every modelgate command the README and docs/ show is a command that
// exists, with flags it takes, each given a value where it needs one: the
// line parses as the program would parse it. Usage lines may write
// alternatives (a|b) and optional parts ([--flag V]).
func TestDocsCommandsParse(t *testing.T) {
	cmds := docCommands(t)
	if len(cmds) < 30 {
		t.Fatalf("only %d commands found in the docs", len(cmds))
	}
	for _, c := range cmds {
		line := strings.NewReplacer("[", " ", "]", " ").Replace(c.line)
		m := invocation.FindStringIndex(line)
		words := shellWords(line[m[0]+strings.Index(line[m[0]:], "modelgate")+len("modelgate"):])
		cli := newRootCmd()
		cli.InitDefaultCompletionCmd() // cobra adds it when the program runs
		cmd, rest, err := cli.Find(words)
		if err != nil || cmd == cli && len(words) > 0 && !strings.HasPrefix(words[0], "-") {
			t.Errorf("%s: 'modelgate %s' is no command", c.file, strings.Join(words, " "))
			continue
		}
		if cmd.HasSubCommands() {
			// "bundle init|signer|…": each alternative is a subcommand.
			for _, sub := range strings.Split(rest[0], "|") {
				if s, _, err := cmd.Find([]string{sub}); err != nil || s == cmd {
					t.Errorf("%s: 'modelgate %s %s' is no command", c.file, cmd.Name(), sub)
				}
			}
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("%s: %q: %v", c.file, c.line, err)
		}
	}
}

// placeholder marks a doc line that names things only the reader has: a
// registry, a KMS key, an editor, a value in capitals, alternatives.
var placeholder = regexp.MustCompile(`…|example\.com|\$EDITOR|kms://|\b[A-Z][A-Z0-9_]{2,}\b|\|[a-z]`)

// runDocs runs, in the demo's folder, every concrete modelgate command line
// of the README and docs/ as written (placeholders are only parsed, by
// TestDocsCommandsParse), and checks the README's "Sixty seconds" session
// prints what the README shows. The reader's setting: MODELGATE_POLICY and
// MODELGATE_STORE exported as the README says, a decision.json saved by
// verify, and a bundle.tar.gz signed by officer.key.
func runDocs(t *testing.T, bin, dir string) {
	env := append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"), "MODELGATE_POLICY=policy", "MODELGATE_STORE=dir:evidence",
		"MODELGATE_LEDGER_KEY=keys/ledger.ledger.key", "XDG_CACHE_HOME="+filepath.Join(dir, ".cache"))
	sh := func(line string) (string, int) {
		cmd := exec.Command("bash", "-c", line)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	for _, setup := range []string{"cp v1-production.json decision.json", "modelgate keygen --out officer",
		"modelgate bundle build policy --out bundle.tar.gz --signing-key officer.key --revision 2026.11.1"} {
		if out, code := sh(setup); code != 0 {
			t.Fatalf("%s: %s", setup, out)
		}
	}
	ran := 0
	for _, c := range docCommands(t) {
		if placeholder.MatchString(c.line) || !strings.Contains(c.line, " -") || strings.Contains(c.line, " serve ") {
			continue // servers run until stopped: TestDocsCurlAdmissionReview starts one
		}
		if c.file == filepath.Join("docs", "first-model.md") {
			continue // a walkthrough in a folder of its own: TestFirstModelAsWritten runs it
		}
		out, code := sh(c.line)
		want := 0
		if strings.Contains(c.line, "bd09323e2d6c") {
			want = 1 // the README's denied challenger
		}
		if code != want {
			t.Errorf("%s: %s: exit %d, want %d\n%s", c.file, c.line, code, want, out)
		}
		ran++
	}
	if ran < 8 {
		t.Errorf("only %d doc commands ran", ran)
	}

	// The README's session: each line it shows, in order, as printed
	// (times and "…" stand for what differs from run to run).
	raw, _ := os.ReadFile(filepath.Join(testkit.RepoRoot(), "README.md"))
	section := string(raw)
	section = section[strings.Index(section, "## Sixty seconds"):strings.Index(section, "## The commands")]
	var cmds []string
	var shown [][]string
	fenced := false
	for _, l := range strings.Split(section, "\n") {
		switch {
		case strings.HasPrefix(l, "```"):
			fenced = !fenced
		case fenced && strings.HasPrefix(l, "$ "):
			cmds = append(cmds, l[2:])
			shown = append(shown, nil)
		case fenced && strings.TrimSpace(l) != "" && l != "…":
			shown[len(shown)-1] = append(shown[len(shown)-1], l)
		}
	}
	if len(cmds) < 3 {
		t.Fatalf("the README's session shows %d commands", len(cmds))
	}
	var script strings.Builder
	for i, c := range cmds {
		fmt.Fprintf(&script, "rc=$?; echo '@@%d'; (exit $rc); %s 2>/dev/null\n", i, c)
	}
	out, _ := sh(script.String())
	times := regexp.MustCompile(`\d{4}-\d\d-\d\dT[0-9:.]+Z`)
	norm := func(s string) string { return strings.Join(strings.Fields(times.ReplaceAllString(s, "T")), " ") }
	parts := regexp.MustCompile(`(?m)^@@\d+$`).Split(out, -1)[1:]
	for i, c := range cmds {
		printed := strings.Split(parts[i], "\n")
		at := 0
	lines:
		for _, want := range shown[i] {
			for ; at < len(printed); at++ {
				if matchElided(norm(printed[at]), norm(want)) {
					at++
					continue lines
				}
			}
			t.Errorf("README: '%s' does not print %q; it printed:\n%s", c, want, parts[i])
			break
		}
	}
}

// matchElided reports whether got is want, where each "…" in want stands
// for any text.
func matchElided(got, want string) bool {
	pieces := strings.Split(want, "…")
	if !strings.HasPrefix(got, pieces[0]) {
		return false
	}
	got = got[len(pieces[0]):]
	for _, p := range pieces[1:] {
		i := strings.Index(got, strings.TrimSpace(p))
		if i < 0 {
			return false
		}
		got = got[i+len(strings.TrimSpace(p)):]
	}
	return len(pieces) > 1 || got == ""
}
