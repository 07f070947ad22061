package client_test

import (
	"context"
	"crypto/sha256"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unguessable/secrets/client"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/server"
	"github.com/unguessable/secrets/store"
)

// adminKey is the root key of the test services.
const adminKey = "sk_admin_client_test_0123456789abcdef"

// service is a real secrets service on a fresh database of one backend.
type service struct {
	url   string
	st    store.Store
	clock *backendtest.Clock
	srv   *server.Server
}

// startService serves server.New on a new database of b, wrapping its store
// with wrap if given, and its handler with mw if given.
func startService(t *testing.T, b backendtest.Backend, wrap func(store.Store) store.Store, mw func(http.Handler) http.Handler) *service {
	t.Helper()
	st := b.NewDB(t).Open(t)
	if wrap != nil {
		st = wrap(st)
	}
	clock := backendtest.NewClock()
	srv, err := server.New(server.Options{Store: st, AdminKeyDigest: sha256.Sum256([]byte(adminKey)), Pepper: backendtest.Pepper, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	if mw != nil {
		h = mw(h)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return &service{url: hs.URL, st: st, clock: clock, srv: srv}
}

// newClient returns a client of svc with the admin key, fast retries and
// no kept-alive connections (so that the transport never retries on its own:
// every retry seen is the client's).
func newClient(t *testing.T, base, key string, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *client.Client {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true, DialContext: dial}
	c, err := client.New(base, key, &client.Options{HTTPClient: &http.Client{Transport: tr, Timeout: 30 * time.Second},
		BaseDelay: time.Millisecond, MaxRetryWait: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// faults is a handler in front of the service that spoils the first n
// requests it sees of the given method, in the way fail says, and counts
// the requests of that method.
type faults struct {
	next   http.Handler
	method string
	n      atomic.Int64
	seen   atomic.Int64
	fail   func(w http.ResponseWriter, r *http.Request, next http.Handler)
	after  func() // called, if set, on each request that passes through
}

func (f *faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != f.method {
		f.next.ServeHTTP(w, r)
		return
	}
	if f.seen.Add(1) <= f.n.Load() {
		f.fail(w, r, f.next)
		return
	}
	if f.after != nil {
		f.after()
	}
	f.next.ServeHTTP(w, r)
}

// unavailable answers 503 without calling the service.
func unavailable(retryAfter string) func(http.ResponseWriter, *http.Request, http.Handler) {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":{"code":"unavailable","message":"try later"}}`))
	}
}

// servedThen503 lets the service do the call, then throws its answer away
// and answers 503: the answer was lost after the work was done.
func servedThen503(w http.ResponseWriter, r *http.Request, next http.Handler) {
	next.ServeHTTP(httptest.NewRecorder(), r)
	unavailable("0")(w, r, next)
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter, r *http.Request, next http.Handler) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

// failingPing is a store whose Ping fails the first n times.
type failingPing struct {
	store.Store
	n     int64
	calls atomic.Int64
}

func (f *failingPing) Ping(ctx context.Context) error {
	if f.calls.Add(1) <= f.n {
		return errDown
	}
	return f.Store.Ping(ctx)
}

type downError struct{}

func (downError) Error() string { return "the test database is down" }

var errDown error = downError{}
