package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/modelgate/modelgate/internal/testkit"
)

// The manifests render with kustomize into exactly the kinds the webhook
// needs, with the webhook configured to fail closed and never to call out
// for what it does not judge.
func TestDeployManifests(t *testing.T) {
	dir := filepath.Join(testkit.RepoRoot(), "deploy")
	var rendered []byte
	if k := testkit.FindTool("kubectl"); k != "" {
		out, err := exec.Command(k, "kustomize", dir).Output()
		if err != nil {
			t.Fatalf("kubectl kustomize deploy/: %v", err)
		}
		rendered = out
	} else {
		// Without kubectl, read the resources the kustomization lists.
		var k struct{ Resources []string }
		raw, _ := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
		yaml.Unmarshal(raw, &k)
		for _, r := range k.Resources {
			raw, err := os.ReadFile(filepath.Join(dir, r))
			if err != nil {
				t.Fatal(err)
			}
			rendered = append(append(rendered, raw...), []byte("\n---\n")...)
		}
	}
	var kinds []string
	var webhooks []map[string]any
	for _, doc := range bytes.Split(rendered, []byte("\n---\n")) {
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil || obj == nil {
			continue
		}
		kind, _ := obj["kind"].(string)
		kinds = append(kinds, kind)
		if kind == "ValidatingWebhookConfiguration" {
			for _, w := range obj["webhooks"].([]any) {
				webhooks = append(webhooks, w.(map[string]any))
			}
		}
		if kind == "Deployment" {
			spec := obj["spec"].(map[string]any)
			if spec["replicas"].(float64) != 2 {
				t.Error("the webhook runs 2 replicas")
			}
			// The pod serves exactly what the command line accepts: a signed
			// bundle from a registry, never an older revision.
			containers := spec["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)
			var args []string
			for _, a := range containers[0].(map[string]any)["args"].([]any) {
				args = append(args, a.(string))
			}
			for _, want := range []string{"serve", "--policy=oci://registry.example.com/policies/modelgate:stable", "--policy-key=/keys/policy.pub", "--min-revision=1.0.0", "--gate-key=/keys/gate.pub"} {
				if !slices.Contains(args, want) {
					t.Errorf("the webhook's args %v lack %s", args, want)
				}
			}
			flags := newServeCmd().Flags()
			for _, a := range args[1:] {
				name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
				if flags.Lookup(name) == nil {
					t.Errorf("serve has no flag --%s", name)
				}
			}
		}
	}
	sort.Strings(kinds)
	want := []string{"Certificate", "ConfigMap", "Deployment", "Issuer", "Namespace", "PodDisruptionBudget", "Service", "ServiceAccount", "ValidatingWebhookConfiguration"}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	if len(webhooks) != 2 {
		t.Fatalf("%d webhooks, want one per environment", len(webhooks))
	}
	for _, w := range webhooks {
		if w["failurePolicy"] != "Fail" || w["sideEffects"] != "None" || w["timeoutSeconds"].(float64) != 5 || w["matchConditions"] == nil {
			t.Errorf("webhook %v", w["name"])
		}
		var resources []string
		for _, r := range w["rules"].([]any) {
			for _, res := range r.(map[string]any)["resources"].([]any) {
				resources = append(resources, res.(string))
			}
		}
		sort.Strings(resources)
		if !slices.Equal(resources, []string{"cronjobs", "daemonsets", "deployments", "inferenceservices", "jobs", "pods", "replicasets", "statefulsets"}) {
			t.Errorf("rules %v", resources)
		}
	}
}

// The curl line of docs/platform-engineer.md, run as written against a
// real serve, with the example AdmissionReview: a real answer comes back.
func TestDocsCurlAdmissionReview(t *testing.T) {
	curl := testkit.Tool(t, "curl")
	root := testkit.RepoRoot()
	doc, _ := os.ReadFile(filepath.Join(root, "docs", "platform-engineer.md"))
	var line string
	for _, l := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(l, "curl ") {
			line = l
		}
	}
	if line == "" {
		t.Fatal("docs/platform-engineer.md shows no curl line")
	}
	r := newRun(t, "medium")
	dir := r.dir
	certFile, keyFile, pool := selfSigned(t, dir, "serving")
	gatePub := filepath.Join(dir, "gate.pub")
	os.WriteFile(gatePub, r.p.Gate.PubPEM, 0o644)
	w := startWebhook(t, pool, "--tls-cert", certFile, "--tls-key", keyFile, "--gate-key", gatePub, "--policy", r.policy, "--store", "dir:"+filepath.Join(dir, "store"))
	_, port, _ := strings.Cut(w.addr, ":")
	line = strings.ReplaceAll(line, "localhost:8443", "localhost:"+port)
	line = strings.ReplaceAll(line, "--cacert tls.crt", "--cacert "+certFile)
	cmd := exec.Command("bash", "-c", strings.Replace(line, "curl ", curl+" ", 1))
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	var a reviewAnswer
	if err := json.Unmarshal(out, &a); err != nil || a.Response.UID != "705ab4f5-6393-11e8-b7cc-42010a800002" || a.Response.Allowed ||
		!strings.HasPrefix(a.Response.Status.Message, "modelgate: fraud-scorer@sha256:"+digestOf(1)+" has no PASSED decision in production signed by a gate key") {
		t.Fatalf("the answer: %v %s", err, out)
	}
}
