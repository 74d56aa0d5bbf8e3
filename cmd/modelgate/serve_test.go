package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/tlog"
	"github.com/modelgate/modelgate/vsa"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns a
// pool that trusts it.
func selfSigned(t testing.TB, dir, name string) (string, string, *x509.CertPool) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile+".tmp", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile+".tmp", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	os.Rename(keyFile+".tmp", keyFile)
	os.Rename(certFile+".tmp", certFile)
	pool := x509.NewCertPool()
	cert, _ := x509.ParseCertificate(der)
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// webhook is modelgate serve running as its own process on loopback.
// lockedBuffer is a process's stderr that a test may read while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type webhook struct {
	log    *lockedBuffer // serve's stderr: the audit log
	addr   string
	client *http.Client
	cmd    *exec.Cmd
}

// logUntil returns serve's log once ok holds of it, or after ten seconds:
// a line serve has written may still be on its way through the pipe.
func (w *webhook) logUntil(ok func(log string) bool) string {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if log := w.log.String(); ok(log) {
			return log
		}
	}
	return w.log.String()
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startWebhook(t testing.TB, pool *x509.CertPool, args ...string) *webhook {
	return startWebhookEnv(t, pool, nil, args...)
}

// startWebhookEnv starts serve with more environment variables.
func startWebhookEnv(t testing.TB, pool *x509.CertPool, env []string, args ...string) *webhook {
	addr := freeAddr(t)
	cmd := process(append([]string{"serve", "--listen", addr}, args...)...)
	cmd.Env = append(cmd.Env, env...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	w := &webhook{addr: addr, cmd: cmd, log: stderr, client: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}, MaxIdleConnsPerHost: 64}}}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := w.client.Get("https://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return w
			}
		}
	}
	t.Fatalf("serve did not become ready: %s", stderr.String())
	return nil
}

func tlsConfig(pool *x509.CertPool) *tls.Config {
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// review is a real AdmissionReview v1 as the API server sends it.
func review(uid, kind, operation string, object, old any) []byte {
	group, version := "", "v1"
	switch kind {
	case "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet":
		group = "apps"
	case "Job", "CronJob":
		group = "batch"
	case "InferenceService":
		group, version = "serving.kserve.io", "v1beta1"
	}
	req := map[string]any{
		"uid": uid, "kind": map[string]any{"group": group, "version": version, "kind": kind},
		"resource":  map[string]any{"group": group, "version": version, "resource": strings.ToLower(kind) + "s"},
		"namespace": "models", "operation": operation, "userInfo": map[string]any{"username": "ci"},
		"object": object, "dryRun": false,
	}
	if old != nil {
		req["oldObject"] = old
	}
	out, _ := json.Marshal(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req})
	return out
}

type reviewAnswer struct {
	APIVersion string
	Kind       string
	Response   struct {
		UID     string
		Allowed bool
		Status  struct {
			Code    int
			Message string
		}
		Warnings []string
	}
}

func (w *webhook) send(t testing.TB, env string, body []byte) (int, reviewAnswer) {
	resp, err := w.client.Post("https://"+w.addr+"/validate/"+env, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var a reviewAnswer
	json.Unmarshal(raw, &a)
	return resp.StatusCode, a
}

// podWith makes a Pod object carrying a model reference in one of the ways
// the webhook reads.
func objectOf(kind string, annotation string, volumeRef string, storageURI string) map[string]any {
	meta := map[string]any{"name": "m", "namespace": "models"}
	tmplMeta := map[string]any{"labels": map[string]any{"app": "m"}}
	if annotation != "" {
		tmplMeta["annotations"] = map[string]any{"modelgate.dev/model": annotation}
	}
	podSpec := map[string]any{"containers": []any{map[string]any{"name": "server", "image": "registry.local/server:1"}}}
	if volumeRef != "" {
		podSpec["volumes"] = []any{map[string]any{"name": "model", "image": map[string]any{"reference": volumeRef}}}
	}
	tmpl := map[string]any{"metadata": tmplMeta, "spec": podSpec}
	switch kind {
	case "Pod":
		if annotation != "" {
			meta["annotations"] = tmplMeta["annotations"]
		}
		return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": podSpec}
	case "CronJob":
		return map[string]any{"apiVersion": "batch/v1", "kind": kind, "metadata": meta, "spec": map[string]any{"schedule": "0 * * * *",
			"jobTemplate": map[string]any{"spec": map[string]any{"template": tmpl}}}}
	case "InferenceService":
		predictor := map[string]any{"model": map[string]any{"modelFormat": map[string]any{"name": "sklearn"}, "storageUri": storageURI}}
		if annotation != "" {
			meta["annotations"] = map[string]any{"modelgate.dev/model": annotation}
		}
		return map[string]any{"apiVersion": "serving.kserve.io/v1beta1", "kind": kind, "metadata": meta, "spec": map[string]any{"predictor": predictor}}
	}
	spec := map[string]any{"replicas": 2, "selector": map[string]any{"matchLabels": map[string]any{"app": "m"}}, "template": tmpl}
	return map[string]any{"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}
}

// record signs a ledger record straight into the store.
func record(t testing.TB, store recordAdder, signer *testkit.Party, kind, env, sha, tier string, at time.Time, extra func(*vsa.Entry)) {
	e := vsa.Entry{Kind: kind, Tier: tier}
	if extra != nil {
		extra(&e)
	}
	result, levels := vsa.Passed, []string{vsa.VerifiedLevel(env, tier)}
	if kind == vsa.KindRevocation {
		result, levels = vsa.Failed, nil
	}
	st, err := vsa.Statement("fraud-scorer", sha, env, result, levels, decision.Policy{URI: "p", Digest: "sha256:" + strings.Repeat("0", 64), Revision: "r"}, nil, e, at)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Add(context.Background(), signer.SignStatement(st)); err != nil {
		t.Fatal(err)
	}
}

func digestOf(n int) string { return fmt.Sprintf("%064x", n) }

// recordAdder is where a test writes ledger records: the log beside a store.
type recordAdder interface {
	Add(ctx context.Context, data []byte) (string, bool, error)
}

type logAdder struct{ app tlog.Appender }

func (l logAdder) Add(ctx context.Context, data []byte) (string, bool, error) {
	a, err := l.app.Append(ctx, data)
	if err != nil {
		return "", false, err
	}
	return fmt.Sprint(a.Index), !a.Duplicate, nil
}

// logEntries reads every entry of the log beside a dir: store, verified.
func logEntries(t testing.TB, p *testkit.Pipeline, storeDir string) [][]byte {
	t.Helper()
	spec, _ := tlog.ParseSpec("dir:" + filepath.Join(storeDir, "tlog"))
	o, err := tlog.Open(context.Background(), spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	v, _ := tlog.ParseVerifier(p.Ledger.VKey)
	es, err := tlog.NewTree(spec.String(), tlog.Verifiers{v.Name(): v}, nil).Update(context.Background(), o.Fetcher)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// ledgerOf appends to the log beside a dir: store with the pipeline's log
// key, whatever the records say: as anyone holding the key could.
func ledgerOf(t testing.TB, p *testkit.Pipeline, storeDir string) recordAdder {
	t.Helper()
	spec, _ := tlog.ParseSpec("dir:" + filepath.Join(storeDir, "tlog"))
	app, err := tlog.OpenAppender(context.Background(), spec, p.Ledger.Signer, tlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close(context.Background()) })
	return logAdder{app}
}

// The webhook over real TLS with real AdmissionReview JSON, for every kind
// it reads, allowed and denied for each reason with its exact message.
func TestAdmissionWebhook(t *testing.T) {
	r := newRun(t, "medium")
	testkit.RequireStaging(r.policy)
	dir := r.dir
	storeDir := filepath.Join(dir, "store")
	store := ledgerOf(t, r.p, storeDir)
	gate, alice, waiver := r.p.Gate, r.p.Alice, r.p.Waiver
	now := time.Now().UTC()
	promoted := func(n int, tier string, at time.Time) {
		record(t, store, gate, vsa.KindDecision, "staging", digestOf(n), tier, at, nil)
		record(t, store, gate, vsa.KindDecision, "production", digestOf(n), tier, at.Add(time.Minute), nil)
	}
	promoted(1, "medium", now.Add(-time.Hour))                                                           // admitted
	record(t, store, gate, vsa.KindDecision, "staging", digestOf(2), "medium", now.Add(-time.Hour), nil) // staging only
	promoted(3, "low", now.Add(-time.Hour))                                                              // decided at too low a tier
	promoted(4, "medium", now.Add(-200*24*time.Hour))                                                    // expired (medium admits 120 days)
	promoted(5, "medium", now.Add(-50*time.Minute))                                                      // then revoked
	record(t, store, waiver, vsa.KindRevocation, "production", digestOf(5), "", now.Add(-40*time.Minute), func(e *vsa.Entry) {
		e.Revocation = &vsa.RevocationEntry{Digest: "sha256:" + digestOf(5), Reason: "label leak"}
	})
	promoted(6, "medium", now.Add(-30*time.Minute)) // then rolled back from, to 1
	record(t, store, gate, vsa.KindRollback, "production", digestOf(1), "medium", now.Add(-20*time.Minute), func(e *vsa.Entry) {
		e.Rollback = &vsa.RollbackEntry{From: "sha256:" + digestOf(6), To: "sha256:" + digestOf(1), Reason: "drift", VSA: "x"}
	})
	record(t, store, alice, vsa.KindDecision, "staging", digestOf(7), "medium", now.Add(-time.Hour), nil) // signed by another key
	record(t, store, alice, vsa.KindDecision, "production", digestOf(7), "medium", now.Add(-time.Hour), nil)
	promoted(8, "medium", now.Add(-(120*24-48)*time.Hour)) // expires in two days: allowed with a warning

	certFile, keyFile, pool := selfSigned(t, dir, "serving")
	gatePub := filepath.Join(dir, "gate.pub")
	os.WriteFile(gatePub, gate.PubPEM, 0o644)
	w := startWebhook(t, pool, "--tls-cert", certFile, "--tls-key", keyFile, "--gate-key", gatePub, "--policy", r.policy, "--store", "dir:"+storeDir)

	ref := func(n int) string { return "fraud-scorer@sha256:" + digestOf(n) }
	verifyHint := func(n int) string {
		return "'modelgate verify --subject " + ref(n) + " --env production --vsa-key GATE_KEY'"
	}
	denied := map[string]struct {
		n    int
		want string
	}{
		"not promoted":     {2, "modelgate: " + ref(2) + " has no PASSED decision in production signed by a gate key; promote it with " + verifyHint(2)},
		"tier too low":     {3, "modelgate: " + ref(3) + " was decided at tier low in production, but fraud-scorer is a medium-tier model; decide it again with " + verifyHint(3)},
		"expired":          {4, "modelgate: the PASSED decision of " + ref(4) + " in production ("},
		"revoked":          {5, "modelgate: " + ref(5) + " was revoked in production at "},
		"rolled back from": {6, "modelgate: " + ref(6) + " was rolled back from in production at "},
		"another key":      {7, "modelgate: " + ref(7) + " has no PASSED decision in production signed by a gate key"},
	}
	uid := 0
	for _, kind := range []string{"Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "InferenceService"} {
		obj := func(n int) map[string]any {
			if kind == "InferenceService" {
				return objectOf(kind, "", "", "oci://registry.local/models/fraud-scorer@sha256:"+digestOf(n))
			}
			if kind == "Pod" || kind == "Job" {
				return objectOf(kind, "", "registry.local/models/fraud-scorer@sha256:"+digestOf(n), "")
			}
			return objectOf(kind, ref(n), "", "")
		}
		uid++
		code, a := w.send(t, "production", review(fmt.Sprint(uid), kind, "CREATE", obj(1), nil))
		if code != 200 || !a.Response.Allowed || a.Response.UID != fmt.Sprint(uid) || a.APIVersion != "admission.k8s.io/v1" {
			t.Fatalf("%s with a promoted model: %d %+v", kind, code, a)
		}
		for name, c := range denied {
			uid++
			_, a := w.send(t, "production", review(fmt.Sprint(uid), kind, "CREATE", obj(c.n), nil))
			if a.Response.Allowed || a.Response.Status.Code != 403 || !strings.HasPrefix(a.Response.Status.Message, c.want) {
				t.Errorf("%s, %s: allowed %v, %q\nwant %q", kind, name, a.Response.Allowed, a.Response.Status.Message, c.want)
			}
		}
	}
	// Wrong environment: promoted to production, asked for staging's
	// neighbour that nobody promoted it to.
	_, a := w.send(t, "staging", review("e1", "Pod", "CREATE", objectOf("Pod", ref(6), "", ""), nil))
	if !a.Response.Allowed {
		t.Fatalf("6 passed staging: %+v", a.Response)
	}
	_, a = w.send(t, "staging", review("e2", "Pod", "CREATE", objectOf("Pod", ref(9), "", ""), nil))
	if a.Response.Allowed || !strings.HasPrefix(a.Response.Status.Message, "modelgate: "+ref(9)+" has no PASSED decision in staging") {
		t.Fatalf("never promoted: %+v", a.Response)
	}
	_, a = w.send(t, "qa", review("e3", "Pod", "CREATE", objectOf("Pod", ref(1), "", ""), nil))
	if a.Response.Allowed || !strings.HasPrefix(a.Response.Status.Message, `modelgate: environment "qa" is not declared by the policy bundle`) {
		t.Fatalf("undeclared environment: %+v", a.Response)
	}
	if _, a = w.send(t, "qa", review("e4", "Pod", "DELETE", nil, objectOf("Pod", ref(1), "", ""))); !a.Response.Allowed {
		t.Fatalf("a DELETE under an undeclared environment: %+v", a.Response)
	}
	// Unpinned references, each way.
	for _, obj := range []map[string]any{
		objectOf("Pod", "fraud-scorer:latest", "", ""),
		objectOf("Pod", "", "registry.local/models/fraud-scorer:v2", ""),
		objectOf("InferenceService", "", "", "s3://bucket/models/fraud-scorer"),
	} {
		_, a := w.send(t, "production", review("u", obj["kind"].(string), "CREATE", obj, nil))
		if a.Response.Allowed || !strings.Contains(a.Response.Status.Message, "carries no digest: pin the model by digest") {
			t.Fatalf("unpinned: %+v", a.Response)
		}
	}
	// A warning for what is close to expiry; at most 120 characters.
	_, a = w.send(t, "production", review("w", "Pod", "CREATE", objectOf("Pod", ref(8), "", ""), nil))
	if !a.Response.Allowed || len(a.Response.Warnings) != 1 || len(a.Response.Warnings[0]) > 120 || !strings.Contains(a.Response.Warnings[0], "expires in 4") {
		t.Fatalf("close to expiry: %+v", a.Response)
	}
	// No model, DELETE, and an UPDATE that brings no new model are allowed.
	plain := objectOf("Deployment", "", "", "")
	for _, c := range []struct {
		op       string
		obj, old map[string]any
	}{{"CREATE", plain, nil}, {"DELETE", objectOf("Deployment", ref(2), "", ""), nil}, {"UPDATE", objectOf("Deployment", ref(2), "", ""), objectOf("Deployment", ref(2), "", "")}} {
		_, a := w.send(t, "production", review("o", "Deployment", c.op, c.obj, c.old))
		if !a.Response.Allowed {
			t.Fatalf("%s: %+v", c.op, a.Response)
		}
	}
	_, a = w.send(t, "production", review("o2", "Deployment", "UPDATE", objectOf("Deployment", ref(2), "", ""), objectOf("Deployment", ref(1), "", "")))
	if a.Response.Allowed {
		t.Fatal("an update to a new, unpromoted model was allowed")
	}
	// A body that is not an AdmissionReview is a 400; one over 1 MiB too.
	for _, body := range [][]byte{[]byte(`{"kind":"Pod"}`), []byte("not json"), bytes.Repeat([]byte("a"), 2<<20)} {
		if code, _ := w.send(t, "production", body); code != 400 {
			t.Fatalf("malformed body: %d", code)
		}
	}
	// The metrics say what happened.
	resp, err := w.client.Get("https://" + w.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`modelgate_admission_decisions_total{reason="revoked",result="denied"} 8`, `modelgate_admission_cache_total{result="hit"}`, "modelgate_admission_review_seconds_bucket"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// The certificate is rotated without a restart.
	_, _, pool2 := selfSigned(t, dir, "serving")
	time.Sleep(1100 * time.Millisecond)
	w.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool2, ServerName: "127.0.0.1"}}}
	if code, a := w.send(t, "production", review("rot", "Pod", "CREATE", objectOf("Pod", ref(1), "", ""), nil)); code != 200 || !a.Response.Allowed {
		t.Fatalf("after rotation: %d %+v", code, a.Response)
	}
}

// A ledger server that stops answering never makes the API server wait:
// reviews are answered at once from the state the replica followed, until
// it is older than --max-staleness; then every review is denied, saying
// why, and /readyz takes the replica out of service.
func TestAdmissionHangingLedger(t *testing.T) {
	r := newRun(t, "medium")
	storeDir := filepath.Join(r.dir, "store")
	store := ledgerOf(t, r.p, storeDir)
	for _, env := range []string{"staging", "production"} {
		record(t, store, r.p.Gate, vsa.KindDecision, env, digestOf(1), "medium", time.Now().Add(-time.Hour), nil)
	}
	var hang atomic.Bool
	stop := make(chan struct{})
	files := http.FileServer(http.Dir(filepath.Join(storeDir, "tlog")))
	certFile, keyFile, pool := selfSigned(t, r.dir, "ledger")
	ledgerSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if hang.Load() {
			<-stop
			return
		}
		files.ServeHTTP(w, req)
	}))
	cert, _ := tls.LoadX509KeyPair(certFile, keyFile)
	ledgerSrv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	ledgerSrv.StartTLS()
	// Release the hung requests before closing (Close waits for them).
	defer func() { close(stop); ledgerSrv.Close() }()
	hookCert, hookKey, hookPool := selfSigned(t, r.dir, "serving")
	_ = pool
	gatePub := filepath.Join(r.dir, "gate.pub")
	os.WriteFile(gatePub, r.p.Gate.PubPEM, 0o644)
	w := startWebhookEnv(t, hookPool, []string{"SSL_CERT_FILE=" + certFile}, "--tls-cert", hookCert, "--tls-key", hookKey, "--gate-key", gatePub, "--policy", r.policy,
		"--ledger", ledgerSrv.URL+"/", "--ledger-poll", "100ms", "--max-staleness", "2s")
	ask := func(uid string) (bool, string, time.Duration) {
		start := time.Now()
		_, a := w.send(t, "production", review(uid, "Pod", "CREATE", objectOf("Pod", "fraud-scorer@sha256:"+digestOf(1), "", ""), nil))
		return a.Response.Allowed, a.Response.Status.Message, time.Since(start)
	}
	if ok, msg, _ := ask("before"); !ok {
		t.Fatalf("before the hang: %s", msg)
	}
	hang.Store(true)
	hung := time.Now()
	if ok, msg, took := ask("hung"); !ok || took > time.Second {
		t.Fatalf("within --max-staleness: allowed %v in %s: %s", ok, took, msg)
	}
	waitFor(t, "a deny once the state is older than --max-staleness", 5*time.Second, func() bool {
		ok, msg, took := ask("stale")
		if took > time.Second {
			t.Fatalf("a review waited %s on the ledger", took)
		}
		return !ok && strings.Contains(msg, "modelgate: the ledger "+ledgerSrv.URL+"/ was last read ") && strings.Contains(msg, "over --max-staleness 2s")
	})
	if time.Since(hung) < 1800*time.Millisecond {
		t.Fatalf("denied %s after the hang", time.Since(hung))
	}
	// The replica is taken out of service while its state is stale.
	resp, err := w.client.Get("https://" + w.addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.HasPrefix(string(body), "not ready: the ledger "+ledgerSrv.URL+"/ was last read ") {
		t.Fatalf("/readyz: %d %s", resp.StatusCode, body)
	}
}
