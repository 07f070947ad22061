package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/server"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/postgres"
	"github.com/unguessable/secrets/store/sqlite"
)

// testAdminKey is the admin key of the test servers.
const testAdminKey = "secrets_admin_test_0123456789abcdefghijklmnopqrstuvwxyz"

// backend is a database the service can run on: a DSN for --db (a SQLite
// path or a postgres:// URL) that every store and process opened on it
// shares.
type backend struct {
	name string
	dsn  string
}

// open opens a store on b, closed at cleanup.
func (b backend) open(t testing.TB) store.Store {
	t.Helper()
	var st store.Store
	var err error
	if strings.HasPrefix(b.dsn, "postgres://") {
		st, err = postgres.Open(context.Background(), b.dsn)
	} else {
		st, err = sqlite.Open(context.Background(), b.dsn)
	}
	if err != nil {
		t.Fatalf("open %s: %v", b.name, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newSQLite returns a backend on a new SQLite file.
func newSQLite(t testing.TB) backend {
	return backend{name: "SQLite", dsn: backendtest.SQLite().NewDB(t).DSN}
}

// newPostgres returns a backend on a schema of its own, dropped at cleanup,
// or skips the test when there is no PostgreSQL to test on.
func newPostgres(t testing.TB) backend {
	return backend{name: "PostgreSQL", dsn: backendtest.Postgres(nil).NewDB(t).DSN}
}

// eachBackend runs f on SQLite and on PostgreSQL, each in a subtest with a
// fresh database.
func eachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	t.Run("on SQLite", func(t *testing.T) { f(t, newSQLite(t)) })
	t.Run("on PostgreSQL", func(t *testing.T) { f(t, newPostgres(t)) })
}

// syncBuffer is a bytes.Buffer safe for concurrent writers: a log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// instance is a Server on a real listener.
type instance struct {
	*client
	srv   *server.Server
	st    store.Store
	clock *backendtest.Clock
	logs  *syncBuffer
}

// start serves a new Server on st with a test clock and the test admin
// key, on a real loopback listener closed at cleanup; edit, if given,
// changes its options first.
func start(t testing.TB, st store.Store, edit ...func(*server.Options)) *instance {
	t.Helper()
	logs := &syncBuffer{}
	clock := backendtest.NewClock()
	opts := server.Options{
		Store:          st,
		AdminKeyDigest: sha256.Sum256([]byte(testAdminKey)),
		Pepper:         backendtest.Pepper,
		Logger:         slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:          clock,
	}
	for _, e := range edit {
		e(&opts)
	}
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &instance{client: newClient(hs.URL), srv: srv, st: st, clock: clock, logs: logs}
}

// client calls the service with the test admin key.
type client struct {
	base string
	key  string
	http *http.Client
}

func newClient(base string) *client {
	tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}
	return &client{base: base, key: testAdminKey, http: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// str returns the string at a dotted path of the body, or "".
func (r response) str(path string) string {
	v, _ := r.get(path).(string)
	return v
}

// num returns the number at a dotted path of the body, or -1.
func (r response) num(path string) float64 {
	v, ok := r.get(path).(float64)
	if !ok {
		return -1
	}
	return v
}

func (r response) get(path string) any {
	var v any = r.body
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// do sends a request: body is sent as is if it is a string, else as JSON;
// a JSON body gets Content-Type application/json unless hdr sets one.
func (c *client) do(t testing.TB, method, path string, body any, hdr ...string) response {
	t.Helper()
	r, err := c.try(method, path, body, hdr...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// try is do without a testing.TB, for goroutines.
func (c *client) try(method, path string, body any, hdr ...string) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			return out, err
		}
	}
	return out, nil
}

// want fails unless r has status and, for errors, the error code and field.
func want(t testing.TB, r response, status int, codeAndField ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	if len(codeAndField) > 0 && r.str("error.code") != codeAndField[0] {
		t.Fatalf("error code %q, want %q; body %s", r.str("error.code"), codeAndField[0], r.raw)
	}
	if len(codeAndField) > 1 && r.str("error.field") != codeAndField[1] {
		t.Fatalf("error field %q, want %q; body %s", r.str("error.field"), codeAndField[1], r.raw)
	}
	if status >= 400 && (r.str("error.message") == "" || r.header.Get("Content-Type") != "application/json") {
		t.Fatalf("error without a JSON message: %s %s", r.header.Get("Content-Type"), r.raw)
	}
}
