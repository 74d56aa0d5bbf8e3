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
	// The followed ledger: how old its verified state is, how many entries
	// it holds, and how often a reading found the log rewritten.
	LedgerAge       prometheus.Gauge
	LedgerSize      prometheus.Gauge
	LedgerRewritten prometheus.Counter
	LedgerErrors    prometheus.Counter
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
			Name: "modelgate_alerts_total", Help: "Alertmanager notifications received, by environment and outcome (rolled-back, repeat, stale-alert, resolved, outside-window, already-rolled-back, wrong-environment, refused, error, unauthorised, …).",
		}, []string{"environment", "outcome"}),
		LedgerAge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "modelgate_ledger_age_seconds", Help: "Seconds since the followed ledger's checkpoint was last verified: how stale the state reviews are answered from is.",
		}),
		LedgerSize: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "modelgate_ledger_entries", Help: "Entries of the ledger's log under the checkpoint followed.",
		}),
		LedgerRewritten: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "modelgate_ledger_rewritten_total", Help: "Readings of the ledger's log that found it rewritten (a smaller or inconsistent checkpoint, entries or tiles that do not match): each a deny until the log is restored.",
		}),
		LedgerErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "modelgate_ledger_read_errors_total", Help: "Polls of the ledger's log that failed.",
		}),
	}
	m.Registry.MustRegister(m.Requests, m.Decisions, m.Latency, m.Cache, m.StoreErrors, m.Alerts, m.LedgerAge, m.LedgerSize, m.LedgerRewritten, m.LedgerErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
