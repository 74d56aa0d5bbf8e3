package evidence_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/modelgate/modelgate/evidence"
	"github.com/modelgate/modelgate/testkit"
)

func startRegistry(t *testing.T) string { return testkit.StartRegistry(t) }

func ids(envs []evidence.Envelope) []string {
	var out []string
	for _, e := range envs {
		out = append(out, e.ID)
	}
	sort.Strings(out)
	return out
}

func TestOCIRoundTripMatchesDir(t *testing.T) {
	ctx := context.Background()
	addr := startRegistry(t)
	oci, err := evidence.Open("oci://"+addr+"/models/evidence", evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := evidence.OpenDir(t.TempDir())
	for i := 0; i < 5; i++ {
		env := envelope(subjectA, 500+i)
		for _, s := range []evidence.Store{oci, dir} {
			if _, added, err := s.Add(ctx, env); err != nil || !added {
				t.Fatalf("%s add: %v %v", s, added, err)
			}
		}
	}
	// Adding again is a no-op in the registry too.
	if _, added, err := oci.Add(ctx, envelope(subjectA, 500)); err != nil || added {
		t.Fatalf("re-add: %v %v", added, err)
	}
	fromOCI, problems, err := oci.Subject(ctx, subjectA)
	if err != nil || len(problems) != 0 {
		t.Fatalf("%v %v", err, problems)
	}
	fromDir, _, _ := dir.Subject(ctx, subjectA)
	if got, want := fmt.Sprint(ids(fromOCI)), fmt.Sprint(ids(fromDir)); got != want || len(fromOCI) != 5 {
		t.Fatalf("oci %s\ndir %s", got, want)
	}
	data, err := oci.Get(ctx, fromDir[0].ID)
	if err != nil || string(data) != string(fromDir[0].Data) {
		t.Fatalf("get: %v", err)
	}
	other, _, err := oci.Subject(ctx, subjectB)
	if err != nil || len(other) != 0 {
		t.Fatalf("another subject: %d envelopes, %v", len(other), err)
	}
}

var subjectB = "bb" + subjectA[2:]
