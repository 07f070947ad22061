package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/unguessable/secrets/internal/backendtest"
)

const vacuumWarning = "PostgreSQL will not vacuum the service's tables"

// serve warns when PostgreSQL will not vacuum its tables: when the server's
// autovacuum is off (as on the CI server) and when a table's own
// autovacuum_enabled is off; a SQLite file never gets the warning.
func TestServeWarnsWhenPostgresWillNotVacuum(t *testing.T) {
	t.Setenv("SECRETS_ADMIN_KEY", "")
	t.Setenv("SECRETS_PEPPER", "")
	db := backendtest.Postgres(nil).NewDB(t).DSN
	t.Chdir(t.TempDir())
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var autovacuum string
	if err := conn.QueryRow(ctx, "SELECT current_setting('autovacuum')").Scan(&autovacuum); err != nil {
		t.Fatal(err)
	}

	_, stderr, stop := serving(t, "--db", db)
	if code := stop(); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	warned := strings.Contains(stderr.String(), vacuumWarning)
	if warned != (autovacuum != "on") || warned && !strings.Contains(stderr.String(), "the server's autovacuum setting is off") {
		t.Errorf("with autovacuum %s, serve logged:\n%s", autovacuum, stderr.String())
	}

	if _, err := conn.Exec(ctx, "ALTER TABLE tokens SET (autovacuum_enabled = off)"); err != nil {
		t.Fatal(err)
	}
	_, stderr, stop = serving(t, "--db", db)
	if code := stop(); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	if s := stderr.String(); !strings.Contains(s, vacuumWarning) || !strings.Contains(s, "autovacuum_enabled is off for the table(s) tokens") {
		t.Errorf("with the tokens table's autovacuum_enabled off, serve logged:\n%s", s)
	}

	t.Chdir(t.TempDir())
	_, stderr, stop = serving(t, "--db", "secrets.db")
	if code := stop(); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), vacuumWarning) {
		t.Errorf("on SQLite, serve warned about vacuuming:\n%s", stderr.String())
	}
}
