package postgres_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/store/postgres"
	"github.com/unguessable/secrets/token"
)

// TestPgDumpAndPgRestoreOfTheSchema runs the backup commands that
// docs/BACKUP.md gives for PostgreSQL: pg_dump of the service's schema, in
// the custom format, and pg_restore of it into a new database, on which a
// store verifies what was issued before the dump.
func TestPgDumpAndPgRestoreOfTheSchema(t *testing.T) {
	src := backendtest.NewPostgresDatabase(t)
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed, and CI must run this test (.ci/run installs postgresql)", tool)
			}
			t.Skipf("%s is not installed: skipping the test of the documented backup commands", tool)
		}
	}
	ctx := context.Background()
	st, err := postgres.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	km := keys.New(st, keys.Options{})
	tm := token.New(st, token.Options{})
	var issuedKeys, issuedTokens []string
	for i := range 20 {
		c, err := km.Create(ctx, keys.CreateOptions{Name: "before the dump"})
		if err != nil {
			t.Fatal(err)
		}
		tk, err := tm.Issue(ctx, "reset", fmt.Sprintf("user-%d", i), token.IssueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		issuedKeys, issuedTokens = append(issuedKeys, c.Key), append(issuedTokens, tk.Token)
	}
	st.Close()

	dump := filepath.Join(t.TempDir(), "secrets.dump")
	run(t, "pg_dump", "--schema="+postgres.DefaultSchema, "--format=custom", "--file="+dump, "--dbname="+src)
	dst := backendtest.NewPostgresDatabase(t)
	run(t, "pg_restore", "--no-owner", "--exit-on-error", "--dbname="+dst, dump)

	rs, err := postgres.Open(ctx, dst)
	if err != nil {
		t.Fatalf("a store on the restored database: %v", err)
	}
	defer rs.Close()
	rk, rt := keys.New(rs, keys.Options{}), token.New(rs, token.Options{})
	for i := range issuedKeys {
		if res, err := rk.Verify(ctx, issuedKeys[i], "", 0); err != nil || !res.Valid() {
			t.Fatalf("a key issued before the dump, after the restore: %v, %v", res.Status, err)
		}
		if res, err := rt.Redeem(ctx, "reset", issuedTokens[i]); err != nil || !res.Valid() {
			t.Fatalf("a token issued before the dump, after the restore: %v, %v", res.Status, err)
		}
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}
