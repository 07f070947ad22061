package postgres_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/internal/sqlstore"
	"github.com/unguessable/secrets/store/postgres"
)

// schemaOf returns the schema that holds each table named.
func schemaOf(t *testing.T, u string, tables ...string) map[string]string {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT c.relname, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND c.relname = ANY($1)`, tables)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var table, schema string
		if err := rows.Scan(&table, &schema); err != nil {
			t.Fatal(err)
		}
		if prev, ok := got[table]; ok {
			schema = prev + "," + schema
		}
		got[table] = schema
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestTablesLiveInTheSecretsSchemaBesideTheApplicationsOwn(t *testing.T) {
	u := backendtest.NewPostgresDatabase(t)
	ctx := context.Background()
	// The application's own tokens table, in public.
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE tokens (user_id int, token text)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	st, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.InsertToken(ctx, store.Token{ID: "tok_1", Hash: []byte("h"), Purpose: "p", Subject: "s",
		CreatedAt: time.UnixMilli(1000), ExpiresAt: time.UnixMilli(2000)}, false); err != nil {
		t.Fatal(err)
	}
	got := schemaOf(t, u, "tokens", "api_keys", "schema_migrations")
	if got["tokens"] != "public,secrets" && got["tokens"] != "secrets,public" || got["api_keys"] != postgres.DefaultSchema || got["schema_migrations"] != postgres.DefaultSchema {
		t.Fatalf("tables in %v", got)
	}
	if _, err := st.GetToken(ctx, "p", []byte("h")); err != nil {
		t.Fatalf("the token: %v", err)
	}
}

func TestASearchPathInTheURLNamesTheSchema(t *testing.T) {
	u := backendtest.NewPostgresDatabase(t)
	ctx := context.Background()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := pu.Query()
	q.Set("search_path", "auth_store")
	pu.RawQuery = q.Encode()
	st, err := postgres.Open(ctx, pu.String())
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if got := schemaOf(t, u, "api_keys"); got["api_keys"] != "auth_store" {
		t.Fatalf("api_keys in %q", got["api_keys"])
	}
}

// A database made before the tables had a schema of their own holds them
// in public; opening it moves them, rows and all, into the schema.
func TestADatabaseFromBeforeSchemasIsMigratedInPlace(t *testing.T) {
	u := backendtest.NewPostgresDatabase(t)
	ctx := context.Background()
	ms, err := sqlstore.Migrations("postgres")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		ms[0].SQL,
		`CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, 0)`,
		`INSERT INTO settings (name, value) VALUES ('pepper', '\x0102')`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)
	st, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, err := st.LoadOrStoreSetting(ctx, "pepper", []byte("new")); err != nil || string(v) != "\x01\x02" {
		t.Fatalf("the pepper after the move: %q, %v", v, err)
	}
	for table, schema := range schemaOf(t, u, postgres.Tables...) {
		if schema != postgres.DefaultSchema {
			t.Errorf("%s is in %s", table, schema)
		}
	}
}

func TestFirstSchema(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "auth": "auth", " Auth , public": "auth", `"My Schema", public`: "My Schema", `"$user", public`: "", "$user, public": "",
	} {
		if got := postgres.FirstSchema(in); got != want {
			t.Errorf("FirstSchema(%q) = %q, want %q", in, got, want)
		}
	}
}
