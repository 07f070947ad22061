package postgres

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/storetest"
)

// testURL returns the database URL from SECRETS_TEST_POSTGRES_URL or skips.
func testURL(t testing.TB) string {
	u := os.Getenv("SECRETS_TEST_POSTGRES_URL")
	if u == "" {
		t.Skip("SECRETS_TEST_POSTGRES_URL is not set: skipping the PostgreSQL tests " +
			"(e.g. SECRETS_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return u
}

// newSchema creates a schema of its own for one test, dropped at cleanup,
// and returns a function that opens a store whose pool uses it.
func newSchema(t testing.TB) func(t testing.TB) store.Store {
	return newSchemaWith(t, nil)
}

// newSchemaWith is newSchema with extra run-time parameters on every
// connection, as a connection string or the server's configuration may set.
func newSchemaWith(t testing.TB, params map[string]string) func(t testing.TB) store.Store {
	u := testURL(t)
	ctx := context.Background()
	schema := "secrets_test_" + secrets.TokenHex(8)
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Error(err)
		}
	})
	return func(t testing.TB) store.Store {
		cfg, err := pgxpool.ParseConfig(u)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = schema
		for k, v := range params {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
		st, err := OpenConfig(ctx, cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
}

var backend = storetest.Backend{
	NewDB: newSchema,
	Contents: func(t testing.TB, st store.Store) []byte {
		p := st.(*Postgres)
		var all []string
		for _, table := range []string{"tokens", "codes", "api_keys", "settings", "schema_migrations"} {
			rows, err := p.pool.Query(context.Background(), "SELECT t::text FROM "+table+" t")
			if err != nil {
				t.Fatal(err)
			}
			texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, texts...)
		}
		return []byte(strings.Join(all, "\n"))
	},
}

func TestConformance(t *testing.T) {
	testURL(t) // skip once, not in every subtest
	storetest.Run(t, backend)
}

// A database whose default isolation is stricter than READ COMMITTED (set
// by an operator, or in the connection string) must neither over-admit nor
// fail: the statements rely on READ COMMITTED re-reading rows after a lock.
func TestConcurrencyHoldsWhenTheDatabaseDefaultsToRepeatableRead(t *testing.T) {
	testURL(t)
	for _, level := range []string{"repeatable read", "serializable"} {
		t.Run("default_transaction_isolation "+level, func(t *testing.T) {
			storetest.RunConcurrency(t, storetest.Backend{
				NewDB: func(t testing.TB) func(t testing.TB) store.Store {
					return newSchemaWith(t, map[string]string{"default_transaction_isolation": level})
				},
			})
		})
	}
}

func TestManyInstancesMigrateAtOnce(t *testing.T) {
	open := newSchema(t)
	// The schema name, to open pools from goroutines that must not call t.Fatal.
	first := open(t).(*Postgres)
	schema := first.pool.Config().ConnConfig.RuntimeParams["search_path"]
	if _, err := first.pool.Exec(context.Background(), "DROP TABLE schema_migrations, tokens, codes, api_keys, settings"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Go(func() {
			cfg, err := pgxpool.ParseConfig(testURL(t))
			if err != nil {
				errs <- err
				return
			}
			cfg.ConnConfig.RuntimeParams["search_path"] = schema
			st, err := OpenConfig(context.Background(), cfg, Options{})
			if err != nil {
				errs <- err
				return
			}
			st.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent open: %v", err)
	}
	st := open(t).(*Postgres)
	var n int
	if err := st.pool.QueryRow(context.Background(), "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d migrations recorded (%v), want 1", n, err)
	}
}

func TestOpenDoesNotEchoTheConnectionString(t *testing.T) {
	_, err := Open(context.Background(), "postgres://u:hunter2@[::1/x")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}
}

// batchTable fills api_keys with 1,000 keys, few enough that PostgreSQL
// planned "hash = ANY($1)" as a sequential scan of the table, and returns
// their hashes; key i+1 has hashes[i].
func batchTable(t *testing.T, p *Postgres) [][]byte {
	ctx := context.Background()
	hashes := make([][]byte, 1000)
	for i := range hashes {
		hashes[i] = secrets.TokenBytes(32)
	}
	if _, err := p.pool.Exec(ctx, `INSERT INTO api_keys (id, hash, prefix, start, namespace, owner, name, enabled, created_at, updated_at)
		SELECT 'key_' || i, h, 'sk_', 'sk_x', 'default', '', '', true, 0, 0 FROM unnest($1::bytea[]) WITH ORDINALITY AS t(h, i)`, hashes); err != nil {
		t.Fatal(err)
	}
	if _, err := p.pool.Exec(ctx, "ANALYZE api_keys"); err != nil {
		t.Fatal(err)
	}
	return hashes
}

// TestKeyBatchLookupProbesTheIndex checks the plan of the batched key
// lookup: it must use the unique index on hash, both in the plan made for
// the hashes given and in the generic plan of the prepared statement.
func TestKeyBatchLookupProbesTheIndex(t *testing.T) {
	ctx := context.Background()
	p := newSchema(t)(t).(*Postgres)
	hashes := batchTable(t, p)
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "PREPARE batch_lookup AS "+keysByHashSQL[6]); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, "DEALLOCATE batch_lookup")
	defer conn.Exec(ctx, "RESET plan_cache_mode")
	var args []string // EXPLAIN EXECUTE takes no parameters: the hashes go in as text
	for _, h := range hashes[:6] {
		args = append(args, fmt.Sprintf(`'\x%x'`, h))
	}
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		if _, err := conn.Exec(ctx, "SET plan_cache_mode = "+mode); err != nil {
			t.Fatal(err)
		}
		rows, err := conn.Query(ctx, "EXPLAIN EXECUTE batch_lookup("+strings.Join(args, ", ")+")", pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(line + "\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if got := plan.String(); !strings.Contains(got, "Index Scan using api_keys_hash_key") || strings.Contains(got, "Seq Scan") {
			t.Errorf("%s: the batched lookup does not probe the index on hash:\n%s", mode, got)
		}
	}
}

// TestKeyBatchLookupIsPlannedOnce checks that PostgreSQL plans the batched
// lookup once and reuses the plan (its generic plan), rather than planning
// every execution: on one connection, 30 batches of 6 hashes, of which
// PostgreSQL plans the first 5 for their values before it compares.
func TestKeyBatchLookupIsPlannedOnce(t *testing.T) {
	ctx := context.Background()
	u := testURL(t)
	p := newSchema(t)(t).(*Postgres)
	hashes := batchTable(t, p)
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = p.pool.Config().ConnConfig.RuntimeParams["search_path"]
	cfg.MaxConns = 1 // one session, whose prepared statements the query below sees
	one, err := OpenConfig(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	for i := range 30 {
		batch := make([]string, 6)
		for j := range batch {
			batch[j] = string(hashes[(i*6+j)%len(hashes)])
		}
		found, err := one.keysByHash(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 6 {
			t.Fatalf("batch %d: found %d of 6 keys", i, len(found))
		}
	}
	var generic, custom int64
	if err := one.pool.QueryRow(ctx, `SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0)
		FROM pg_prepared_statements WHERE statement LIKE '%LATERAL%api_keys%'`).Scan(&generic, &custom); err != nil {
		t.Fatal(err)
	}
	if generic < 25 || custom > 5 {
		t.Errorf("30 batched lookups made %d generic and %d custom plans: want the generic plan from the 6th on", generic, custom)
	}
}

// TestKeyBatchLookupFinds checks keysByHash on its own: the keys found,
// one not found, and batch sizes out of range.
func TestKeyBatchLookupFinds(t *testing.T) {
	ctx := context.Background()
	p := newSchema(t)(t).(*Postgres)
	hashes := batchTable(t, p)
	found, err := p.keysByHash(ctx, []string{string(hashes[0]), string(hashes[999]), "no such hash"})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 2 || found[string(hashes[0])].ID != "key_1" || found[string(hashes[999])].ID != "key_1000" {
		t.Errorf("keysByHash found %d keys: %v", len(found), found)
	}
	for _, n := range []int{0, lookupBatch + 1} {
		if _, err := p.keysByHash(ctx, make([]string, n)); err == nil {
			t.Errorf("keysByHash of %d hashes: no error", n)
		}
	}
	all := make([]string, lookupBatch)
	for i := range all {
		all[i] = string(hashes[i])
	}
	if found, err := p.keysByHash(ctx, all); err != nil || len(found) != lookupBatch {
		t.Errorf("keysByHash of %d hashes: %d found, %v", lookupBatch, len(found), err)
	}
}
