package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/modelgate/modelgate/testkit"
)

// render renders a kustomization with kubectl (or, without it, reads the
// resources base/ lists, unpatched).
func render(t *testing.T, dir string) []map[string]any {
	t.Helper()
	var rendered []byte
	if k := testkit.FindTool("kubectl"); k != "" {
		out, err := exec.Command(k, "kustomize", dir).Output()
		if err != nil {
			t.Fatalf("kubectl kustomize %s: %v", dir, err)
		}
		rendered = out
	} else {
		base := filepath.Join(testkit.RepoRoot(), "deploy", "base")
		var k struct{ Resources []string }
		raw, _ := os.ReadFile(filepath.Join(base, "kustomization.yaml"))
		yaml.Unmarshal(raw, &k)
		for _, r := range k.Resources {
			raw, err := os.ReadFile(filepath.Join(base, r))
			if err != nil {
				t.Fatal(err)
			}
			rendered = append(append(rendered, raw...), []byte("\n---\n")...)
		}
	}
	var objs []map[string]any
	for _, doc := range bytes.Split(rendered, []byte("\n---\n")) {
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil || obj == nil {
			continue
		}
		objs = append(objs, obj)
	}
	return objs
}

func dig(obj any, path ...string) any {
	for _, p := range path {
		m, ok := obj.(map[string]any)
		if !ok {
			return nil
		}
		obj = m[p]
	}
	return obj
}

// The manifests render with kustomize into exactly the kinds the webhook
// and its ledger need: the webhook configured to fail closed and never to
// call out for what it does not judge, and what a platform team checks
// before adopting a fail-closed webhook — a priority class, spread across
// zones, a startup probe, a drain before stopping, Pod Security Admission,
// network policies, the image pinned by digest — on the ledger on a volume
// (deploy/) and on a shared MySQL (deploy/overlays/mysql).
func TestDeployManifests(t *testing.T) {
	for _, c := range []struct {
		dir            string
		ledgerReplicas float64
		ledgerArg      string
		kinds          string
	}{
		{"deploy", 1, "--ledger=dir:/ledger/tlog", "Certificate,Certificate,ConfigMap,Deployment,Deployment,Issuer,Namespace,NetworkPolicy,NetworkPolicy,PersistentVolumeClaim,PodDisruptionBudget,PriorityClass,Service,Service,ServiceAccount,ValidatingWebhookConfiguration"},
		{"deploy/overlays/mysql", 3, "--ledger=mysql://modelgate@mysql.db.svc:3306/ledger", "Certificate,Certificate,ConfigMap,Deployment,Deployment,Issuer,Namespace,NetworkPolicy,NetworkPolicy,PodDisruptionBudget,PriorityClass,Service,Service,ServiceAccount,ValidatingWebhookConfiguration"},
	} {
		if c.dir != "deploy" && testkit.FindTool("kubectl") == "" {
			continue // an overlay needs kustomize
		}
		objs := render(t, filepath.Join(testkit.RepoRoot(), c.dir))
		var kinds []string
		var webhooks []map[string]any
		for _, obj := range objs {
			kind, _ := obj["kind"].(string)
			kinds = append(kinds, kind)
			name, _ := dig(obj, "metadata", "name").(string)
			switch kind {
			case "ValidatingWebhookConfiguration":
				for _, w := range obj["webhooks"].([]any) {
					webhooks = append(webhooks, w.(map[string]any))
				}
			case "Namespace":
				if dig(obj, "metadata", "labels", "pod-security.kubernetes.io/enforce") != "restricted" {
					t.Errorf("%s: the namespace does not enforce the restricted Pod Security profile", c.dir)
				}
			case "Deployment":
				pod := dig(obj, "spec", "template", "spec").(map[string]any)
				container := pod["containers"].([]any)[0].(map[string]any)
				var args []string
				for _, a := range container["args"].([]any) {
					args = append(args, a.(string))
				}
				if pod["priorityClassName"] != "modelgate-critical" || dig(container, "startupProbe") == nil || dig(container, "lifecycle", "preStop") == nil {
					t.Errorf("%s: %s lacks a priority class, a startup probe or a preStop drain", c.dir, name)
				}
				if image, _ := container["image"].(string); testkit.FindTool("kubectl") != "" && !strings.Contains(image, "@sha256:") {
					t.Errorf("%s: %s's image %q is not pinned by digest", c.dir, name, image)
				}
				var cmd = newServeCmd()
				want := []string{"serve", "--policy=oci://registry.example.com/policies/modelgate:stable", "--policy-key=/keys/policy.pub", "--min-revision=1.0.0",
					"--gate-key=/keys/gate.pub", "--ledger=https://modelgate-ledger.modelgate-system.svc/", "--max-staleness=5m", "--state-dir=/state"}
				if name == "modelgate-ledger" {
					cmd = newLedgerServeCmd()
					want = []string{"ledger", "serve", c.ledgerArg, "--ledger-key=/ledger-key/ledger.key", "--policy-key=/keys/policy.pub", "--state-dir=/ledger/state"}
					if dig(obj, "spec", "replicas").(float64) != c.ledgerReplicas {
						t.Errorf("%s: %v ledger replicas, want %v", c.dir, dig(obj, "spec", "replicas"), c.ledgerReplicas)
					}
				} else {
					if dig(obj, "spec", "replicas").(float64) != 2 {
						t.Errorf("%s: the webhook runs 2 replicas", c.dir)
					}
					spread, _ := pod["topologySpreadConstraints"].([]any)
					if len(spread) == 0 || dig(spread[0], "topologyKey") != "topology.kubernetes.io/zone" {
						t.Errorf("%s: the webhook is not spread across zones", c.dir)
					}
					if g := pod["terminationGracePeriodSeconds"]; g == nil || g.(float64) < 20 {
						t.Errorf("%s: the webhook's grace period %v leaves no time to drain", c.dir, g)
					}
				}
				for _, w := range want {
					if !slices.Contains(args, w) && (testkit.FindTool("kubectl") != "" || !strings.Contains(w, "mysql")) {
						t.Errorf("%s: %s's args %v lack %s", c.dir, name, args, w)
					}
				}
				skip := 1
				if name == "modelgate-ledger" {
					skip = 2
				}
				for _, a := range args[skip:] {
					flag, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
					if cmd.Flags().Lookup(flag) == nil {
						t.Errorf("%s: %s has no flag --%s", c.dir, strings.Join(args[:skip], " "), flag)
					}
				}
			}
		}
		sort.Strings(kinds)
		if strings.Join(kinds, ",") != c.kinds {
			t.Fatalf("%s: kinds %v, want %v", c.dir, kinds, c.kinds)
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
}

// The curl line of docs/platform-engineer.md, run as written against a
// real serve, with the example AdmissionReview: a real answer comes back.
func TestDocsCurlAdmissionReview(t *testing.T) {
	curl := testkit.Tool(t, "curl")
	root := testkit.RepoRoot()
	doc, _ := os.ReadFile(filepath.Join(root, "docs", "platform-engineer.md"))
	var line, mkcert string
	for _, l := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(l, "curl ") {
			line = l
		}
		if strings.HasPrefix(l, "openssl req ") {
			mkcert = l
		}
	}
	if line == "" || mkcert == "" {
		t.Fatal("docs/platform-engineer.md shows no curl line, or no openssl line for the certificate")
	}
	r := newRun(t, "medium")
	dir := r.dir
	// The certificate as the page makes it.
	openssl := testkit.Tool(t, "openssl")
	gen := exec.Command("bash", "-c", strings.Replace(mkcert, "openssl ", openssl+" ", 1))
	gen.Dir = dir
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", mkcert, err, out)
	}
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	pem, _ := os.ReadFile(certFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
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
