package server

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the service's Prometheus metrics. Every label value comes
// from a fixed set: route patterns, HTTP status codes, operation names and
// outcome statuses. No path, subject, purpose or secret is ever a label.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	outcomes *prometheus.CounterVec
	conns    prometheus.Gauge
	handler  http.Handler

	// The children of the vectors, found once per label set: looking one
	// up by its label values hashes them and takes a lock every time.
	requestsBy sync.Map // requestKey → prometheus.Counter
	outcomesBy sync.Map // outcomeKey → prometheus.Counter
	durationBy sync.Map // route → prometheus.Observer
}

type requestKey struct {
	route  string
	status int
}

type outcomeKey struct{ op, status string }

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "secrets_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "secrets_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "secrets_verify_outcomes_total",
			Help: "Outcomes of verifications, by operation (keys.verify, tokens.verify, tokens.redeem, codes.verify) and status.",
		}, []string{"operation", "status"}),
		conns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "secrets_http_open_connections",
			Help: "HTTP connections open (by Serve; at most secrets serve --max-conns).",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.outcomes, m.conns} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m, nil
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	child(&m.requestsBy, requestKey{route, status}, func() prometheus.Counter {
		return m.requests.WithLabelValues(route, strconv.Itoa(status))
	}).Inc()
	child(&m.durationBy, route, func() prometheus.Observer { return m.duration.WithLabelValues(route) }).Observe(d.Seconds())
}

func (m *metrics) outcome(op, status string) {
	child(&m.outcomesBy, outcomeKey{op, status}, func() prometheus.Counter { return m.outcomes.WithLabelValues(op, status) }).Inc()
}

// child returns the metric stored in children under k, made by newChild
// the first time. Label sets are few and fixed (route patterns, status
// codes, operations, outcome statuses), so the maps stay small.
func child[K comparable, M any](children *sync.Map, k K, newChild func() M) M {
	if c, ok := children.Load(k); ok {
		return c.(M)
	}
	c, _ := children.LoadOrStore(k, newChild())
	return c.(M)
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	s.metrics.handler.ServeHTTP(w, r)
	return nil
}

// MetricsHandler serves the metrics without authentication, for a listener
// of their own that only the monitoring system reaches (secrets serve
// --metrics-addr); on the API's listener, /metrics needs the scope
// metrics:read.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler }
