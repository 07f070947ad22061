// Package sqlite is the embedded default [store.Store]: one SQLite file, pure
// Go (modernc.org/sqlite), no server to run.
//
// The database runs in WAL mode, so reads (the verification of a plain API
// key, a token lookup) never wait for writes. All writes go through one
// connection, queued in Go rather than retried on SQLITE_BUSY; a busy timeout
// covers other processes on the same file. Writes that hand out a secret
// (issuing a token or code, creating or rerolling a key) commit with
// synchronous=FULL, so a secret that was returned survives a power loss;
// other writes use synchronous=NORMAL, which in WAL mode still survives a
// crash of the process. Migrations are embedded and applied on [Open].
//
// The read behind every plain-key verification, the key with a given hash,
// skips database/sql: it runs on connections of its own through
// zombiezen.com/go/sqlite (lookup.go), and concurrent lookups share
// statements (internal/coalesce). Everything else goes through database/sql
// and the store core that store/postgres shares.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/internal/sqlstore"
)

var (
	_ store.Store     = (*SQLite)(nil)
	_ store.Outbox    = (*SQLite)(nil)
	_ store.Dashboard = (*SQLite)(nil)
	_ store.Analytics = (*SQLite)(nil)
)

// BusyTimeout is how long a statement waits for another process's write lock.
const BusyTimeout = 10 * time.Second

// core is embedded under an unexported name: its methods are the store's,
// its type stays internal.
type core = sqlstore.Core

// SQLite is a store.Store on one SQLite database file.
type SQLite struct {
	*core
	path string
	file os.FileInfo // what path named when opened: see checkFile
	w    *sql.DB     // one connection: every write
	r    *sql.DB     // read-only connections

	// Lookups of keys by hash, the read behind every plain-key
	// verification, go through readers (see lookup.go).
	readers chan *reader
}

// Options tune how a database is opened; the zero value is the default.
type Options struct {
	// LookupWorkers is how many coalesced key lookups run at once; default
	// GOMAXPROCS, as more only contend for SQLite's locks.
	LookupWorkers int
}

var dialect = sqlstore.Dialect{
	Name:     "sqlite",
	Greatest: "MAX",
	IsUnique: func(err error) bool {
		var se *sqlite.Error
		return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
	},
	IsNoRows: func(err error) bool { return errors.Is(err, sql.ErrNoRows) },
}

// fileURI is the URI that opens the database file at path.
func fileURI(path string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath()
}

// Open opens (creating if needed) the database file at path and applies any
// migrations it lacks. Several processes may open one file.
func Open(ctx context.Context, path string) (*SQLite, error) {
	return OpenOptions(ctx, path, Options{})
}

// OpenOptions is Open with options.
func OpenOptions(ctx context.Context, path string, opts Options) (*SQLite, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: database path %q is empty or holds '?' or '#'", path)
	}
	// An in-memory database would be one per connection, and the store
	// opens several: give a file (a temporary one, for a throwaway store).
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: database path %q: give the path of a file; in-memory databases and URIs are not supported", path)
	}
	workers := opts.LookupWorkers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	dsn := func(extra ...string) string {
		q := url.Values{}
		q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		for _, e := range extra {
			k, v, _ := strings.Cut(e, "=")
			q.Add(k, v)
		}
		return fileURI(path) + "?" + q.Encode()
	}
	// The file holds digests, code MACs and perhaps the pepper that keys
	// them, with which a reader computes every pending code: create it
	// readable by its owner only (SQLite gives the -wal and -shm files the
	// mode of the database file). An existing file keeps its mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	file, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w, err := sql.Open("sqlite", dsn("_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	s := &SQLite{path: path, file: file, w: w}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if s.r, err = sql.Open("sqlite", dsn("_pragma=query_only(1)")); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.r.SetMaxOpenConns(8)
	s.r.SetMaxIdleConns(8)
	// One reader for each worker and one for a caller's lone lookup.
	s.readers = make(chan *reader, workers+1)
	for range workers + 1 {
		rd, err := openReader(path)
		if err != nil {
			s.closeReaders()
			s.r.Close()
			w.Close()
			return nil, fmt.Errorf("sqlite: %s: %w", path, err)
		}
		s.readers <- rd
	}
	s.core = sqlstore.New(dialect, guarded{sqlstore.DatabaseSQL(w), s}, sqlstore.DatabaseSQL(s.r), coreBackend{s})
	s.StartLookups(sqlstore.Lookups{Batch: s.keysByHash, Workers: workers})
	return s, nil
}

// migrate applies the migrations the file lacks, retrying while another
// process holds it. Processes opening a new file at once can get
// SQLITE_BUSY without the busy handler being called (while one of them
// switches the file to WAL), so the busy timeout alone does not cover them.
func (s *SQLite) migrate(ctx context.Context) error {
	ms, err := sqlstore.Migrations("sqlite")
	if err != nil {
		return err
	}
	tx := func(ctx context.Context, fn func(sqlstore.Querier) error) error {
		return s.tx(ctx, false, fn)
	}
	deadline := time.Now().Add(BusyTimeout)
	wait := time.Millisecond
	for {
		err := sqlstore.Migrate(ctx, sqlstore.DatabaseSQL(s.w), tx, ms)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// Close closes the database.
func (s *SQLite) Close() error {
	s.StopLookups()
	s.closeReaders()
	return errors.Join(s.r.Close(), s.w.Close())
}

// closeReaders closes the readers, which no lookup holds any more.
func (s *SQLite) closeReaders() {
	for {
		select {
		case rd := <-s.readers:
			rd.close()
		default:
			return
		}
	}
}

// Ping checks that the database answers, and that its path still names
// the file the store opened (see ErrFileGone).
func (s *SQLite) Ping(ctx context.Context) error {
	if err := s.checkFile(); err != nil {
		return err
	}
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// coreBackend gives the store core SQLite's transactions and locks.
type coreBackend struct{ s *SQLite }

// SecretTx runs fn in an immediate transaction committed with
// synchronous=FULL.
func (b coreBackend) SecretTx(ctx context.Context, fn func(sqlstore.Querier) error) error {
	return full(b.s.tx(ctx, true, fn))
}

// Tx runs fn in an immediate transaction committed with
// synchronous=NORMAL.
func (b coreBackend) Tx(ctx context.Context, fn func(sqlstore.Querier) error) error {
	return full(b.s.tx(ctx, false, fn))
}

// full marks an error of a full disk (SQLITE_FULL, in any step of the
// transaction) as store.ErrStorageFull.
func full(err error) error {
	var se *sqlite.Error
	if err != nil && errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL {
		return fmt.Errorf("%w: %w", store.ErrStorageFull, err)
	}
	return err
}

// tx runs fn in an immediate transaction on the writer, committed with
// synchronous=FULL if durable.
func (s *SQLite) tx(ctx context.Context, durable bool, fn func(sqlstore.Querier) error) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer conn.Close()
	if durable {
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous=FULL"); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous=NORMAL")
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := fn(sqlstore.DatabaseSQL(tx)); err != nil {
		tx.Rollback()
		return err
	}
	// Before the commit: a transaction that hands out a secret must not
	// commit it to a file that no path reaches.
	if err := s.checkFile(); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// LockSubject does nothing: every write goes through the one writer, in an
// immediate transaction that holds the file's write lock.
func (coreBackend) LockSubject(context.Context, sqlstore.Querier, sqlstore.Lock, string, string) error {
	return nil
}

// keysByHash reads the keys with these hashes on a reader of its own (no
// fetch waits for one: there is a reader for each worker and one for a
// lone lookup, as many as fetches run at once).
func (s *SQLite) keysByHash(_ context.Context, hashes []string) (map[string]store.Key, error) {
	rd := <-s.readers
	defer func() { s.readers <- rd }()
	found, err := rd.keys(s.core, hashes)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return found, nil
}
