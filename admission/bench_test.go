package admission_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/modelgate/modelgate/admission"
	"github.com/modelgate/modelgate/bundles"
	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/digest"
	"github.com/modelgate/modelgate/facts"
	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/tlog"
	"github.com/modelgate/modelgate/vsa"
)

// setup makes a store whose ledger admits fraud-scorer@sha256:00…01 in
// production (through staging), and a validator over it.
func setup(b *testing.B) *admission.Validator {
	ctx := context.Background()
	gate := testkit.FixedParty("gate", "gate")
	lk := testkit.NewLogKey("ledger.bench.example/admission")
	dir := filepath.Join(b.TempDir(), "tlog")
	if err := lk.Init(dir); err != nil {
		b.Fatal(err)
	}
	trust, err := facts.NewTrust([]bundles.Signer{gate.TrustEntry(), lk.TrustEntry()})
	if err != nil {
		b.Fatal(err)
	}
	spec, _ := tlog.ParseSpec("dir:" + dir)
	app, err := tlog.OpenAppender(ctx, spec, lk.Signer, tlog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close(ctx)
	bundle, _ := bundles.Load("")
	view, err := bundle.View()
	if err != nil {
		b.Fatal(err)
	}
	writer := &vsa.Ledger{Appender: app, Trust: trust, View: view}
	sha := fmt.Sprintf("%064x", 1)
	for _, env := range []string{"staging", "production"} {
		st, _ := vsa.Statement("fraud-scorer", sha, env, vsa.Passed, []string{vsa.VerifiedLevel(env, "high")},
			decision.Policy{URI: "p", Digest: "sha256:" + strings.Repeat("0", 64)}, nil, vsa.Entry{Kind: vsa.KindDecision, Tier: "high"}, time.Now().Add(-time.Hour))
		if _, err := writer.Append(ctx, gate.SignStatement(st)); err != nil {
			b.Fatal(err)
		}
	}
	f := &vsa.Follower{Spec: spec, Reader: &vsa.Reader{Trust: trust}, MaxStaleness: time.Minute}
	if err := f.Update(ctx); err != nil {
		b.Fatal(err)
	}
	return &admission.Validator{Ledger: &vsa.Ledger{Source: f, Trust: trust, View: view}, View: view, Cache: admission.NewCache(10000), TTL: 30 * time.Second,
		StoreTimeout: 2 * time.Second, Metrics: admission.NewMetrics(), Now: time.Now}
}

var podReview = func() []byte {
	pod := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p", "annotations": map[string]any{admission.Annotation: "fraud-scorer@sha256:" + fmt.Sprintf("%064x", 1)}},
		"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "i"}}}}
	out, _ := json.Marshal(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": map[string]any{
		"uid": "u", "kind": map[string]any{"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE", "namespace": "models", "object": pod}})
	return out
}()

// BenchmarkReviewWarm sends reviews over loopback HTTPS with keep-alive
// from 16 clients to a warm cache, and reports reviews per second and the
// server-side p99 from the latency histogram.
func BenchmarkReviewWarm(b *testing.B) {
	v := setup(b)
	dir := b.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	kder, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(filepath.Join(dir, "c"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(filepath.Join(dir, "k"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	srv, err := admission.NewServer(v, filepath.Join(dir, "c"), filepath.Join(dir, "k"))
	if err != nil {
		b.Fatal(err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx, l)
	pool := x509.NewCertPool()
	cert, _ := x509.ParseCertificate(der)
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 32}}
	url := "https://" + l.Addr().String() + "/validate/production"
	post := func() {
		resp, err := client.Post(url, "application/json", bytes.NewReader(podReview))
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(body, []byte(`"allowed":true`)) {
			b.Fatalf("%s", body)
		}
	}
	for i := 0; i < 50; i++ {
		post() // warm the cache and the connections
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan struct{}, b.N)
	for i := 0; i < b.N; i++ {
		next <- struct{}{}
	}
	close(next)
	for c := 0; c < 16; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				post()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "reviews/s")
	var m dto.Metric
	v.Metrics.Latency.Write(&m)
	h := m.GetHistogram()
	total := h.GetSampleCount()
	for _, bucket := range h.GetBucket() {
		if float64(bucket.GetCumulativeCount()) >= 0.99*float64(total) {
			b.ReportMetric(bucket.GetUpperBound()*1000, "p99-le-ms")
			break
		}
	}
}

// BenchmarkReviewMiss judges a model with an empty cache each time: the
// ledger's rule over the state followed from the log, with no I/O.
func BenchmarkReviewMiss(b *testing.B) {
	for _, name := range []string{"followed"} {
		b.Run(name, func(b *testing.B) {
			v := setup(b)
			sha := fmt.Sprintf("%064x", 1)
			ref := admission.Ref{Subject: digest.Subject{Name: "fraud-scorer", SHA256: sha}}
			var times []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v.Cache = admission.NewCache(10)
				start := time.Now()
				if verdict := v.Judge(context.Background(), "production", ref); !verdict.Allowed {
					b.Fatal(verdict.Message)
				}
				times = append(times, time.Since(start))
			}
			b.StopTimer()
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			b.ReportMetric(float64(times[len(times)/2])/1e6, "p50-ms")
			b.ReportMetric(float64(times[len(times)*99/100])/1e6, "p99-ms")
		})
	}
}
