// Package admission is modelgate's Kubernetes validating webhook: it finds
// the models a workload would serve, asks the promotion ledger whether each
// is admitted in the namespace's environment, and answers the API server —
// failing closed, quickly, from a cache of verified decisions. The
// validator, its cache, its metrics and its server are apart.
package admission

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/modelgate/modelgate/digest"
)

// Annotation names a pod's model: NAME@sha256:HEX.
const Annotation = "modelgate.dev/model"

// Ref is one model reference found in an object: the model's name in the
// ledger and its digest ("" when the reference is not pinned).
type Ref struct {
	digest.Subject
	Where string // where in the object it was found, for messages
	Raw   string // the reference as written
}

// Pinned reports whether the reference names a digest.
func (r Ref) Pinned() bool { return r.SHA256 != "" }

// String is NAME@sha256:HEX, or the raw reference when unpinned.
func (r Ref) String() string {
	if r.Pinned() {
		return r.Subject.String()
	}
	return r.Raw
}

// podSpecPaths says where each kind keeps its pod template.
var podSpecPaths = map[string][]string{
	"Pod":         nil,
	"Deployment":  {"spec", "template"},
	"ReplicaSet":  {"spec", "template"},
	"StatefulSet": {"spec", "template"},
	"DaemonSet":   {"spec", "template"},
	"Job":         {"spec", "template"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template"},
}

// Kinds lists the kinds the webhook reads.
var Kinds = []string{"Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "InferenceService"}

var ociDigestRef = regexp.MustCompile(`^([^@\s]+?)(?::[\w][\w.-]{0,127})?@sha256:([0-9a-f]{64})$`)

// FindRefs lists the model references in an object of a kind: the
// modelgate.dev/model annotation (on the object and its pod template),
// image volumes (volumes[].image.reference, as CNCF ModelPack artifacts and
// KServe's oci+native:// mount them), KServe storageUri fields, storage
// keys, and STORAGE_URI environment variables. A form that cannot carry a
// digest is returned unpinned, so it is denied, never passed as "no
// model". A reference to the same digest found twice is listed once.
func FindRefs(kind string, obj map[string]any) []Ref {
	var refs []Ref
	refs = append(refs, annotationRefs(obj, "metadata")...)
	if kind == "InferenceService" {
		spec, _ := obj["spec"].(map[string]any)
		for _, part := range []string{"predictor", "transformer", "explainer"} {
			walkModels(spec[part], "spec."+part, true, &refs)
		}
		return dedupe(refs)
	}
	path, ok := podSpecPaths[kind]
	if !ok {
		return dedupe(refs)
	}
	tmpl := any(obj)
	for _, k := range path {
		m, _ := tmpl.(map[string]any)
		tmpl = m[k]
	}
	t, _ := tmpl.(map[string]any)
	where := strings.Join(path, ".")
	if where != "" {
		refs = append(refs, annotationRefs(t, where+".metadata")...)
		where += "."
	}
	walkModels(t["spec"], where+"spec", false, &refs)
	return dedupe(refs)
}

func annotationRefs(obj map[string]any, where string) []Ref {
	meta, _ := obj["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	raw, ok := ann[Annotation].(string)
	if !ok {
		return nil
	}
	r := Ref{Where: where + ".annotations[" + Annotation + "]", Raw: raw}
	if s, err := digest.ParseRef(strings.TrimSpace(raw)); err == nil {
		r.Subject = s
	} else {
		r.Name, _, _ = strings.Cut(raw, "@")
	}
	return []Ref{r}
}

// ociRef reads REGISTRY/REPO[:TAG]@sha256:HEX; the model's name is the
// repository's last path element.
func ociRef(raw, where string) Ref {
	r := Ref{Where: where, Raw: raw}
	ref := raw
	for _, scheme := range []string{"oci+native://", "oci://"} {
		ref = strings.TrimPrefix(ref, scheme)
	}
	repo := ref
	if m := ociDigestRef.FindStringSubmatch(ref); m != nil {
		repo, r.SHA256 = m[1], m[2]
	} else if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		repo = ref[:i]
	}
	r.Name = repo[strings.LastIndex(repo, "/")+1:]
	return r
}

// walkModels finds the model references below a pod spec or a KServe
// component: image volumes anywhere, STORAGE_URI environment variables,
// and in KServe (kserve) storageUri fields and storage keys.
func walkModels(v any, where string, kserve bool, refs *[]Ref) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			at := where + "." + k
			switch val := x[k]; {
			case kserve && k == "storageUri":
				s, _ := val.(string)
				*refs = append(*refs, storageRef(s, at))
			case kserve && k == "storage" && val != nil:
				// A storage key and path name a secret's bucket: no digest.
				*refs = append(*refs, Ref{Where: at, Raw: fmt.Sprintf("storage %s", compact(val))})
			case k == "image":
				if img, ok := val.(map[string]any); ok {
					ref, _ := img["reference"].(string)
					*refs = append(*refs, ociRef(ref, at+".reference"))
				}
			case k == "env":
				envs, _ := val.([]any)
				for i, e := range envs {
					em, _ := e.(map[string]any)
					if em["name"] != "STORAGE_URI" {
						continue
					}
					where := fmt.Sprintf("%s[%d].value", at, i)
					if s, ok := em["value"].(string); ok {
						*refs = append(*refs, storageRef(s, where))
					} else { // valueFrom: read elsewhere, never pinned here
						*refs = append(*refs, Ref{Where: where, Raw: "STORAGE_URI from valueFrom"})
					}
				}
			default:
				walkModels(val, at, kserve, refs)
			}
		}
	case []any:
		for i, e := range x {
			walkModels(e, fmt.Sprintf("%s[%d]", where, i), kserve, refs)
		}
	}
}

// compact shows a storage spec in a message, bounded.
func compact(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

// storageRef reads a KServe storageUri: only oci:// and oci+native://
// references can be pinned to a digest; any other storage is unpinned.
func storageRef(raw, where string) Ref {
	if strings.HasPrefix(raw, "oci://") || strings.HasPrefix(raw, "oci+native://") {
		return ociRef(raw, where)
	}
	name := strings.TrimRight(raw, "/")
	return Ref{Subject: digest.Subject{Name: name[strings.LastIndex(name, "/")+1:]}, Where: where, Raw: raw}
}

// dedupe keeps one reference per digest (the annotation's name first) and
// every unpinned one.
func dedupe(refs []Ref) []Ref {
	var out []Ref
	seen := map[string]bool{}
	for _, r := range refs {
		if r.Pinned() {
			if seen[r.SHA256] {
				continue
			}
			seen[r.SHA256] = true
		}
		out = append(out, r)
	}
	return out
}
