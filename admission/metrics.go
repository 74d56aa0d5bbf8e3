package admission

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the webhook's Prometheus series, on a registry of their own.
type Metrics struct {
	Registry    *prometheus.Registry
	Requests    *prometheus.CounterVec
	Decisions   *prometheus.CounterVec
	Latency     prometheus.Histogram
	Cache       *prometheus.CounterVec
	StoreErrors prometheus.Counter
	Alerts      *prometheus.CounterVec
}

// NewMetrics registers the series.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modelgate_admission_requests_total", Help: "Admission reviews received, by environment, kind and operation.",
		}, []string{"environment", "kind", "operation"}),
		Decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modelgate_admission_decisions_total", Help: "Admission decisions, by result and reason.",
		}, []string{"result", "reason"}),
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "modelgate_admission_review_seconds", Help: "Time to answer one admission review, server side.",
			Buckets: []float64{.0001, .00025, .0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		Cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modelgate_admission_cache_total", Help: "Verdict cache lookups, by result (hit or miss).",
		}, []string{"result"}),
		StoreErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "modelgate_admission_store_errors_total", Help: "Ledger reads that failed or timed out (each a deny).",
		}),
		Alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modelgate_alerts_total", Help: "Alertmanager notifications received, by environment and outcome (rolled-back, resolved, repeat, outside-window, already-rolled-back, refused, error, unauthorised, …).",
		}, []string{"environment", "outcome"}),
	}
	m.Registry.MustRegister(m.Requests, m.Decisions, m.Latency, m.Cache, m.StoreErrors, m.Alerts,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
