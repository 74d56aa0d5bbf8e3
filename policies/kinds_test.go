package policies_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelgate/modelgate/attest"
)

var update = flag.Bool("update", false, "rewrite modelgate/kinds/data.json from the registry")

// The bundle's evidence kinds (data.modelgate.kinds, which lib.rego reads)
// are the registry's, attest.Kinds: the file is written from it ('go test
// ./policies -update') and any drift fails here.
func TestKindsAreTheRegistry(t *testing.T) {
	want, err := json.MarshalIndent(attest.KindsData(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	path := filepath.Join("modelgate", "kinds", "data.json")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not attest.Kinds: run 'go test ./policies -update'\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
