package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store/internal/sqlstore"
	"github.com/unguessable/secrets/store/postgres"
	"github.com/unguessable/secrets/store/storetest"
)

// newStore opens a store on a fresh schema of its own.
func newStore(t *testing.T) *postgres.Postgres {
	return backendtest.Postgres(nil).NewDB(t).Open(t).(*postgres.Postgres)
}

func TestConformance(t *testing.T) {
	backendtest.URL(t) // skip once, not in every subtest
	storetest.Run(t, backendtest.Postgres(nil).Storetest())
}

// A database whose default isolation is stricter than READ COMMITTED (set
// by an operator, or in the connection string) must neither over-admit nor
// fail: the statements rely on READ COMMITTED re-reading rows after a lock.
func TestConcurrencyHoldsWhenTheDatabaseDefaultsToRepeatableRead(t *testing.T) {
	backendtest.URL(t)
	for _, level := range []string{"repeatable read", "serializable"} {
		t.Run("default_transaction_isolation "+level, func(t *testing.T) {
			storetest.RunAtomic(t, backendtest.Postgres(map[string]string{"default_transaction_isolation": level}).Storetest())
		})
	}
}

func TestManyInstancesMigrateAtOnce(t *testing.T) {
	db := backendtest.Postgres(nil).NewDB(t)
	first := db.Open(t).(*postgres.Postgres)
	if _, err := first.Pool().Exec(context.Background(), "DROP TABLE schema_migrations, tokens, codes, api_keys, settings, access_keys, audit_log, code_budgets, deliveries, dashboard_sessions, analytics_counts, owner_ratelimits, roles"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Go(func() {
			st, err := postgres.Open(context.Background(), db.DSN)
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
	st := db.Open(t).(*postgres.Postgres)
	var n int
	if err := st.Pool().QueryRow(context.Background(), "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != migrations(t, "postgres") {
		t.Fatalf("%d migrations recorded (%v), want each once", n, err)
	}
}

func TestOpenDoesNotEchoTheConnectionString(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://u:hunter2@[::1/x")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}
}

// batchTable fills api_keys with 1,000 keys, few enough that PostgreSQL
// planned "hash = ANY($1)" as a sequential scan of the table, and returns
// their hashes; key i+1 has hashes[i].
func batchTable(t *testing.T, p *postgres.Postgres) [][]byte {
	ctx := context.Background()
	hashes := make([][]byte, 1000)
	for i := range hashes {
		hashes[i] = secrets.TokenBytes(32)
	}
	if _, err := p.Pool().Exec(ctx, `INSERT INTO api_keys (id, hash, prefix, start, namespace, owner, name, enabled, created_at, updated_at)
		SELECT 'key_' || i, h, 'sk_', 'sk_x', 'default', '', '', true, 0, 0 FROM unnest($1::bytea[]) WITH ORDINALITY AS t(h, i)`, hashes); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Pool().Exec(ctx, "ANALYZE api_keys"); err != nil {
		t.Fatal(err)
	}
	return hashes
}

// TestKeyBatchLookupProbesTheIndex checks the plan of the batched key
// lookup: it must use the unique index on hash, both in the plan made for
// the hashes given and in the generic plan of the prepared statement.
func TestKeyBatchLookupProbesTheIndex(t *testing.T) {
	ctx := context.Background()
	p := newStore(t)
	hashes := batchTable(t, p)
	conn, err := p.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "PREPARE batch_lookup AS "+postgres.KeysByHashSQL[6]); err != nil {
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
		if got := explain(t, conn, "EXPLAIN EXECUTE batch_lookup("+strings.Join(args, ", ")+")", pgx.QueryExecModeSimpleProtocol); !strings.Contains(got, "Index Scan using api_keys_hash_key") || strings.Contains(got, "Seq Scan") {
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
	db := backendtest.Postgres(nil).NewDB(t)
	p := db.Open(t).(*postgres.Postgres)
	hashes := batchTable(t, p)
	cfg, err := pgxpool.ParseConfig(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1 // one session, whose prepared statements the query below sees
	one, err := postgres.OpenConfig(ctx, cfg, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	for i := range 30 {
		batch := make([]string, 6)
		for j := range batch {
			batch[j] = string(hashes[(i*6+j)%len(hashes)])
		}
		found, err := one.KeysByHash(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 6 {
			t.Fatalf("batch %d: found %d of 6 keys", i, len(found))
		}
	}
	var generic, custom int64
	if err := one.Pool().QueryRow(ctx, `SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0)
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
	p := newStore(t)
	hashes := batchTable(t, p)
	found, err := p.KeysByHash(ctx, []string{string(hashes[0]), string(hashes[999]), "no such hash"})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 2 || found[string(hashes[0])].ID != "key_1" || found[string(hashes[999])].ID != "key_1000" {
		t.Errorf("keysByHash found %d keys: %v", len(found), found)
	}
	for _, n := range []int{0, postgres.LookupBatch + 1} {
		if _, err := p.KeysByHash(ctx, make([]string, n)); err == nil {
			t.Errorf("keysByHash of %d hashes: no error", n)
		}
	}
	all := make([]string, postgres.LookupBatch)
	for i := range all {
		all[i] = string(hashes[i])
	}
	if found, err := p.KeysByHash(ctx, all); err != nil || len(found) != postgres.LookupBatch {
		t.Errorf("keysByHash of %d hashes: %d found, %v", postgres.LookupBatch, len(found), err)
	}
}

// migrations is how many migrations dialect has.
func migrations(t *testing.T, dialect string) int {
	ms, err := sqlstore.Migrations(dialect)
	if err != nil {
		t.Fatal(err)
	}
	return len(ms)
}

// TestRevokingASubjectsTokensReadsItsLiveTokensAlone checks the plan of the
// revocation that every token issue makes, custom and generic: a scan of
// the index of live tokens, whatever history of used and revoked tokens
// the subject has.
func TestRevokingASubjectsTokensReadsItsLiveTokensAlone(t *testing.T) {
	ctx := context.Background()
	p := newStore(t)
	if _, err := p.Pool().Exec(ctx, `INSERT INTO tokens (id, hash, purpose, subject, created_at, expires_at, revoked_at)
		SELECT 'tok_' || i, sha256(convert_to('tok_' || i, 'UTF8')), 'reset', CASE WHEN i % 10 = 0 THEN 'v' || i ELSE 'u' END, 0, 1, 1
		FROM generate_series(1, 20000) AS i`); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Pool().Exec(ctx, "ANALYZE tokens"); err != nil {
		t.Fatal(err)
	}
	conn, err := p.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "PREPARE revoke_tokens AS "+sqlstore.RevokeTokensSQL); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, "DEALLOCATE revoke_tokens")
	defer conn.Exec(ctx, "RESET plan_cache_mode")
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		if _, err := conn.Exec(ctx, "SET plan_cache_mode = "+mode); err != nil {
			t.Fatal(err)
		}
		rows, err := conn.Query(ctx, "EXPLAIN EXECUTE revoke_tokens(2, 'reset', 'u')", pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if plan := strings.Join(lines, "\n"); !strings.Contains(plan, "tokens_live") || strings.Contains(plan, "Seq Scan") {
			t.Errorf("%s: the revocation does not scan the index of live tokens:\n%s", mode, plan)
		}
	}
}

// TestSweepsReadIndexesNotTables asks PostgreSQL how it would run each of
// the sweeper's statements with sequential scans made as dear as they go:
// a plan that still reads a table of records whole has no index for one
// of its terms, and on ten million live tokens would read them all once a
// minute. Access keys, which an operator makes one by one, are the
// exception.
func TestSweepsReadIndexesNotTables(t *testing.T) {
	ctx := context.Background()
	p := newStore(t)
	stmts := postgres.SweepStatements()
	if len(stmts) < 7 {
		t.Fatalf("%d sweep statements, want at least 7", len(stmts))
	}
	conn, err := p.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	defer conn.Exec(ctx, "RESET enable_seqscan")
	if _, err := conn.Exec(ctx, "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	for _, q := range stmts {
		plan := explain(t, conn, "EXPLAIN "+q, 0, 500)
		for _, line := range strings.Split(plan, "\n") {
			if strings.Contains(line, "Seq Scan on") && !strings.Contains(line, "Seq Scan on access_keys") {
				t.Errorf("%s\nreads a whole table; plan:\n%s", q, plan)
				break
			}
		}
	}
}

// explain runs an EXPLAIN on conn and returns its plan, a line a row.
func explain(t *testing.T, conn *pgxpool.Conn, query string, args ...any) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
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
	return plan.String()
}

// VacuumProblem reads the server's settings as they are (the test server
// may run with autovacuum off) and the tables' own autovacuum_enabled.
func TestVacuumProblemReadsTheSettings(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	var autovacuum, trackCounts string
	if err := st.Pool().QueryRow(ctx, "SELECT current_setting('autovacuum'), current_setting('track_counts')").Scan(&autovacuum, &trackCounts); err != nil {
		t.Fatal(err)
	}
	var server []string
	if autovacuum != "on" {
		server = append(server, "the server's autovacuum setting is off")
	}
	if trackCounts != "on" {
		server = append(server, "the server's track_counts setting is off, which autovacuum needs")
	}
	got, err := st.VacuumProblem(ctx)
	if want := strings.Join(server, "; "); err != nil || got != want {
		t.Errorf("autovacuum = %s, track_counts = %s: VacuumProblem says %q, %v; want %q", autovacuum, trackCounts, got, err, want)
	}
	for _, stmt := range []string{"ALTER TABLE tokens SET (autovacuum_enabled = off)", "ALTER TABLE codes SET (autovacuum_enabled = 'no')", "ALTER TABLE api_keys SET (autovacuum_enabled = on)"} {
		if _, err := st.Pool().Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	got, err = st.VacuumProblem(ctx)
	if want := strings.Join(append(server, "autovacuum_enabled is off for the table(s) codes, tokens"), "; "); err != nil || got != want {
		t.Errorf("with two tables' autovacuum_enabled off: VacuumProblem says %q, %v; want %q", got, err, want)
	}
}
