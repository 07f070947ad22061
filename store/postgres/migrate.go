package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/unguessable/secrets/store/internal/sqlstore"
)

// migrationLock is the key of the session advisory lock held while
// migrating, so that instances starting at once migrate one at a time and
// each migration runs exactly once.
const migrationLock = 0x5ec2e75

// tables are the tables of the schema, as the first migration made them.
var tables = []string{"tokens", "codes", "api_keys", "settings", "schema_migrations"}

// migrate creates schema if it is missing, moves into it the tables of a
// database made before the tables had a schema of their own, and applies
// the migrations it lacks.
func (p *Postgres) migrate(ctx context.Context, schema string) error {
	ms, err := sqlstore.Migrations("postgres")
	if err != nil {
		return err
	}
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	// Check before creating: CREATE SCHEMA IF NOT EXISTS needs the CREATE
	// privilege on the database even when the schema exists.
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
			return fmt.Errorf("migrate: create schema %q: %w", schema, err)
		}
	}
	if err := moveFromPublic(ctx, conn.Conn(), schema); err != nil {
		return err
	}
	q := querier{conn}
	tx := func(ctx context.Context, fn func(sqlstore.Querier) error) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return fn(querier{tx}) })
	}
	return sqlstore.Migrate(ctx, q, tx, ms)
}

// moveFromPublic moves this store's tables from public into schema, in one
// transaction, when public holds them all (a database made before the
// tables had a schema of their own) and schema holds none.
func moveFromPublic(ctx context.Context, conn *pgx.Conn, schema string) error {
	if schema == "public" {
		return nil
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var inPublic, inSchema int
		if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE n.nspname = 'public'), count(*) FILTER (WHERE n.nspname = $1)
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind = 'r' AND c.relname = ANY($2)`, schema, tables).Scan(&inPublic, &inSchema); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if inPublic != len(tables) || inSchema != 0 {
			return nil
		}
		for _, t := range tables {
			if _, err := tx.Exec(ctx, `ALTER TABLE public.`+t+` SET SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
				return fmt.Errorf("migrate: move %s into schema %q: %w", t, schema, err)
			}
		}
		return nil
	})
}
