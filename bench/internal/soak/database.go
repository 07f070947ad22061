package soak

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	_ "modernc.org/sqlite"             // the "sqlite" driver
)

// Database reads what the ledger checks, and the database's size.
type Database interface {
	Size(ctx context.Context) (float64, error)
	Tokens(ctx context.Context, purpose string) (map[string]bool, error) // id → used
	Codes(ctx context.Context, purpose string) (map[string]bool, error)  // id → approved
	Remaining(ctx context.Context) (map[string]int64, error)             // id → remaining, of keys with a limit
	Records(ctx context.Context) (float64, error)                        // rows of tokens, codes, keys and the audit trail
	CountTokens(ctx context.Context, purpose string) (int64, error)      // tokens of purpose, counted in the database
	Close() error
}

type sqlDB struct {
	db     *sql.DB
	sqlite string // the file, for SQLite
	ph     string // "?" or "$1"
}

// OpenDatabase opens the service's database, a SQLite path or a postgres://
// URL, to read it beside the service.
func OpenDatabase(dsn string) (Database, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(2)
		return &sqlDB{db: db, ph: "$1"}, nil
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: dsn}).EscapedPath()+"?_pragma=query_only(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &sqlDB{db: db, sqlite: dsn, ph: "?"}, nil
}

func (d *sqlDB) Close() error { return d.db.Close() }

// Size is the file and its write-ahead log for SQLite; the tables with
// their indexes and TOAST for PostgreSQL (the schema in search_path).
func (d *sqlDB) Size(ctx context.Context) (float64, error) {
	if d.sqlite != "" {
		var n int64
		for _, s := range []string{"", "-wal"} {
			if fi, err := os.Stat(d.sqlite + s); err == nil {
				n += fi.Size()
			}
		}
		return float64(n), nil
	}
	var n int64
	err := d.db.QueryRowContext(ctx, `SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
		JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = current_schema() AND c.relkind = 'r'`).Scan(&n)
	return float64(n), err
}

func (d *sqlDB) flags(ctx context.Context, query, purpose string) (map[string]bool, error) {
	rows, err := d.db.QueryContext(ctx, strings.ReplaceAll(query, "?", d.ph), purpose)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]bool{}
	for rows.Next() {
		var id string
		var f int64
		if err := rows.Scan(&id, &f); err != nil {
			return nil, err
		}
		m[id] = f == 1
	}
	return m, rows.Err()
}

func (d *sqlDB) Tokens(ctx context.Context, purpose string) (map[string]bool, error) {
	return d.flags(ctx, "SELECT id, CASE WHEN used_at IS NULL THEN 0 ELSE 1 END FROM tokens WHERE purpose = ?", purpose)
}

func (d *sqlDB) Codes(ctx context.Context, purpose string) (map[string]bool, error) {
	return d.flags(ctx, "SELECT id, CASE WHEN approved_at IS NULL THEN 0 ELSE 1 END FROM codes WHERE purpose = ?", purpose)
}

func (d *sqlDB) Remaining(ctx context.Context) (map[string]int64, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT id, remaining FROM api_keys WHERE remaining IS NOT NULL")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		m[id] = n
	}
	return m, rows.Err()
}

func (d *sqlDB) Records(ctx context.Context) (float64, error) {
	var n int64
	err := d.db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM tokens) + (SELECT count(*) FROM codes) + (SELECT count(*) FROM api_keys) + (SELECT count(*) FROM audit_log)").Scan(&n)
	return float64(n), err
}

func (d *sqlDB) CountTokens(ctx context.Context, purpose string) (int64, error) {
	var n int64
	err := d.db.QueryRowContext(ctx, "SELECT count(*) FROM tokens WHERE purpose = "+d.ph, purpose).Scan(&n)
	return n, err
}
