package admission

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	admissionv1 "k8s.io/api/admission/v1"
)

// MaxBody bounds an admission review's body.
const MaxBody = 1 << 20

// Server serves the webhook over HTTPS: POST /validate/{environment},
// /healthz, /readyz and Prometheus /metrics.
type Server struct {
	Validator *Validator
	// Audit, when set, gets one line per review: uid, kind, namespace and
	// name, operation, environment, models, verdict, reason, latency.
	Audit *slog.Logger
	// Check, when set, is asked by /readyz whether the store can be read:
	// a pod whose store is gone, or whose registry forgot the repository,
	// would deny every model, so it is taken out of service instead.
	Check func(context.Context) error
	// LedgerAge, when set, says how old the ledger state answering reviews
	// is; every audit line carries it.
	LedgerAge func() time.Duration
	// Alerts, when set, receives Alertmanager webhooks at POST /alerts/{environment}.
	Alerts *AlertReceiver
	certs  *CertReloader
	ready  atomic.Bool
	http   *http.Server
}

// NewServer prepares the handlers; certFile and keyFile are re-read when
// they change (cert-manager rotates them).
func NewServer(v *Validator, certFile, keyFile string) (*Server, error) {
	certs, err := NewCertReloader(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	s := &Server{Validator: v, certs: certs}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /validate/{environment}", s.validate)
	mux.HandleFunc("POST /alerts/{environment}", func(w http.ResponseWriter, r *http.Request) {
		if s.Alerts == nil {
			http.Error(w, "modelgate: alerts are not received here: this server holds no rollback key", http.StatusNotFound)
			return
		}
		s.Alerts.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "not ready: the bundle and gate keys are not loaded", http.StatusServiceUnavailable)
			return
		}
		if s.Check != nil {
			ctx, cancel := context.WithTimeout(r.Context(), cmp.Or(v.StoreTimeout, 2*time.Second))
			defer cancel()
			if err := s.Check(ctx); err != nil {
				http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(v.Metrics.Registry, promhttp.HandlerOpts{}))
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.GetCertificate},
	}
	return s, nil
}

// Serve answers on the listener until ctx ends; it is ready from the start,
// since the validator was built from a loaded bundle and keys.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.ready.Store(true)
	go func() {
		<-ctx.Done()
		s.ready.Store(false)
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.http.Shutdown(shutdown)
	}()
	err := s.http.ServeTLS(l, "", "")
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() { s.Validator.Metrics.Latency.Observe(time.Since(start).Seconds()) }()
	env := r.PathValue("environment")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		http.Error(w, fmt.Sprintf("modelgate: the body is over %d bytes or unreadable: send an AdmissionReview", MaxBody), http.StatusBadRequest)
		return
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil || review.Request == nil || review.Request.UID == "" ||
		review.APIVersion != "admission.k8s.io/v1" || review.Kind != "AdmissionReview" {
		http.Error(w, "modelgate: the body is not an admission.k8s.io/v1 AdmissionReview with a request and a uid", http.StatusBadRequest)
		return
	}
	resp, outcome := s.Validator.Review(r.Context(), env, review.Request)
	if s.Audit != nil {
		req := review.Request
		msg := ""
		if resp.Result != nil {
			msg = resp.Result.Message
		}
		s.Audit.Info("review", "uid", string(req.UID), "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name,
			"operation", string(req.Operation), "environment", env, "models", outcome.Models, "allowed", resp.Allowed,
			"reason", outcome.Reason, "message", msg, "latency_ms", float64(time.Since(start).Microseconds())/1000, "ledger_age_s", s.ledgerAge())
	}
	out, err := json.Marshal(admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: resp})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

// CertReloader serves the certificate in a pair of files, re-reading them
// when either changes; a pair that fails to load keeps the last good one.
type CertReloader struct {
	certFile, keyFile string
	mu                sync.Mutex
	cert              *tls.Certificate
	stamp             string
	checked           time.Time
}

// NewCertReloader loads the pair once, refusing one that does not load.
func NewCertReloader(certFile, keyFile string) (*CertReloader, error) {
	c := &CertReloader{certFile: certFile, keyFile: keyFile}
	if err := c.reload(); err != nil {
		return nil, fmt.Errorf("TLS certificate and key: %w", err)
	}
	return c, nil
}

func (c *CertReloader) fileStamp() string {
	var b strings.Builder
	for _, f := range []string{c.certFile, c.keyFile} {
		if info, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "%d/%d/", info.ModTime().UnixNano(), info.Size())
		}
	}
	return b.String()
}

func (c *CertReloader) reload() error {
	stamp := c.fileStamp()
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return err
	}
	c.cert, c.stamp = &cert, stamp
	return nil
}

// GetCertificate is tls.Config's hook: it looks at the files at most once a
// second.
func (c *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) >= time.Second {
		c.checked = time.Now()
		if c.fileStamp() != c.stamp {
			c.reload() // on error, keep serving the last good pair
		}
	}
	return c.cert, nil
}

func (s *Server) ledgerAge() float64 {
	if s.LedgerAge == nil {
		return 0
	}
	return s.LedgerAge().Round(time.Millisecond).Seconds()
}
