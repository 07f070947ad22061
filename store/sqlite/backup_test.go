package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/store/sqlite"
)

func TestRestoreRefusesADatabaseInUseAndWhatIsNotABackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "live.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := keys.New(st, keys.Options{}).Create(ctx, keys.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := sqlite.Backup(ctx, path, backup); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.Backup(ctx, path, backup); err == nil {
		t.Fatal("a backup over an existing file succeeded")
	}
	if err := sqlite.Backup(ctx, filepath.Join(dir, "none.db"), filepath.Join(dir, "b2.db")); err == nil {
		t.Fatal("a backup of no database succeeded")
	} else if _, serr := os.Stat(filepath.Join(dir, "none.db")); !errors.Is(serr, os.ErrNotExist) {
		t.Fatalf("a backup of no database made it: %v", serr)
	}

	other := filepath.Join(dir, "other.db")
	o, err := sqlite.Open(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlite.Restore(ctx, backup, other); !errors.Is(err, sqlite.ErrInUse) {
		t.Fatalf("restore over a database a store has open: %v", err)
	}
	if _, err := keys.New(o, keys.Options{}).Create(ctx, keys.CreateOptions{}); err != nil {
		t.Fatalf("the store whose database a refused restore met: %v", err)
	}
	o.Close()
	if err := sqlite.Restore(ctx, backup, other); err != nil {
		t.Fatalf("restore over a closed database: %v", err)
	}
	rs, err := sqlite.Open(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := keys.New(rs, keys.Options{}).Verify(ctx, c.Key, "", 0); err != nil || !res.Valid() {
		t.Fatalf("the key in the restored database: %v, %v", res.Status, err)
	}
	rs.Close()
	st.Close()

	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, []byte("SQLite format 3\x00 but nothing else of one"), 0o600)
	notOurs := filepath.Join(dir, "foreign.db")
	os.WriteFile(notOurs, nil, 0o600)
	for name, from := range map[string]string{"a file that is not SQLite": garbage, "an empty file": notOurs, "a missing file": filepath.Join(dir, "missing.db")} {
		if err := sqlite.Restore(ctx, from, filepath.Join(dir, "target.db")); err == nil {
			t.Errorf("restore of %s succeeded", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "target.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused restore left its target: %v", err)
	}
}
