package server_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/server"
)

// running is a Server running Serve, as `secrets serve` runs it: flushing
// its counts every second, and once more when it stops.
type running struct {
	*client
	stop func() error
}

func serveOn(t *testing.T, b backend) *running {
	t.Helper()
	srv, err := server.New(server.Options{Store: b.open(t), AdminKeyDigest: sha256.Sum256([]byte(testAdminKey)), Pepper: backendtest.Pepper})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() { cancel(); serveErr = <-done })
		return serveErr
	}
	t.Cleanup(func() { stop() })
	return &running{client: newClient("http://" + ln.Addr().String()), stop: stop}
}

// TestAnalyticsAreExactAcrossInstances drives a known mix of outcomes
// through every instance at once and compares the totals: after the
// periodic flush, and again after each instance's last flush at shutdown.
func TestAnalyticsAreExactAcrossInstances(t *testing.T) {
	for _, c := range []struct {
		name      string
		backend   func(testing.TB) backend
		instances int
	}{
		{"two instances on PostgreSQL", newPostgres, 2},
		{"one instance on SQLite", newSQLite, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := c.backend(t)
			var ins []*running
			for range c.instances {
				ins = append(ins, serveOn(t, b))
			}
			start := time.Now()
			first := ins[0]
			limited := first.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_a_", "owner": "acme", "ratelimit": map[string]any{"limit": 50, "window": 3600}})
			counted := first.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_b_", "owner": "bolt", "remaining": 30})
			revoked := first.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_c_", "owner": "acme"})
			want(t, first.do(t, "DELETE", "/v1/keys/"+revoked.str("id"), nil), http.StatusNoContent)
			var tokens []string
			for i := range 20 {
				tk := first.do(t, "POST", "/v1/tokens", map[string]any{"purpose": "reset", "subject": fmt.Sprintf("u%d", i)})
				want(t, tk, http.StatusCreated)
				tokens = append(tokens, tk.str("token"))
			}

			type call struct {
				path string
				body map[string]any
			}
			var calls []call
			for range 200 {
				calls = append(calls, call{"/v1/keys/verify", map[string]any{"key": limited.str("key"), "tags": []string{"team=a"}}})
			}
			for range 100 {
				calls = append(calls, call{"/v1/keys/verify", map[string]any{"key": counted.str("key")}})
			}
			for range 40 {
				calls = append(calls, call{"/v1/keys/verify", map[string]any{"key": revoked.str("key")}})
			}
			for range 25 {
				calls = append(calls, call{"/v1/keys/verify", map[string]any{"key": "not a key"}})
			}
			for _, tk := range tokens {
				for range 2 {
					calls = append(calls, call{"/v1/tokens/redeem", map[string]any{"purpose": "reset", "token": tk}})
				}
			}
			work := make(chan call)
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Go(func() {
					for c := range work {
						r, err := ins[w%len(ins)].try("POST", c.path, c.body)
						if err != nil || r.status != http.StatusOK {
							t.Errorf("POST %s: %d %v %s", c.path, r.status, err, r.raw)
						}
					}
				})
			}
			for i := range calls { // interleaved, so both keys' limits are raced
				work <- calls[(i*7)%len(calls)]
			}
			close(work)
			wg.Wait()

			rng := "from=" + url.QueryEscape(start.Add(-time.Hour).UTC().Format(time.RFC3339)) + "&to=" + url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
			wants := []struct {
				path string
				want map[string]float64
			}{
				{"/v1/analytics/verifications?" + rng, map[string]float64{"VALID": 80, "RATE_LIMITED": 150, "USAGE_EXCEEDED": 70, "REVOKED": 40, "MALFORMED": 25}},
				{"/v1/analytics/verifications?group_by=key&granularity=minute&from=" + url.QueryEscape(start.Add(-time.Minute).UTC().Format(time.RFC3339)),
					map[string]float64{limited.str("id"): 200, counted.str("id"): 100, revoked.str("id"): 40, "": 25}},
				{"/v1/analytics/verifications?group_by=owner&granularity=day&" + rng, map[string]float64{"acme": 240, "bolt": 100, "": 25}},
				{"/v1/analytics/verifications?group_by=tag&" + rng, map[string]float64{"team=a": 200}},
				{"/v1/analytics/tokens?" + rng, map[string]float64{"VALID": 20, "USED": 20}},
			}
			check := func(final bool) (bad string) {
				for _, w := range wants {
					r, err := first.try("GET", w.path, nil)
					if err != nil {
						return err.Error()
					}
					if r.status != http.StatusOK {
						return fmt.Sprintf("GET %s: %d %s", w.path, r.status, r.raw)
					}
					if got := totals(t, r); !equalCounts(got, w.want) {
						bad += fmt.Sprintf("GET %s: %v, want %v\n", w.path, got, w.want)
					}
				}
				return bad
			}
			// Each instance flushes at least once a second: the totals
			// appear without a shutdown (the deadline is a bound, not a
			// measurement).
			deadline := time.Now().Add(20 * time.Second)
			for bad := check(false); bad != ""; bad = check(false) {
				if time.Now().After(deadline) {
					t.Fatalf("no exact totals after the periodic flushes:\n%s", bad)
				}
				time.Sleep(100 * time.Millisecond)
			}
			// Stopping flushes what is left, and counts nothing twice.
			for i, in := range ins[1:] {
				if err := in.stop(); err != nil && !errors.Is(err, context.Canceled) {
					t.Fatalf("instance %d: %v", i+1, err)
				}
			}
			if bad := check(true); bad != "" {
				t.Fatalf("after shutdown:\n%s", bad)
			}
		})
	}
}

// TestAnalyticsShutdownFlushes shows that a clean shutdown writes the counts
// of the last second: an instance with a flush interval far longer than
// the test counts nothing until it stops.
func TestAnalyticsShutdownFlushes(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		srv, err := server.New(server.Options{Store: b.open(t), AdminKeyDigest: sha256.Sum256([]byte(testAdminKey)), Pepper: backendtest.Pepper,
			AnalyticsFlushInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx, ln) }()
		c := newClient("http://" + ln.Addr().String())
		for range 7 {
			want(t, c.do(t, "POST", "/v1/keys/verify", map[string]any{"key": "nope"}), http.StatusOK)
		}
		reader := start(t, b.open(t))
		if got := totals(t, reader.do(t, "GET", "/v1/analytics/verifications?granularity=day&from="+url.QueryEscape(time.Now().Add(-24*time.Hour).UTC().Format(time.RFC3339))+"&to="+url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339)), nil)); len(got) != 0 {
			t.Fatalf("counted before any flush: %v", got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		r := reader.do(t, "GET", "/v1/analytics/verifications?granularity=day&from="+url.QueryEscape(time.Now().Add(-24*time.Hour).UTC().Format(time.RFC3339))+"&to="+url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339)), nil)
		if got := totals(t, r); !equalCounts(got, map[string]float64{"MALFORMED": 7}) {
			t.Fatalf("after shutdown: %v, want MALFORMED: 7", got)
		}
	})
}
