package admission

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestFindRefs(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	for _, c := range []struct {
		kind, obj string
		want      []string
	}{
		{"Pod", `{"metadata":{"annotations":{"modelgate.dev/model":"fraud-scorer@sha256:` + sha + `"}},"spec":{"volumes":[{"name":"m","image":{"reference":"r.local/models/fraud-scorer@sha256:` + sha + `"}}]}}`,
			[]string{"fraud-scorer@sha256:" + sha}},
		{"Deployment", `{"spec":{"template":{"spec":{"volumes":[{"name":"m","image":{"reference":"r.local:5000/a/b/churn:v2"}}]}}}}`, []string{"r.local:5000/a/b/churn:v2"}},
		{"CronJob", `{"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"annotations":{"modelgate.dev/model":"m@sha256:` + sha + `"}}}}}}}`, []string{"m@sha256:" + sha}},
		{"InferenceService", `{"spec":{"predictor":{"model":{"storageUri":"oci+native://r.local/models/ranker:1@sha256:` + sha + `"}},"transformer":{"containers":[{"storageUri":"s3://b/t"}]}}}`,
			[]string{"ranker@sha256:" + sha, "s3://b/t"}},
		{"ConfigMap", `{"data":{"modelgate.dev/model":"x"}}`, nil},
		// KServe: every form a serving spec can name a model in; those
		// without a digest come back unpinned, so they are denied.
		{"InferenceService", `{"spec":{"predictor":{"model":{"storage":{"key":"s3creds","path":"models/ranker"}}}}}`,
			[]string{"storage map[key:s3creds path:models/ranker]"}},
		{"InferenceService", `{"spec":{"predictor":{"containers":[{"name":"c","env":[{"name":"STORAGE_URI","value":"s3://b/ranker"}]}]}}}`, []string{"s3://b/ranker"}},
		{"InferenceService", `{"spec":{"predictor":{"containers":[{"name":"c","env":[{"name":"STORAGE_URI","value":"oci://r.local/m/ranker@sha256:` + sha + `"}]}]}}}`,
			[]string{"ranker@sha256:" + sha}},
		{"InferenceService", `{"spec":{"predictor":{"containers":[{"name":"c","env":[{"name":"STORAGE_URI","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}]}]}}}`, []string{"STORAGE_URI from valueFrom"}},
		{"InferenceService", `{"spec":{"predictor":{"volumes":[{"name":"m","image":{"reference":"r.local/models/ranker@sha256:` + sha + `"}}]}}}`,
			[]string{"ranker@sha256:" + sha}},
		{"InferenceService", `{"spec":{"predictor":{"volumes":[{"name":"m","image":{"reference":"r.local/models/ranker:v1"}}]}}}`, []string{"r.local/models/ranker:v1"}},
		// CNCF ModelPack artifacts as image volumes of a plain pod template.
		{"StatefulSet", `{"spec":{"template":{"spec":{"volumes":[{"name":"w","image":{"reference":"r.local/modelpack/llama@sha256:` + sha + `","pullPolicy":"IfNotPresent"}}],"containers":[{"name":"c","env":[{"name":"STORAGE_URI","value":"gs://b/m"}]}]}}}}`,
			[]string{"gs://b/m", "llama@sha256:" + sha}},
	} {
		var obj map[string]any
		json.Unmarshal([]byte(c.obj), &obj)
		var got []string
		for _, r := range FindRefs(c.kind, obj) {
			got = append(got, r.String())
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s: %v, want %v", c.kind, got, c.want)
		}
	}
}

// FuzzFindRefs: any object of any kind yields references or none, never a panic.
func FuzzFindRefs(f *testing.F) {
	f.Add("Pod", []byte(`{"metadata":{"annotations":{"modelgate.dev/model":"m@sha256:`+strings.Repeat("0", 64)+`"}},"spec":{"volumes":[{"image":{"reference":"r/m@sha256:x"}}]}}`))
	f.Add("InferenceService", []byte(`{"spec":{"predictor":{"model":{"storageUri":"oci://r/m"}}}}`))
	f.Add("CronJob", []byte(`{"spec":{"jobTemplate":[]}}`))
	f.Fuzz(func(t *testing.T, kind string, raw []byte) {
		var obj map[string]any
		if json.Unmarshal(raw, &obj) != nil {
			return
		}
		for _, k := range append(Kinds, kind) {
			for _, r := range FindRefs(k, obj) {
				if r.Pinned() && len(r.SHA256) != 64 {
					t.Fatalf("a pinned reference with digest %q", r.SHA256)
				}
			}
		}
	})
}
