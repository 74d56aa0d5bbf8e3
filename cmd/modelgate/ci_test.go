package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/modelgate/modelgate/testkit"
)

// strings lists every string in a YAML document.
func yamlStrings(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, x)
	case map[string]any:
		for _, e := range x {
			yamlStrings(e, out)
		}
	case []any:
		for _, e := range x {
			yamlStrings(e, out)
		}
	}
}

var invocation = regexp.MustCompile(`(?:^|[\s;&|(])modelgate\s+([a-z][a-z-]*)(?:\s+([a-z][a-z-]*))?`)
var flagToken = regexp.MustCompile(`(?:^|[\s+{:])(--[a-z][a-z-]*)`)

// The CI templates parse, and every modelgate command they run exists with
// the flags they give it.
func TestCITemplatesRunRealCommands(t *testing.T) {
	root := testkit.RepoRoot()
	files := []string{"action.yml", "examples/github/model-gate.yml", "examples/gitlab/.gitlab-ci.yml", "examples/azure/azure-pipelines.yml"}
	cli := newRootCmd()
	checked := 0
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s does not parse: %v", f, err)
		}
		var texts []string
		yamlStrings(doc, &texts)
		for _, text := range texts {
			for _, line := range strings.Split(strings.ReplaceAll(text, "\\\n", " "), "\n") {
				m := invocation.FindStringSubmatchIndex(line)
				if m == nil {
					continue
				}
				args := []string{line[m[2]:m[3]]}
				if m[4] >= 0 {
					args = append(args, line[m[4]:m[5]])
				}
				cmd, rest, err := cli.Find(args)
				if err != nil || cmd == cli || (len(rest) > 0 && cmd.HasSubCommands()) {
					t.Errorf("%s runs 'modelgate %s', which is no command", f, strings.Join(args, " "))
					continue
				}
				for _, fm := range flagToken.FindAllStringSubmatch(line[m[1]:], -1) {
					name := strings.TrimPrefix(fm[1], "--")
					if lookupFlag(cmd, name) {
						continue
					}
					t.Errorf("%s runs 'modelgate %s' with --%s, which it does not take", f, cmd.Name(), name)
				}
				checked++
			}
		}
	}
	if checked < 15 {
		t.Fatalf("only %d modelgate invocations found", checked)
	}
}

func lookupFlag(cmd *cobra.Command, name string) bool {
	return cmd.Flags().Lookup(name) != nil || cmd.InheritedFlags().Lookup(name) != nil || name == "help"
}
