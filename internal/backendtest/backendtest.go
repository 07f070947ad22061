// Package backendtest opens fresh databases of every store backend for
// tests: a SQLite file always, and a PostgreSQL schema of its own when
// SECRETS_TEST_POSTGRES_URL is set (without it, the PostgreSQL half of each
// test skips, saying so). The managers' tests (token, code, keys), the
// service's and the backends' conformance tests all run through it, so a
// test written once runs on both.
package backendtest

import (
	"bytes"
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/postgres"
	"github.com/unguessable/secrets/store/sqlite"
	"github.com/unguessable/secrets/store/storetest"
)

// PostgresEnv names the variable that holds the URL of the PostgreSQL
// server to test on.
const PostgresEnv = "SECRETS_TEST_POSTGRES_URL"

// DB is one test's fresh database.
type DB struct {
	storetest.DB
	// DSN is what `secrets serve --db` takes to open it: a file path or a
	// postgres:// URL whose search_path names the test's schema.
	DSN string
	// Bare returns the baseline of the key benchmarks: one indexed read of
	// the columns a verification reports, by hash, with nothing around it.
	Bare func(tb testing.TB) func(ctx context.Context, hash []byte) error
}

// Backend makes fresh databases of one kind.
type Backend struct {
	Name  string // "SQLite", "PostgreSQL"
	NewDB func(tb testing.TB) DB
}

// Storetest is b as the conformance suite takes it.
func (b Backend) Storetest() storetest.Backend {
	return storetest.Backend{Name: b.Name, NewDB: func(tb testing.TB) storetest.DB { return b.NewDB(tb).DB }}
}

// All is every backend.
func All() []Backend { return []Backend{SQLite(), Postgres(nil)} }

// Run runs f once on each backend, in subtests named "on SQLite" and "on
// PostgreSQL".
func Run(t *testing.T, f func(t *testing.T, b Backend)) {
	for _, b := range All() {
		t.Run("on "+b.Name, func(t *testing.T) { f(t, b) })
	}
}

// RunB is Run for benchmarks.
func RunB(b *testing.B, f func(b *testing.B, be Backend)) {
	for _, be := range All() {
		b.Run(be.Name, func(b *testing.B) { f(b, be) })
	}
}

// bareSelect is the baseline: one indexed read of the columns that a
// verification reports (id, namespace, owner, name, metadata, state, expiry,
// remaining uses, rate-limit window).
const bareSelect = `SELECT id, namespace, owner, name, meta, enabled, expires_at, revoked_at, remaining, rl_limit, rl_window, rl_start, rl_count FROM api_keys WHERE hash = $1`

// bareRow scans a row of bareSelect.
func bareRow(row interface{ Scan(...any) error }) error {
	var id, namespace, owner, name string
	var meta *string
	var enabled bool
	var expires, revoked, remaining, rlLimit, rlWindow *int64
	var rlStart, rlCount int64
	return row.Scan(&id, &namespace, &owner, &name, &meta, &enabled, &expires, &revoked, &remaining, &rlLimit, &rlWindow, &rlStart, &rlCount)
}

// SQLite makes databases in new files.
func SQLite() Backend {
	return Backend{Name: "SQLite", NewDB: func(tb testing.TB) DB {
		path := filepath.Join(tb.TempDir(), "secrets.db")
		return DB{
			DSN: path,
			DB: storetest.DB{
				Open: func(tb testing.TB) store.Store {
					st, err := sqlite.Open(context.Background(), path)
					if err != nil {
						tb.Fatal(err)
					}
					tb.Cleanup(func() { st.Close() })
					return st
				},
				Contents: func(tb testing.TB) []byte {
					var all []byte
					for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
						b, err := os.ReadFile(path + suffix)
						if err != nil && !os.IsNotExist(err) {
							tb.Fatal(err)
						}
						all = append(all, b...)
					}
					return all
				},
			},
			Bare: func(tb testing.TB) func(context.Context, []byte) error {
				// A read-only handle of its own, its statement prepared
				// once as the store's are.
				db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=query_only(1)")
				if err != nil {
					tb.Fatal(err)
				}
				bare, err := db.Prepare(bareSelect)
				if err != nil {
					tb.Fatal(err)
				}
				tb.Cleanup(func() { bare.Close(); db.Close() })
				return func(ctx context.Context, hash []byte) error { return bareRow(bare.QueryRowContext(ctx, hash)) }
			},
		}
	}}
}

// Postgres makes databases in new schemas of the server at
// SECRETS_TEST_POSTGRES_URL, dropped when the test ends, with params as
// extra run-time parameters of every connection. Without the URL, NewDB
// skips the test.
func Postgres(params map[string]string) Backend {
	return Backend{Name: "PostgreSQL", NewDB: func(tb testing.TB) DB {
		u := URL(tb)
		ctx := context.Background()
		schema := "secrets_test_" + secrets.TokenHex(16)
		exec(tb, u, "CREATE SCHEMA "+schema)
		tb.Cleanup(func() { exec(tb, u, "DROP SCHEMA "+schema+" CASCADE") })
		pu, err := url.Parse(u)
		if err != nil {
			tb.Fatal(err)
		}
		q := pu.Query()
		q.Set("search_path", schema)
		for k, v := range params {
			q.Set(k, v)
		}
		pu.RawQuery = q.Encode()
		dsn := pu.String()
		// One pool of the test's own for Contents and Bare.
		var once sync.Once
		var pool *pgxpool.Pool
		own := func(tb testing.TB) *pgxpool.Pool {
			once.Do(func() {
				var err error
				if pool, err = pgxpool.New(ctx, dsn); err != nil {
					tb.Fatal(err)
				}
				tb.Cleanup(pool.Close)
			})
			return pool
		}
		return DB{
			DSN: dsn,
			DB: storetest.DB{
				Open: func(tb testing.TB) store.Store {
					st, err := postgres.Open(ctx, dsn)
					if err != nil {
						tb.Fatal(err)
					}
					tb.Cleanup(func() { st.Close() })
					return st
				},
				Contents: func(tb testing.TB) []byte {
					var all []string
					// Every table of the schema, so that a new one is
					// scanned without being listed here.
					rows, err := own(tb).Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
					if err != nil {
						tb.Fatal(err)
					}
					tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
					if err != nil || len(tables) == 0 {
						tb.Fatalf("the schema's tables: %v (%d)", err, len(tables))
					}
					for _, table := range tables {
						rows, err := own(tb).Query(ctx, "SELECT t::text FROM "+table+" t")
						if err != nil {
							tb.Fatal(err)
						}
						texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
						if err != nil {
							tb.Fatal(err)
						}
						all = append(all, texts...)
					}
					return []byte(strings.Join(all, "\n"))
				},
			},
			Bare: func(tb testing.TB) func(context.Context, []byte) error {
				p := own(tb)
				return func(ctx context.Context, hash []byte) error { return bareRow(p.QueryRow(ctx, bareSelect, hash)) }
			},
		}
	}}
}

// URL returns SECRETS_TEST_POSTGRES_URL, or skips the test saying how to
// set it.
func URL(tb testing.TB) string {
	u := os.Getenv(PostgresEnv)
	if u == "" {
		tb.Skip(PostgresEnv + " is not set: skipping the PostgreSQL tests " +
			"(e.g. " + PostgresEnv + "=postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return u
}

// exec runs one statement on its own connection to u.
func exec(tb testing.TB, u, stmt string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		tb.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		tb.Fatal(err)
	}
}

// Pepper is a fixed pepper for the code manager in tests.
var Pepper = bytes.Repeat([]byte{0x5e}, 32) // code.MinPepperBytes

// Clock is a store.Clock that moves only when told, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock set to a fixed time with whole milliseconds.
func NewClock() *Clock {
	return &Clock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Must returns a function that returns v, failing the test on err.
func Must[T any](tb testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

// Parallel runs n calls of f at once, call i on instance i%len(on), after
// all are ready, and returns how many results had each outcome. Any error
// fails the test.
func Parallel[E any, S comparable](t testing.TB, n int, on []E, f func(e E) (S, error)) map[S]int {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
		count = map[S]int{}
		errs  []error
	)
	for i := range n {
		e := on[i%len(on)]
		wg.Go(func() {
			<-start
			s, err := f(e)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			count[s]++
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d calls failed; the first: %v", len(errs), n, errs[0])
	}
	return count
}

// NewPostgresDatabase creates a database of its own on the server at
// SECRETS_TEST_POSTGRES_URL, dropped when the test ends, and returns its
// URL: for tests of what a store does to a database it has to itself, such
// as its default schema. Without the URL, it skips the test.
func NewPostgresDatabase(tb testing.TB) string {
	u := URL(tb)
	name := "secrets_test_" + secrets.TokenHex(16)
	exec(tb, u, "CREATE DATABASE "+name)
	tb.Cleanup(func() { exec(tb, u, "DROP DATABASE "+name+" WITH (FORCE)") })
	pu, err := url.Parse(u)
	if err != nil {
		tb.Fatal(err)
	}
	pu.Path = "/" + name
	return pu.String()
}
