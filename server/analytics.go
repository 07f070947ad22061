package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/analytics"
	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/store"
)

// newAnalytics returns the aggregator of opts: nil (nothing counted) with
// NoAnalytics or a store that keeps no counters.
func newAnalytics(opts Options, onErr func(error)) *analytics.Aggregator {
	st, ok := opts.Store.(store.Analytics)
	if opts.NoAnalytics || !ok {
		return nil
	}
	return analytics.New(st, analytics.Options{Clock: opts.Clock, FlushInterval: opts.AnalyticsFlushInterval, OnError: onErr})
}

// runAnalytics flushes the counts every second until it is stopped; stop
// flushes once more and waits for it. Serve stops it last, after the
// in-flight requests and the dispatcher, whose outcomes it counts.
func (s *Server) runAnalytics() (stop func()) {
	if s.analytics == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.analytics.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// FlushAnalytics writes the counts recorded so far to the store now (Serve
// does every second and when it stops; a Server used through Handler
// alone counts only what its owner flushes). Without analytics it does
// nothing.
func (s *Server) FlushAnalytics(ctx context.Context) error {
	if s.analytics == nil {
		return nil
	}
	return s.analytics.Flush(ctx)
}

// Analytics returns the service's aggregator, for a Go program (or the
// dashboard) that queries the counts in-process; nil when the service
// counts nothing.
func (s *Server) Analytics() *analytics.Aggregator { return s.analytics }

// recordKey counts a key verification; the namespace of a key not found is
// the one asked for.
func (s *Server) recordKey(namespace string, res keys.Result, tags []string) {
	if s.analytics == nil {
		return
	}
	if res.Namespace != "" {
		namespace = res.Namespace
	} else if namespace == "" {
		namespace = keys.DefaultNamespace
	}
	s.analytics.RecordKey(namespace, res.ID, res.Owner, res.Status.String(), tags, s.clock.Now())
}

// recordDelivery counts a delivery attempt that ended its job: sent, failed
// or expired (not one queued for a retry).
func (s *Server) recordDelivery(channel, status string) {
	switch status {
	case store.DeliverySent, store.DeliveryFailed, store.DeliveryExpired:
		s.analytics.RecordDelivery(channel, status, s.clock.Now())
	}
}

// analyticsResponse is the answer of every /v1/analytics route.
type analyticsResponse struct {
	Granularity string           `json:"granularity"`
	GroupBy     string           `json:"group_by"`
	From        timestamp        `json:"from"`
	To          timestamp        `json:"to"`
	Buckets     []analyticBucket `json:"buckets"`
}

type analyticBucket struct {
	Start  timestamp        `json:"start"`
	Counts map[string]int64 `json:"counts"`
}

// analyticsParams are the query parameters of each kind, beyond from, to,
// granularity and group_by.
var analyticsParams = map[string][]string{
	analytics.KindVerifications: {"namespace", "key_id", "owner", "tag"},
	analytics.KindCodes:         {"purpose"},
	analytics.KindTokens:        {"purpose"},
	analytics.KindDeliveries:    {"channel"},
}

// analyticsOf returns the handler of GET /v1/analytics/<kind>.
func (s *Server) analyticsOf(kind string) apiHandler {
	allowed := append([]string{"from", "to", "granularity", "group_by"}, analyticsParams[kind]...)
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.analytics == nil {
			return notFound("analytics are off on this service (secrets serve --analytics=false)")
		}
		p, err := query(r, allowed...)
		if err != nil {
			return err
		}
		q := analytics.Query{Kind: kind, Namespace: p["namespace"], KeyID: p["key_id"], Owner: p["owner"], Tag: p["tag"],
			Purpose: p["purpose"], Channel: p["channel"], Granularity: p["granularity"], GroupBy: p["group_by"]}
		for _, f := range []struct {
			name string
			t    *time.Time
		}{{"from", &q.From}, {"to", &q.To}} {
			if v, ok := p[f.name]; ok {
				if *f.t, err = parseTime(f.name, v); err != nil {
					return err
				}
				// The zero time would read as "not given" below, and
				// be answered silently for another range.
				if f.t.IsZero() {
					return invalid(f.name, "%s is the zero time 0001-01-01T00:00:00Z; give a time after 1970", f.name)
				}
			}
		}
		if !q.From.IsZero() && !q.To.IsZero() && q.From.After(q.To) {
			return invalid("from", "from is after to")
		}
		if kind == analytics.KindVerifications && !caller(r).SeesNamespace(access.AllNamespaces) {
			if _, given := p["namespace"]; !given || !seesNamespace(r, q.Namespace) {
				return &apiError{Status: http.StatusForbidden, Code: codeForbidden, Field: "namespace",
					Message: "this access key may read only the analytics of its namespaces: give namespace=, one of " + strings.Join(caller(r).Namespaces, ", ")}
			}
			// An empty namespace= is the default namespace, as everywhere
			// in the API, and not the filter that matches every namespace.
			if q.Namespace == "" {
				q.Namespace = keys.DefaultNamespace
			}
		}
		// Normalize fills in the defaults the answer states.
		if q, err = s.analytics.Normalize(q); err != nil {
			return analyticsError(err)
		}
		buckets, err := s.analytics.Query(r.Context(), q)
		if err != nil {
			return analyticsError(err)
		}
		out := analyticsResponse{Granularity: q.Granularity, GroupBy: q.GroupBy, From: timestamp(q.From), To: timestamp(q.To),
			Buckets: make([]analyticBucket, len(buckets))}
		for i, b := range buckets {
			out.Buckets[i] = analyticBucket{Start: timestamp(b.Start), Counts: b.Counts}
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

// analyticsError maps a bad query to 400 naming the field; anything else
// is the store's failure.
func analyticsError(err error) error {
	var ie *store.InvalidError
	if errors.As(err, &ie) {
		return invalid(ie.Field, "%s %s", ie.Field, ie.Reason)
	}
	return err
}
