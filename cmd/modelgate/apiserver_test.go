package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/vsa"
)

type pki struct {
	dir     string
	ca      *x509.Certificate
	caKey   *ecdsa.PrivateKey
	caFile  string
	caBytes []byte
}

func newPKI(t *testing.T, dir string) *pki {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "modelgate test CA"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	p := &pki{dir: dir, ca: ca, caKey: key, caFile: filepath.Join(dir, "ca.crt"), caBytes: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	os.WriteFile(p.caFile, p.caBytes, 0o644)
	return p
}

// leaf issues a serving certificate for 127.0.0.1 signed by the CA.
func (p *pki) leaf(t *testing.T, name string) (string, string) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	crt, k := filepath.Join(p.dir, name+".crt"), filepath.Join(p.dir, name+".key")
	os.WriteFile(crt, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(k, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return crt, k
}

// daemon starts a process that the test stops when it ends.
func daemon(t *testing.T, log string, name string, args ...string) *exec.Cmd {
	f, _ := os.Create(log)
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); f.Close() })
	return cmd
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("%s: not within %s", what, timeout)
}

// A real kube-apiserver (with etcd and the deployment and replicaset
// controllers) calls 'modelgate serve' through the ValidatingWebhookConfiguration
// of deploy/: a Pod with a promoted model is created, one without is
// refused with modelgate's message, a Deployment's pods are refused and its
// ReplicaSet says why, and with the webhook stopped a namespace without the
// environment label still works.
func TestRealAPIServer(t *testing.T) {
	apiserver, kcm := testkit.Tool(t, "kube-apiserver"), testkit.Tool(t, "kube-controller-manager")
	kubectlBin, etcd := testkit.Tool(t, "kubectl"), testkit.Tool(t, "etcd")
	dir := t.TempDir()
	p := newPKI(t, dir)

	// etcd on loopback.
	etcdAddr, etcdPeer := freeAddr(t), freeAddr(t)
	daemon(t, filepath.Join(dir, "etcd.log"), etcd, "--name", "mg", "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", "http://"+etcdAddr, "--advertise-client-urls", "http://"+etcdAddr,
		"--listen-peer-urls", "http://"+etcdPeer, "--initial-advertise-peer-urls", "http://"+etcdPeer,
		"--initial-cluster", "mg=http://"+etcdPeer)
	waitFor(t, "etcd", 20*time.Second, func() bool {
		resp, err := http.Get("http://" + etcdAddr + "/health")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})

	// kube-apiserver.
	apiCrt, apiKey := p.leaf(t, "apiserver")
	sa, _ := rsa.GenerateKey(rand.Reader, 2048)
	saKey, saPub := filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	os.WriteFile(saKey, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(sa)}), 0o600)
	pubDER, _ := x509.MarshalPKIXPublicKey(&sa.PublicKey)
	os.WriteFile(saPub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
	tokens := filepath.Join(dir, "tokens.csv")
	os.WriteFile(tokens, []byte("admin-token,admin,1,system:masters\n"), 0o600)
	apiAddr := freeAddr(t)
	_, apiPort, _ := net.SplitHostPort(apiAddr)
	daemon(t, filepath.Join(dir, "apiserver.log"), apiserver,
		"--etcd-servers=http://"+etcdAddr, "--bind-address=127.0.0.1", "--secure-port="+apiPort, "--advertise-address=127.0.0.1",
		"--tls-cert-file="+apiCrt, "--tls-private-key-file="+apiKey, "--token-auth-file="+tokens, "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local", "--service-account-key-file="+saPub,
		"--service-account-signing-key-file="+saKey, "--service-cluster-ip-range=10.0.0.0/24", "--endpoint-reconciler-type=none",
		"--enable-admission-plugins=NamespaceLifecycle,MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
		"--disable-admission-plugins=ServiceAccount")
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	waitFor(t, "kube-apiserver /readyz", 60*time.Second, func() bool {
		req, _ := http.NewRequest("GET", "https://"+apiAddr+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer admin-token")
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	kubeconfig := filepath.Join(dir, "kubeconfig")
	os.WriteFile(kubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "https://%s", certificate-authority-data: %s}}]
users: [{name: admin, user: {token: admin-token}}]
contexts: [{name: local, context: {cluster: local, user: admin}}]
current-context: local
`, apiAddr, base64.StdEncoding.EncodeToString(p.caBytes))), 0o600)
	kubectl := func(stdin string, args ...string) (string, error) {
		cmd := exec.Command(kubectlBin, append([]string{"--kubeconfig", kubeconfig}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	daemon(t, filepath.Join(dir, "kcm.log"), kcm, "--kubeconfig="+kubeconfig, "--controllers=deployment-controller,replicaset-controller",
		"--leader-elect=false", "--secure-port=0")

	// modelgate serve, over a ledger that promoted one model to production.
	r := newRun(t, "medium")
	testkit.RequireStaging(r.policy)
	store := ledgerOf(t, r.p, filepath.Join(r.dir, "store"))
	for _, env := range []string{"staging", "production"} {
		record(t, store, r.p.Gate, vsa.KindDecision, env, digestOf(1), "medium", time.Now().Add(-time.Hour), nil)
	}
	gatePub := filepath.Join(r.dir, "gate.pub")
	os.WriteFile(gatePub, r.p.Gate.PubPEM, 0o644)
	hookCrt, hookKey := p.leaf(t, "modelgate")
	hookAddr := freeAddr(t)
	serve := process("serve", "--listen", hookAddr, "--tls-cert", hookCrt, "--tls-key", hookKey, "--gate-key", gatePub,
		"--policy", r.policy, "--store", "dir:"+filepath.Join(r.dir, "store"), "--cache-ttl", "1s")
	var serveLog bytes.Buffer
	serve.Stderr = &serveLog
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { serve.Process.Kill(); serve.Wait() }()
	waitFor(t, "modelgate serve /readyz", 15*time.Second, func() bool {
		resp, err := client.Get("https://" + hookAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})

	// The webhook configuration of deploy/, pointed at this process.
	raw, _ := os.ReadFile(filepath.Join(testkit.RepoRoot(), "deploy", "base", "webhook.yaml"))
	cfg := string(raw)
	for _, env := range []string{"staging", "production"} {
		cfg = strings.Replace(cfg, "      service: {name: modelgate, namespace: modelgate-system, path: /validate/"+env+", port: 443}",
			fmt.Sprintf("      url: https://%s/validate/%s\n      caBundle: %s", hookAddr, env, base64.StdEncoding.EncodeToString(p.caBytes)), 1)
	}
	if out, err := kubectl(cfg, "apply", "-f", "-"); err != nil {
		t.Fatalf("apply the webhook: %v\n%s", err, out)
	}
	for _, ns := range []string{"models", "scratch"} {
		if out, err := kubectl("", "create", "namespace", ns); err != nil {
			t.Fatal(out)
		}
	}
	kubectl("", "label", "namespace", "models", "modelgate.dev/environment=production")
	pod := func(name, ns, model string) string {
		return fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"namespace":%q,"annotations":{"modelgate.dev/model":%q}},
"spec":{"containers":[{"name":"c","image":"registry.local/server:1"}]}}`, name, ns, model)
	}
	promoted, unpromoted := "fraud-scorer@sha256:"+digestOf(1), "fraud-scorer@sha256:"+digestOf(2)
	// The configuration reaches the admission plugin through an informer: wait for it.
	waitFor(t, "the webhook to take effect", 30*time.Second, func() bool {
		_, err := kubectl(pod("probe", "models", unpromoted), "create", "--dry-run=server", "-f", "-")
		return err != nil
	})

	if out, err := kubectl(pod("good", "models", promoted), "create", "-f", "-"); err != nil {
		t.Fatalf("a promoted model was refused: %s\n%s", out, serveLog.String())
	}
	out, err := kubectl(pod("bad", "models", unpromoted), "create", "-f", "-")
	want := `admission webhook "production.modelgate.dev" denied the request: modelgate: ` + unpromoted + " has no PASSED decision in production signed by a gate key"
	if err == nil || !strings.Contains(out, want) {
		t.Fatalf("an unpromoted model: %v\n%s", err, out)
	}
	deployment := fmt.Sprintf(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"bad","namespace":"models"},
"spec":{"replicas":2,"selector":{"matchLabels":{"app":"bad"}},"template":{"metadata":{"labels":{"app":"bad"},"annotations":{"modelgate.dev/model":%q}},
"spec":{"containers":[{"name":"c","image":"registry.local/server:1"}]}}}}`, unpromoted)
	// The Deployment itself is refused; its pods would be too.
	if out, err := kubectl(deployment, "create", "-f", "-"); err == nil || !strings.Contains(out, "denied the request: modelgate: ") {
		t.Fatalf("a Deployment of an unpromoted model: %v\n%s", err, out)
	}
	// A Deployment created before its model lost its standing: its
	// ReplicaSet cannot create pods, and says why.
	if out, err := kubectl(strings.Replace(deployment, unpromoted, promoted, 1), "create", "-f", "-"); err != nil {
		t.Fatalf("%s", out)
	}
	record(t, store, r.p.Waiver, vsa.KindRevocation, "production", digestOf(1), "", time.Now(), func(e *vsa.Entry) {
		e.Revocation = &vsa.RevocationEntry{Digest: "sha256:" + digestOf(1), Reason: "label leak"}
	})
	kubectl("", "-n", "models", "delete", "pod", "good")
	time.Sleep(1500 * time.Millisecond) // the webhook keeps a verdict at most --cache-ttl
	kubectl("", "-n", "models", "scale", "deployment", "bad", "--replicas=3")
	var condition string
	waitFor(t, "the ReplicaSet's ReplicaFailure condition", 60*time.Second, func() bool {
		condition, _ = kubectl("", "-n", "models", "get", "rs", "-l", "app=bad", "-o", `jsonpath={.items[0].status.conditions[?(@.type=="ReplicaFailure")].message}`)
		return strings.Contains(condition, "denied the request")
	})
	if !strings.Contains(condition, `admission webhook "production.modelgate.dev" denied the request: modelgate: `+promoted+" was revoked in production at ") {
		t.Fatalf("ReplicaFailure: %s", condition)
	}

	// The webhook stopped: a namespace without the label still works.
	serve.Process.Kill()
	serve.Wait()
	if out, err := kubectl(pod("free", "scratch", unpromoted), "create", "-f", "-"); err != nil {
		t.Fatalf("an unlabelled namespace with the webhook down: %s", out)
	}
	if out, err := kubectl(pod("down", "models", promoted), "create", "-f", "-"); err == nil {
		t.Fatalf("the webhook is down and failurePolicy is Fail, yet: %s", out)
	}
}
