// Package postgres is the [store.Store] for many service instances sharing
// one PostgreSQL database, through pgx (github.com/jackc/pgx/v5).
//
// Every decision is one UPDATE … WHERE … RETURNING, whose row lock and
// re-check of the WHERE clause under READ COMMITTED make concurrent callers
// in any number of processes queue on the row; issuing a code, or a token
// that revokes the subject's others, takes a transaction-scoped advisory
// lock per purpose and subject, so the send throttle and the one live token
// hold across instances. Every connection runs at READ COMMITTED whatever
// the server's default: a stricter default would make these statements fail
// with serialization errors under load, and would let a transaction's
// snapshot predate the lock it waited for. Commits are durable
// (synchronous_commit as the server sets it, on by default).
//
// The tables live in a schema of their own, so that an application's own
// tables of the same names never clash: "secrets" by default, or the first
// schema of a search_path given in the connection string
// (postgres://…/app?search_path=auth) or in [Options]. [Open] creates the
// schema if it is missing, moves the tables of a database made before
// schemas (in public) into it, and applies the migrations it lacks under a
// session advisory lock, so many instances may start at once.
//
// The statements are the store core's (store/internal/sqlstore), shared
// with store/sqlite; this package holds the connections, the locks and the
// batched key lookup.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/internal/sqlstore"
)

var (
	_ store.Store     = (*Postgres)(nil)
	_ store.Outbox    = (*Postgres)(nil)
	_ store.Dashboard = (*Postgres)(nil)
	_ store.Analytics = (*Postgres)(nil)
)

// DefaultSchema is the schema of the tables unless a search_path names
// another.
const DefaultSchema = "secrets"

// core is embedded under an unexported name: its methods are the store's,
// its type stays internal.
type core = sqlstore.Core

// Postgres is a store.Store on a PostgreSQL database.
type Postgres struct {
	*core
	pool *pgxpool.Pool
}

// Options tune how a database is opened; the zero value is the default.
type Options struct {
	// Schema holds the tables; default the first schema of the connection's
	// search_path if it sets one, else DefaultSchema.
	Schema string
	// LookupWorkers is how many coalesced batches of key lookups run at
	// once, beside the lone lookups of callers who find nothing in flight;
	// default GOMAXPROCS / 2, at least 1. Fewer workers fill batches
	// fuller (see docs/BENCHMARKS-STORE.md).
	LookupWorkers int
}

var dialect = sqlstore.Dialect{
	Name:       "postgres",
	Greatest:   "GREATEST",
	ForUpdate:  " FOR UPDATE",
	SkipLocked: " FOR UPDATE SKIP LOCKED",
	IsUnique: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505"
	},
	IsNoRows: func(err error) bool { return errors.Is(err, pgx.ErrNoRows) },
}

// Open connects to the database at connString (a postgres:// URL or
// key=value string, as pgx accepts; search_path and other run-time
// parameters may be given in it) and applies any migrations it lacks.
func Open(ctx context.Context, connString string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgx's parse errors can quote the connection string, password and all.
		return nil, errors.New("postgres: the connection string does not parse")
	}
	return OpenConfig(ctx, cfg, Options{})
}

// OpenConfig is Open with a parsed pool configuration, which is left
// unchanged, and options.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config, opts Options) (*Postgres, error) {
	cfg = cfg.Copy()
	params := cfg.ConnConfig.RuntimeParams
	params["default_transaction_isolation"] = "read committed"
	schema := opts.Schema
	if schema == "" {
		schema = firstSchema(params["search_path"])
	}
	if schema == "" {
		schema = DefaultSchema
	}
	if opts.Schema != "" || params["search_path"] == "" {
		params["search_path"] = pgx.Identifier{schema}.Sanitize()
	}
	workers := opts.LookupWorkers
	if workers <= 0 {
		workers = max(1, runtime.GOMAXPROCS(0)/2)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	p := &Postgres{pool: pool}
	p.core = sqlstore.New(dialect, querier{pool}, querier{pool}, coreBackend{p})
	if err := p.migrate(ctx, schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	p.StartLookups(sqlstore.Lookups{Batch: p.keysByHash, One: p.keyByHash, Workers: workers})
	return p, nil
}

// firstSchema is the first schema a search_path names, unquoted; "" for
// none or "$user".
func firstSchema(searchPath string) string {
	first, _, _ := strings.Cut(searchPath, ",")
	first = strings.TrimSpace(first)
	if len(first) >= 2 && first[0] == '"' && first[len(first)-1] == '"' {
		first = strings.ReplaceAll(first[1:len(first)-1], `""`, `"`)
	} else {
		first = strings.ToLower(first)
	}
	if first == "$user" {
		return ""
	}
	return first
}

// Close closes the pool.
func (p *Postgres) Close() error {
	p.StopLookups()
	p.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (p *Postgres) Ping(ctx context.Context) error {
	if err := p.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// querier is a sqlstore.Querier over a pool or a transaction.
type querier struct {
	q interface {
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	}
}

func (q querier) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	return q.q.QueryRow(ctx, sql, args...)
}

func (q querier) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	rows, err := q.q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgxRows{rows}, nil
}

func (q querier) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := q.q.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

// pgxRows gives pgx.Rows the Close of database/sql.
type pgxRows struct{ pgx.Rows }

func (r pgxRows) Close() error {
	r.Rows.Close()
	return r.Rows.Err()
}

// coreBackend gives the store core PostgreSQL's transactions and locks.
type coreBackend struct{ p *Postgres }

// SecretTx runs fn in a transaction; commits are durable as the server
// makes them.
func (b coreBackend) SecretTx(ctx context.Context, fn func(sqlstore.Querier) error) error {
	err := pgx.BeginFunc(ctx, b.p.pool, func(tx pgx.Tx) error { return fn(querier{tx}) })
	var pe *pgconn.PgError
	if err != nil && errors.As(err, &pe) && pe.Code == "53100" { // disk_full
		return fmt.Errorf("%w: %w", store.ErrStorageFull, err)
	}
	return err
}

// Tx runs fn in a transaction, as SecretTx does.
func (b coreBackend) Tx(ctx context.Context, fn func(sqlstore.Querier) error) error {
	return b.SecretTx(ctx, fn)
}

// LockSubject takes a transaction-scoped advisory lock on purpose and
// subject, one lock space for each kind.
func (coreBackend) LockSubject(ctx context.Context, q sqlstore.Querier, kind sqlstore.Lock, purpose, subject string) error {
	seed := map[sqlstore.Lock]int{sqlstore.LockTokens: 8, sqlstore.LockCodes: 7}[kind]
	var one any
	return q.QueryRow(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(length($1)::text || ':' || $1 || $2, $3))`,
		purpose, subject, seed).Scan(&one)
}

// VacuumProblem says why PostgreSQL will not vacuum the service's tables by
// itself, each reason joined by "; ", or "" if it will. The sweeper deletes
// used and expired records; only VACUUM makes their space reusable, so
// without autovacuum the tables and indexes grow, and verification slows,
// while the records held stay level (docs/SOAK.md measured it).
func (p *Postgres) VacuumProblem(ctx context.Context) (string, error) {
	var autovacuum, trackCounts string
	var tables []string
	err := p.pool.QueryRow(ctx, `SELECT current_setting('autovacuum'), current_setting('track_counts'),
	ARRAY(SELECT c.relname::text FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
		AND EXISTS (SELECT 1 FROM unnest(c.reloptions) o WHERE o ~* '^autovacuum_enabled=(f|fa|fal|fals|false|n|no|of|off|0)$')
		ORDER BY c.relname)`).Scan(&autovacuum, &trackCounts, &tables)
	if err != nil {
		return "", fmt.Errorf("postgres: reading the autovacuum settings: %w", err)
	}
	var why []string
	if autovacuum != "on" {
		why = append(why, "the server's autovacuum setting is off")
	}
	if trackCounts != "on" {
		why = append(why, "the server's track_counts setting is off, which autovacuum needs")
	}
	if len(tables) > 0 {
		why = append(why, "autovacuum_enabled is off for the table(s) "+strings.Join(tables, ", "))
	}
	return strings.Join(why, "; "), nil
}
