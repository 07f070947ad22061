// Package sqlstore is the one implementation of [store.Store] over SQL that
// store/sqlite and store/postgres share: the records and their columns,
// scanning, the statements that decide an outcome, the update builder, the
// sweep loop and the migration runner. A backend supplies a [Dialect] (the
// few words of SQL that differ), [Querier]s over its connections, and the
// transactions and locks of its database; it keeps its own connection
// management and its key lookups by hash, the read that every plain-key
// verification makes.
//
// A new record or column is added here once: in a migration under
// migrations/, in the column list and scan function of its record, and in
// the statements that write it.
package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/unguessable/secrets/internal/coalesce"
	"github.com/unguessable/secrets/store"
)

// Row is one result row: *sql.Row and pgx.Row both are.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result set.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// Querier runs statements on a connection pool or in a transaction. A Row
// whose query matched nothing returns an error for which the dialect's
// IsNoRows is true.
type Querier interface {
	QueryRow(ctx context.Context, query string, args ...any) Row
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// Exec runs a statement and returns how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
}

// Dialect is what differs between the databases, as words of SQL and as
// checks of their errors. Statements use $1-style parameters, which both
// databases accept, and CAST(… AS BIGINT) or CAST(… AS TEXT) where
// PostgreSQL cannot infer a parameter's type.
type Dialect struct {
	// Name prefixes every error: "sqlite", "postgres".
	Name string
	// Greatest is the function that returns the larger of two values:
	// MAX in SQLite, GREATEST in PostgreSQL.
	Greatest string
	// ForUpdate follows a SELECT that reads a row about to be changed in
	// the same transaction: " FOR UPDATE", or "" where writers are
	// serialised anyway.
	ForUpdate string
	// SkipLocked follows the SELECT of rows to sweep, so that a sweep never
	// waits on rows a verification holds: " FOR UPDATE SKIP LOCKED" or "".
	SkipLocked string
	// IsUnique reports whether err is a violated unique constraint.
	IsUnique func(error) bool
	// IsNoRows reports whether err says that a query matched no row.
	IsNoRows func(error) bool
}

// Lock is the kind of write a backend serialises per purpose and subject.
type Lock int

const (
	// LockTokens is held while a token is issued that revokes the
	// subject's others.
	LockTokens Lock = iota + 1
	// LockCodes is held while a code is issued under the send throttle.
	LockCodes
)

// Backend is what a database gives the core beyond its Queriers.
type Backend interface {
	// SecretTx runs fn in one transaction whose commit is durable before
	// it returns: it hands out a secret. fn's error rolls it back and is
	// returned as it is.
	SecretTx(ctx context.Context, fn func(q Querier) error) error
	// Tx runs fn in one transaction whose commit survives a crash of the
	// process (perhaps not of the machine). fn's error rolls it back and is
	// returned as it is.
	Tx(ctx context.Context, fn func(q Querier) error) error
	// LockSubject serialises, until the transaction q ends, the writes of
	// this kind to one purpose and subject across every process.
	LockSubject(ctx context.Context, q Querier, kind Lock, purpose, subject string) error
}

// Core implements every [store.Store] method but Ping and Close, which a
// backend adds by embedding *Core; KeyByHash reads through the lookups the
// backend starts ([Core.StartLookups]).
type Core struct {
	d Dialect
	w Querier // writes and the reads that decide them
	r Querier // reads
	b Backend

	byHash *coalesce.Coalescer[store.Key] // see StartLookups
}

// New returns a Core that writes through w, reads through r and takes its
// transactions and locks from b.
func New(d Dialect, w, r Querier, b Backend) *Core {
	return &Core{d: d, w: w, r: r, b: b}
}

// errorf wraps err with the dialect's name and what was being done; the
// database's messages name tables and columns, never bound values, so no
// digest reaches them.
func (c *Core) errorf(op string, err error) error {
	return fmt.Errorf("%s: %s: %w", c.d.Name, op, err)
}

// row maps a scanned row's errors: no row is store.ErrNotFound.
func (c *Core) row(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case c.d.IsNoRows(err):
		return store.ErrNotFound
	}
	return c.errorf(op, err)
}

// insertErr maps an insert's error: a unique violation is store.ErrDuplicate.
func (c *Core) insertErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case c.d.IsUnique(err):
		return store.ErrDuplicate
	}
	return c.errorf(op, err)
}

// millis is t in Unix milliseconds; the zero time is NULL.
func millis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMillis is the time of stored Unix milliseconds; NULL (nil) and 0 are
// the zero time.
func fromMillis(ms *int64) time.Time {
	if ms == nil || *ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(*ms).UTC()
}

// text is b as a nullable TEXT value.
func text(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// bytesOf is a nullable TEXT column's bytes.
func bytesOf(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

// Sweep deletes what the cutoffs say is over, in batches of at most batch
// rows, each its own statement.
func (c *Core) Sweep(ctx context.Context, cut store.Cutoffs, batch int) (int64, error) {
	var total int64
	for _, q := range sweeps(c.d) {
		cutoff := q.cutoff(cut)
		if cutoff.IsZero() {
			continue
		}
		for {
			began := time.Now()
			n, err := c.w.Exec(ctx, q.sql, cutoff.UnixMilli(), batch)
			if err != nil {
				return total, c.errorf("sweep", err)
			}
			total += n
			if n < int64(batch) {
				break
			}
			if err := rest(ctx, time.Since(began)); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// sweep is one of the sweeper's delete statements, $1 the cutoff in Unix
// milliseconds and $2 the most rows it deletes, with the cutoff it takes.
type sweep struct {
	sql    string
	cutoff func(store.Cutoffs) time.Time
}

// sweeps are the sweeper's statements as d runs them. Every term of their
// conditions is indexed (migration 010), so that a sweep reads the rows it
// deletes and not the table: a table of ten million live tokens is not
// read whole once a minute.
func sweeps(d Dialect) []sweep {
	records := func(c store.Cutoffs) time.Time { return c.Records }
	tombstones := func(c store.Cutoffs) time.Time { return c.Tombstones }
	audit := func(c store.Cutoffs) time.Time { return c.Audit }
	return []sweep{
		{`DELETE FROM tokens WHERE id IN (SELECT id FROM tokens
			WHERE expires_at < $1 OR used_at < $1 OR revoked_at < $1 LIMIT $2` + d.SkipLocked + `)`, records},
		// Never a live code; created_at <= expires_at, so its term only
		// lets the codes_created index narrow the scan.
		{`DELETE FROM codes WHERE id IN (SELECT id FROM codes WHERE created_at < $1 AND expires_at < $1 LIMIT $2` + d.SkipLocked + `)`, records},
		{`DELETE FROM code_budgets WHERE (purpose, subject) IN (SELECT purpose, subject FROM code_budgets
			WHERE window_end < $1 LIMIT $2` + d.SkipLocked + `)`, records},
		{`DELETE FROM api_keys WHERE id IN (SELECT id FROM api_keys
			WHERE expires_at < $1 OR revoked_at < $1 LIMIT $2` + d.SkipLocked + `)`, tombstones},
		// Access keys are few (an operator makes each): no index.
		{`DELETE FROM access_keys WHERE id IN (SELECT id FROM access_keys WHERE revoked_at < $1 LIMIT $2` + d.SkipLocked + `)`, tombstones},
		{`DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 LIMIT $2` + d.SkipLocked + `)`, audit},
		// A delivery is kept as long as its secret: its status is an answer
		// about that secret.
		{`DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE expires_at < $1 LIMIT $2` + d.SkipLocked + `)`, records},
	}
}

// SweepStatements returns the sweeper's delete statements as d runs them,
// each with $1 the cutoff (Unix milliseconds) and $2 the batch size, for a
// test that asks the database how it would run them.
func SweepStatements(d Dialect) []string {
	var out []string
	for _, q := range sweeps(d) {
		out = append(out, q.sql)
	}
	return out
}

// sweepRest is how long a sweep rests between two full batches, in
// multiples of the time the last batch took.
const sweepRest = 2

// rest waits, between two full batches of a sweep, twice as long as the
// last batch took: a sweep of millions of rows then takes at most a third
// of one core (and, on SQLite, a third of the writer's time), so that
// verifications and writes keep their latency while it runs (at half a
// core, verification p99 on this project's 2-core test machine rose to
// 2.1x its level without a sweep in the worst 10-second window). It
// returns early with ctx's error.
func rest(ctx context.Context, took time.Duration) error {
	t := time.NewTimer(sweepRest * took)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Setting returns the value of setting name.
func (c *Core) Setting(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	if err := c.w.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, c.row("load setting", err)
	}
	return v, nil
}

// DeleteSetting deletes setting name.
func (c *Core) DeleteSetting(ctx context.Context, name string) error {
	if _, err := c.w.Exec(ctx, `DELETE FROM settings WHERE name = $1`, name); err != nil {
		return c.errorf("delete setting", err)
	}
	return nil
}

// LoadOrStoreSetting returns the setting, storing value first if unset.
func (c *Core) LoadOrStoreSetting(ctx context.Context, name string, value []byte) ([]byte, error) {
	if _, err := c.w.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return nil, c.errorf("store setting", err)
	}
	var v []byte
	if err := c.w.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, c.errorf("load setting", err)
	}
	return v, nil
}
