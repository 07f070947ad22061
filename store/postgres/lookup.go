package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/internal/sqlstore"
)

// keyByHash reads one key, when no other lookup is in flight, as the plain
// equality it is: an array parameter costs more to bind and plan. (Under
// load, that cost is what keeps batches full.)
func (p *Postgres) keyByHash(ctx context.Context, hash string) (store.Key, bool, error) {
	k, err := p.ScanKeyLookup(p.pool.QueryRow(ctx, `SELECT `+sqlstore.KeyLookupCols+` FROM api_keys WHERE hash = $1`, []byte(hash)))
	if errors.Is(err, store.ErrNotFound) {
		return k, false, nil
	}
	return k, err == nil, err
}

// keysByHash reads the keys with these hashes in one statement, one probe
// of the unique index on hash for each.
//
// The probes are spelled out: each hash drives its own subquery, which
// OFFSET 0 keeps the planner from merging into a join. Written as
// "hash = ANY($1)" or as a join on unnest($1), the statement was planned
// as a sequential scan of api_keys whenever the table held no more than a
// few thousand keys (PostgreSQL prices a random page read at 4 sequential
// ones, although these pages are in memory).
//
// The hashes are one parameter each, with one statement text per batch
// size, not one array parameter: the plan of a prepared statement then
// does not depend on its parameters' values, so PostgreSQL keeps its
// generic plan; for an array parameter it planned every execution afresh.
// See docs/BENCHMARKS-STORE.md.
func (p *Postgres) keysByHash(ctx context.Context, hashes []string) (map[string]store.Key, error) {
	if len(hashes) == 0 || len(hashes) > sqlstore.MaxLookupBatch {
		return nil, fmt.Errorf("postgres: key lookup: %d hashes in one batch", len(hashes)) // the coalescer's bug
	}
	arg := make([]any, len(hashes))
	for i, h := range hashes {
		arg[i] = []byte(h)
	}
	rows, err := p.pool.Query(ctx, keysByHashSQL[len(hashes)], arg...)
	if err != nil {
		return nil, fmt.Errorf("postgres: key lookup: %w", err)
	}
	keys, err := p.ScanKeyLookups(pgxRows{rows}, "key lookup")
	if err != nil {
		return nil, err
	}
	found := make(map[string]store.Key, len(keys))
	for _, k := range keys {
		found[string(k.Hash)] = k
	}
	return found, nil
}

// keysByHashSQL[n] is the statement of keysByHash for n hashes.
var keysByHashSQL = func() []string {
	stmts := make([]string, sqlstore.MaxLookupBatch+1)
	var params strings.Builder
	for n := 1; n <= sqlstore.MaxLookupBatch; n++ {
		if n > 1 {
			params.WriteString(", ")
		}
		fmt.Fprintf(&params, "$%d::bytea", n)
		stmts[n] = `SELECT k.* FROM unnest(ARRAY[` + params.String() + `]) AS h(hash)
	CROSS JOIN LATERAL (SELECT ` + sqlstore.KeyLookupCols + ` FROM api_keys WHERE api_keys.hash = h.hash OFFSET 0) AS k`
	}
	return stmts
}()
