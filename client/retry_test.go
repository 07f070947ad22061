package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unguessable/secrets/client"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
)

// withFaults starts a service behind a faults handler for method.
func withFaults(t *testing.T, b backendtest.Backend, method string, n int64, fail func(http.ResponseWriter, *http.Request, http.Handler)) (*service, *faults) {
	f := &faults{method: method, fail: fail}
	f.n.Store(n)
	svc := startService(t, b, nil, func(h http.Handler) http.Handler { f.next = h; return f })
	return svc, f
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		t.Run("a GET is retried after 503s and succeeds", func(t *testing.T) {
			svc, f := withFaults(t, b, http.MethodGet, 2, unavailable("0"))
			c := newClient(t, svc.url, adminKey, nil)
			if _, err := c.ListKeys(ctx, client.ListKeysOptions{}); err != nil {
				t.Fatalf("ListKeys: %v", err)
			}
			if n := f.seen.Load(); n != 3 {
				t.Errorf("the service saw %d GETs, want 3 (two 503s, then the answer)", n)
			}
		})
		t.Run("a GET waits for the Retry-After of a 503", func(t *testing.T) {
			var first, second time.Time
			svc, f := withFaults(t, b, http.MethodGet, 1, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				first = time.Now()
				unavailable("1")(w, r, next)
			})
			f.after = func() { second = time.Now() }
			c := newClient(t, svc.url, adminKey, nil)
			if _, err := c.ListKeys(ctx, client.ListKeysOptions{}); err != nil {
				t.Fatalf("ListKeys: %v", err)
			}
			// A lower bound only: a timer never fires early, so this cannot fail by chance.
			if gap := second.Sub(first); gap < time.Second {
				t.Errorf("the retry came %v after the 503 with Retry-After: 1", gap)
			}
		})
		t.Run("a GET gives up after MaxRetries 503s with the last one", func(t *testing.T) {
			svc, f := withFaults(t, b, http.MethodGet, 100, unavailable(""))
			c := newClient(t, svc.url, adminKey, nil)
			_, err := c.GetKey(ctx, "key_x")
			wantAPIError(t, err, http.StatusServiceUnavailable, client.CodeUnavailable, "")
			if n := f.seen.Load(); n != client.DefaultMaxRetries+1 {
				t.Errorf("the service saw %d GETs, want %d", n, client.DefaultMaxRetries+1)
			}
		})
		t.Run("a Retry-After beyond MaxRetryWait is not waited for", func(t *testing.T) {
			svc, f := withFaults(t, b, http.MethodGet, 100, unavailable("3600"))
			c := newClient(t, svc.url, adminKey, nil)
			_, err := c.GetKey(ctx, "key_x")
			if e := wantAPIError(t, err, http.StatusServiceUnavailable, client.CodeUnavailable, ""); e.RetryAfter != time.Hour {
				t.Errorf("RetryAfter %v, want 1h", e.RetryAfter)
			}
			if n := f.seen.Load(); n != 1 {
				t.Errorf("the service saw %d GETs, want 1", n)
			}
		})
		t.Run("the health check is retried while the database fails", func(t *testing.T) {
			var fp *failingPing
			svc := startService(t, b, func(st store.Store) store.Store { fp = &failingPing{Store: st, n: 1}; return fp }, nil)
			c := newClient(t, svc.url, adminKey, nil)
			if err := c.Health(ctx); err != nil {
				t.Fatalf("Health: %v", err)
			}
			if n := fp.calls.Load(); n != 2 {
				t.Errorf("the database was pinged %d times, want 2", n)
			}
		})
		t.Run("a verification is not retried after a 503: its use is spent once", func(t *testing.T) {
			svc, f := withFaults(t, b, http.MethodPost, 0, servedThen503)
			c := newClient(t, svc.url, adminKey, nil)
			k, err := c.CreateKey(ctx, client.CreateKeyRequest{Prefix: "sk_", Remaining: ptr(int64(5))})
			if err != nil {
				t.Fatal(err)
			}
			f.n.Store(f.seen.Load() + 1) // the next POST is served, then answered 503
			_, err = c.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key})
			wantAPIError(t, err, http.StatusServiceUnavailable, client.CodeUnavailable, "")
			if got, err := c.GetKey(ctx, k.ID); err != nil || *got.Remaining != 4 {
				t.Errorf("after one lost verification: remaining %v, %v; want 4", *got.Remaining, err)
			}
			if n := f.seen.Load(); n != 2 {
				t.Errorf("the service saw %d POSTs, want 2 (the create, one verify)", n)
			}
		})
		t.Run("a GET is retried after the connection drops", func(t *testing.T) {
			svc, f := withFaults(t, b, http.MethodGet, 2, hangUp)
			c := newClient(t, svc.url, adminKey, nil)
			if _, err := c.ListKeys(ctx, client.ListKeysOptions{}); err != nil {
				t.Fatalf("ListKeys: %v", err)
			}
			if n := f.seen.Load(); n != 3 {
				t.Errorf("the service saw %d GETs, want 3", n)
			}
		})
		t.Run("a POST is not retried after the connection drops", func(t *testing.T) {
			svc, f := withFaults(t, b, http.MethodPost, 1, hangUp)
			c := newClient(t, svc.url, adminKey, nil)
			_, err := c.CreateKey(ctx, client.CreateKeyRequest{Prefix: "sk_"})
			var e *client.Error
			if err == nil || errors.As(err, &e) {
				t.Fatalf("CreateKey over a dropped connection: %v, want a transport error", err)
			}
			if n := f.seen.Load(); n != 1 {
				t.Errorf("the service saw %d POSTs, want 1", n)
			}
			if l, err := c.ListKeys(ctx, client.ListKeysOptions{}); err != nil || len(l.Keys) != 0 {
				t.Errorf("keys after the dropped create: %d, %v; want 0", len(l.Keys), err)
			}
		})
		t.Run("a POST is retried when the connection could not be opened", func(t *testing.T) {
			svc := startService(t, b, nil, nil)
			var dials atomic.Int64
			var d net.Dialer
			dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
				if dials.Add(1) == 1 {
					return d.DialContext(ctx, network, "127.0.0.1:1") // nothing listens on port 1
				}
				return d.DialContext(ctx, network, addr)
			}
			c := newClient(t, svc.url, adminKey, dial)
			if _, err := c.CreateKey(ctx, client.CreateKeyRequest{Prefix: "sk_"}); err != nil {
				t.Fatalf("CreateKey: %v", err)
			}
			if n := dials.Load(); n != 2 {
				t.Errorf("%d dials, want 2", n)
			}
		})
	})
}

func TestContextEndsTheRetries(t *testing.T) {
	svc, _ := withFaults(t, backendtest.SQLite(), http.MethodGet, 100, unavailable("2"))
	c := newClient(t, svc.url, adminKey, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.ListKeys(ctx, client.ListKeysOptions{}); done <- err }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("ListKeys with its context canceled: %v, want context.Canceled", err)
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct{ name, url, key string }{
		{"no scheme", "127.0.0.1:8080", "k"},
		{"ftp", "ftp://h", "k"},
		{"no host", "http://", "k"},
		{"a user in the URL", "http://u:p@h", "k"},
		{"a query", "http://h?a=b", "k"},
		{"no access key", "http://h", ""},
		{"an access key with a newline", "http://h", "a\nb"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			if _, err := client.New(tc.url, tc.key, nil); !errors.Is(err, client.ErrConfig) {
				t.Errorf("New(%q): %v, want ErrConfig", tc.url, err)
			}
		})
	}
}
