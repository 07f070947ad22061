package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/internal/backendtest"

	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/sqlite"
)

const adminKey = "secrets_admin_internal_test_key_0123456789"

func newTestServer(t *testing.T, wrap func(store.Store) store.Store) (*Server, *bytes.Buffer) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var logs bytes.Buffer
	var s store.Store = st
	if wrap != nil {
		s = wrap(st)
	}
	srv, err := New(Options{Store: s, AdminKeyDigest: sha256.Sum256([]byte(adminKey)), Pepper: backendtest.Pepper,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return srv, &logs
}

func call(t *testing.T, h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

const internalBody = `{"error":{"code":"internal_error","message":"internal error"}}` + "\n"

func TestPanicIsA500WithoutDetail(t *testing.T) {
	srv, logs := newTestServer(t, nil)
	srv.handle("GET /v1/boom", route{scope: access.KeysRead}, func(w http.ResponseWriter, r *http.Request) error {
		panic("boom: the database password is hunter2")
	})
	rec := call(t, srv.Handler(), "GET", "/v1/boom", "")
	if rec.Code != http.StatusInternalServerError || rec.Body.String() != internalBody {
		t.Fatalf("panic answered %d %q", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "panic serving request") || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("the panic and its stack are not in the log: %s", logs.String())
	}
	if strings.Contains(logs.String(), "hunter2") {
		t.Error("the panic value reached the log")
	}
	if rec := call(t, srv.Handler(), "GET", "/healthz", ""); rec.Code != http.StatusOK {
		t.Errorf("after a panic, healthz answered %d", rec.Code)
	}
}

// failingStore fails every key lookup with an error that must not reach
// a client.
type failingStore struct{ store.Store }

var errDetail = errors.New("connection to 10.1.2.3 refused: password authentication failed")

func (failingStore) KeyByHash(context.Context, []byte) (store.Key, error) {
	return store.Key{}, errDetail
}
func (failingStore) InsertToken(context.Context, store.Token, bool) error { return errDetail }

const unavailableBody = `{"error":{"code":"unavailable","message":"the database is not answering; retry after the time in Retry-After"}}` + "\n"

func TestStoreFailuresAre503WithoutDetail(t *testing.T) {
	srv, logs := newTestServer(t, func(st store.Store) store.Store { return failingStore{st} })
	for _, tc := range []struct{ path, body string }{
		{"/v1/keys/verify", `{"key": "sk_Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXhxdXV4cXV1eHF1"}`},
		{"/v1/tokens", `{"purpose": "p", "subject": "s"}`},
	} {
		created := call(t, srv.Handler(), "POST", "/v1/keys", `{"prefix": "sk_"}`)
		if created.Code != http.StatusCreated {
			t.Fatalf("create: %d", created.Code)
		}
		body := tc.body
		if tc.path == "/v1/keys/verify" {
			// A well-formed key, so that the lookup is made.
			key := strings.Split(strings.Split(created.Body.String(), `"key":"`)[1], `"`)[0]
			body = `{"key": "` + key + `"}`
		}
		rec := call(t, srv.Handler(), "POST", tc.path, body)
		if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != unavailableBody || rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s: %d %q Retry-After %q", tc.path, rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"))
		}
	}
	if !strings.Contains(logs.String(), "the database failed") || !strings.Contains(logs.String(), "10.1.2.3") {
		t.Errorf("the failure is not in the log: %s", logs.String())
	}
}

func TestServeFinishesInFlightRequestsOnShutdown(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	entered, release := make(chan struct{}), make(chan struct{})
	srv.handle("GET /v1/slow", route{scope: access.KeysRead}, func(w http.ResponseWriter, r *http.Request) error {
		close(entered)
		<-release
		writeJSON(w, http.StatusOK, map[string]string{"done": "yes"})
		return nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	type answer struct {
		status int
		body   string
		err    error
	}
	got := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/v1/slow", nil)
		req.Header.Set("Authorization", "Bearer "+adminKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- answer{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- answer{resp.StatusCode, string(b), err}
	}()
	<-entered
	cancel()
	// Serve must not return while the request is in flight.
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a request in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("the listener still accepts after shutdown began")
	}
	close(release)
	a := <-got
	if a.err != nil || a.status != http.StatusOK || !strings.Contains(a.body, `"done":"yes"`) {
		t.Fatalf("the in-flight request got %d %q %v", a.status, a.body, a.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the last request finished")
	}
}

func TestDecodeNamesTheField(t *testing.T) {
	type inner struct {
		N int64 `json:"n"`
	}
	var dst struct {
		A string `json:"a"`
		B *inner `json:"b"`
	}
	for _, tc := range []struct {
		name, body, field string
	}{
		{"an unknown top-level field", `{"zz": 1}`, "zz"},
		{"a wrong type at the top", `{"a": 1}`, "a"},
		{"a wrong type inside an object", `{"b": {"n": "x"}}`, "b.n"},
		{"an unknown field inside an object is named with its path", `{"b": {"m": 1}}`, "b.m"},
		{"a field named in another case", `{"A": "x"}`, "A"},
		{"a field given twice", `{"a": "x", "a": "y"}`, "a"},
		{"a field given twice inside an object", `{"b": {"n": 1, "n": 2}}`, "b.n"},
		{"a field named in another case inside an object", `{"b": {"N": 1}}`, "b.N"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := decodeBytes([]byte(tc.body), &dst)
			var ae *apiError
			if !errors.As(err, &ae) || ae.Field != tc.field || ae.Status != http.StatusBadRequest {
				t.Fatalf("decode %s: %#v, want a 400 naming %q", tc.body, err, tc.field)
			}
		})
	}
	t.Run("a number in the wrong field is not echoed", func(t *testing.T) {
		err := decodeBytes([]byte(`{"a": 987654321.5}`), &dst)
		if err == nil || strings.Contains(err.Error(), "987654321") {
			t.Fatalf("error %v echoes the value", err)
		}
	})
}

// TestNewWrapsItsErrors checks that the errors of New match both ErrConfig
// and the error underneath.
func TestNewWrapsItsErrors(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t.Run("a short pepper is ErrConfig and code.ErrPepper", func(t *testing.T) {
		_, err := New(Options{Store: st, Pepper: []byte("short")})
		if !errors.Is(err, ErrConfig) || !errors.Is(err, code.ErrPepper) {
			t.Fatalf("New: %v", err)
		}
	})
	t.Run("metrics that cannot be registered are ErrConfig and the registry's error", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		if _, err := New(Options{Store: st, Pepper: backendtest.Pepper, Registry: reg}); err != nil {
			t.Fatal(err)
		}
		_, err := New(Options{Store: st, Pepper: backendtest.Pepper, Registry: reg})
		var already prometheus.AlreadyRegisteredError
		if !errors.Is(err, ErrConfig) || !errors.As(err, &already) {
			t.Fatalf("New on a registry that has the metrics: %v", err)
		}
	})
	t.Run("no store is ErrConfig", func(t *testing.T) {
		if _, err := New(Options{Pepper: backendtest.Pepper}); !errors.Is(err, ErrConfig) {
			t.Fatalf("New: %v", err)
		}
	})
}

// TestServeBoundsSlowAndIdleClients checks the http.Server of Serve: a
// kept-alive connection waits at most 30 s for its next request, headers
// must come within 10 s and hold at most 16 KiB.
func TestServeBoundsSlowAndIdleClients(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	hs := srv.httpServer()
	if hs.IdleTimeout <= 0 || hs.IdleTimeout > 30*time.Second {
		t.Errorf("IdleTimeout %v, want at most 30s", hs.IdleTimeout)
	}
	if hs.ReadHeaderTimeout <= 0 || hs.ReadHeaderTimeout > 10*time.Second {
		t.Errorf("ReadHeaderTimeout %v, want at most 10s", hs.ReadHeaderTimeout)
	}
	if hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 {
		t.Errorf("ReadTimeout %v, WriteTimeout %v: want both set", hs.ReadTimeout, hs.WriteTimeout)
	}
	if hs.MaxHeaderBytes <= 0 || hs.MaxHeaderBytes > 16<<10 {
		t.Errorf("MaxHeaderBytes %d, want at most 16 KiB", hs.MaxHeaderBytes)
	}
	if srv.maxConns != DefaultMaxConns {
		t.Errorf("maxConns %d, want the default %d", srv.maxConns, DefaultMaxConns)
	}
}

// fullStore fails every token issue as a store on a full disk does.
type fullStore struct{ store.Store }

func (fullStore) InsertToken(context.Context, store.Token, bool) error {
	return fmt.Errorf("%w: sqlite: database or disk is full (13)", store.ErrStorageFull)
}

func TestAFullDiskIs507WithRetryAfter(t *testing.T) {
	srv, _ := newTestServer(t, func(st store.Store) store.Store { return fullStore{st} })
	rec := call(t, srv.Handler(), "POST", "/v1/tokens", `{"purpose": "p", "subject": "s"}`)
	if rec.Code != http.StatusInsufficientStorage || !strings.Contains(rec.Body.String(), `"code":"storage_full"`) ||
		!strings.Contains(rec.Body.String(), "disk is full") || rec.Header().Get("Retry-After") != strconv.Itoa(RetryAfterStorageFull) {
		t.Errorf("a write on a full disk: %d %q Retry-After %q, want 507 storage_full with Retry-After", rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"))
	}
}
