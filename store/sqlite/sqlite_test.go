package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/internal/sqlstore"
)

func TestOpenRefusesABadPath(t *testing.T) {
	for _, p := range []string{"", "a?b", "x#y", ":memory:", "file::memory:", "file:x.db"} {
		if _, err := Open(context.Background(), p); err == nil {
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestMigrationsAreRecordedOnceAndReopeningKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.LoadOrStoreSetting(ctx, "x", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.r.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != migrations(t, "sqlite") {
		t.Fatalf("%d migrations recorded (%v), want each once", n, err)
	}
	if v, err := st.LoadOrStoreSetting(ctx, "x", []byte("new")); err != nil || !bytes.Equal(v, []byte("kept")) {
		t.Fatalf("after reopening: %q, %v", v, err)
	}
	var mode string
	if err := st.r.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q, %v", mode, err)
	}
}

func TestSecretWritesLeaveTheWriterAtSynchronousNormal(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.LoadOrStoreSetting(ctx, "a", []byte("b")); err != nil {
		t.Fatal(err)
	}
	var during, after int
	err = coreBackend{st}.SecretTx(ctx, func(q sqlstore.Querier) error {
		return q.QueryRow(ctx, "PRAGMA synchronous").Scan(&during)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&after); err != nil {
		t.Fatal(err)
	}
	// 2 is FULL, 1 is NORMAL.
	if during != 2 || after != 1 {
		t.Fatalf("synchronous %d inside a secret write and %d after, want 2 and 1", during, after)
	}
}

func TestManyHandlesOpenANewFileAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "race.db")
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			st, err := Open(context.Background(), path)
			if err == nil {
				err = st.Close()
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent open: %v", err)
		}
	}
	st2, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	var n int
	if err := st2.r.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != migrations(t, "sqlite") {
		t.Fatalf("%d migrations recorded (%v), want each once", n, err)
	}
}

// A file made by the released first migration, whose SQL declared SQLite's
// own types, opens and works under the migration runner of today.
func TestAFileFromTheReleasedSchemaOpens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	schema, err := os.ReadFile("testdata/001_init_released.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{string(schema),
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, 0)`,
		`INSERT INTO api_keys (id, hash, prefix, start, namespace, owner, name, enabled, created_at, updated_at, remaining)
			VALUES ('key_1', x'0102', 'sk_', 'sk_x', 'default', 'o', 'n', 1, 1000, 1000, 2)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k, err := st.KeyByHash(ctx, []byte{1, 2})
	if err != nil || k.ID != "key_1" || !k.Enabled || *k.Remaining != 2 {
		t.Fatalf("the old key: %+v, %v", k, err)
	}
	if _, ok, err := st.UseKey(ctx, "key_1", 2, time.UnixMilli(2000)); !ok || err != nil {
		t.Fatalf("use: %v, %v", ok, err)
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
// revocation that every token issue makes: a search of the index of live
// tokens, whatever history of used and revoked tokens the subject has.
func TestRevokingASubjectsTokensReadsItsLiveTokensAlone(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.w.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
		INSERT INTO tokens (id, hash, purpose, subject, created_at, expires_at, revoked_at)
		SELECT 'tok_' || i, randomblob(32), 'reset', 'u', 0, 1, 1 FROM n`); err != nil {
		t.Fatal(err)
	}
	rows, err := st.w.QueryContext(ctx, "EXPLAIN QUERY PLAN "+sqlstore.RevokeTokensSQL, 2, "reset", "u")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan += detail + "\n"
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "USING INDEX tokens_live (purpose=? AND subject=?)") {
		t.Fatalf("the revocation does not search the index of live tokens:\n%s", plan)
	}
}

func TestADeletedOrReplacedFileRefusesWrites(t *testing.T) {
	ctx := context.Background()
	for _, how := range []string{"deleted", "replaced"} {
		t.Run("the file "+how, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "s.db")
			st, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			tok := func(id string) store.Token {
				now := time.Now()
				return store.Token{ID: id, Hash: bytes.Repeat([]byte(id[:1]), 32), Purpose: "p", Subject: "s", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			}
			if err := st.InsertToken(ctx, tok("a"), false); err != nil {
				t.Fatal(err)
			}
			if err := st.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			switch how {
			case "deleted":
				for _, suffix := range []string{"", "-wal", "-shm"} {
					if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
				}
			case "replaced":
				other, err := Open(ctx, filepath.Join(dir, "other.db"))
				if err != nil {
					t.Fatal(err)
				}
				other.Close()
				if err := os.Rename(filepath.Join(dir, "other.db"), path); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Ping(ctx); !errors.Is(err, ErrFileGone) {
				t.Errorf("Ping: %v, want ErrFileGone", err)
			}
			if err := st.InsertToken(ctx, tok("b"), false); !errors.Is(err, ErrFileGone) {
				t.Errorf("InsertToken, a write that hands out a secret: %v, want ErrFileGone", err)
			}
			if _, err := st.LoadOrStoreSetting(ctx, "x", []byte("y")); !errors.Is(err, ErrFileGone) {
				t.Errorf("LoadOrStoreSetting, a plain write: %v, want ErrFileGone", err)
			}
		})
	}
}

// BenchmarkCheckFile is the cost that checkFile adds to each write.
func BenchmarkCheckFile(b *testing.B) {
	st, err := Open(context.Background(), filepath.Join(b.TempDir(), "s.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for b.Loop() {
		if err := st.checkFile(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestKeyLookupsReadThroughAMemoryMap(t *testing.T) {
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rd := <-st.readers
	defer func() { st.readers <- rd }()
	q, err := rd.conn.Prepare("PRAGMA mmap_size")
	if err != nil {
		t.Fatal(err)
	}
	defer q.Finalize()
	if row, err := q.Step(); err != nil || !row {
		t.Fatalf("PRAGMA mmap_size: %v, %v", row, err)
	}
	// SQLite clamps the size to its compile-time maximum; 0 would mean no map.
	if got := q.ColumnInt64(0); got < 1<<30 {
		t.Fatalf("a key lookup connection maps %d bytes, want at least 1 GiB", got)
	}
}

// TestSweepsReadIndexesNotTables asks SQLite how it would run each of the
// sweeper's statements: none may read a table of records whole (SCAN), or
// a sweep of a database of ten million live tokens would read them all
// once a minute while holding the one writer. Access keys, which an
// operator makes one by one, are the exception.
func TestSweepsReadIndexesNotTables(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stmts := sqlstore.SweepStatements(dialect)
	if len(stmts) < 7 {
		t.Fatalf("%d sweep statements, want at least 7", len(stmts))
	}
	for _, q := range stmts {
		rows, err := st.w.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, 0, 500)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		for _, d := range plan {
			if strings.HasPrefix(d, "SCAN ") && d != "SCAN access_keys" {
				t.Errorf("%s\nreads a whole table (%s); plan:\n%s", q, d, strings.Join(plan, "\n"))
			}
		}
	}
}
