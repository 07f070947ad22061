package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/internal/sqlstore"
)

// Internals for the package's external tests.

var (
	FirstSchema   = firstSchema
	Tables        = tables
	KeysByHashSQL = keysByHashSQL
)

const LookupBatch = sqlstore.MaxLookupBatch

func (p *Postgres) Pool() *pgxpool.Pool { return p.pool }

func (p *Postgres) KeysByHash(ctx context.Context, hashes []string) (map[string]store.Key, error) {
	return p.keysByHash(ctx, hashes)
}

// SweepStatements are the sweeper's statements as this store runs them.
func SweepStatements() []string { return sqlstore.SweepStatements(dialect) }
