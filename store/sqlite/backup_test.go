package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/store/sqlite"
	"github.com/unguessable/secrets/token"
)

func TestBackupUnderLoadRestoresEverythingAcknowledgedBeforeIt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "live.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	km := keys.New(st, keys.Options{})
	tm := token.New(st, token.Options{})

	// Writers issue keys and tokens until the backup is done; what was
	// acknowledged before the backup began must be in it.
	var (
		mu         sync.Mutex
		keysBefore []string
		tokBefore  []string
		began      bool
		stop       = make(chan struct{})
		wg         sync.WaitGroup
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c, err := km.Create(ctx, keys.CreateOptions{Name: "load"})
				if err != nil {
					t.Error(err)
					return
				}
				tk, err := tm.Issue(ctx, "reset", fmt.Sprintf("user-%d-%d", w, i), token.IssueOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if !began {
					keysBefore = append(keysBefore, c.Key)
					tokBefore = append(tokBefore, tk.Token)
				}
				mu.Unlock()
			}
		})
	}
	for {
		mu.Lock()
		n := len(keysBefore)
		mu.Unlock()
		if n >= 200 {
			break
		}
		runtime.Gosched()
	}
	mu.Lock()
	began = true
	mu.Unlock()
	out := filepath.Join(dir, "backup.db")
	err = sqlite.Backup(ctx, path, out)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup while four writers go on: %v", err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the backup's mode: %v, %v", fi.Mode(), err)
	}

	restored := filepath.Join(t.TempDir(), "restored.db")
	if err := sqlite.Restore(ctx, out, restored); err != nil {
		t.Fatalf("restore into a new path: %v", err)
	}
	rs, err := sqlite.Open(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	rk := keys.New(rs, keys.Options{})
	for _, k := range keysBefore {
		if res, err := rk.Verify(ctx, k, "", 0); err != nil || !res.Valid() {
			t.Fatalf("a key acknowledged before the backup began: %v, %v", res.Status, err)
		}
	}
	rt := token.New(rs, token.Options{})
	for _, tk := range tokBefore { // each of its own subject, so none revoked another
		if res, err := rt.Verify(ctx, "reset", tk); err != nil || !res.Valid() {
			t.Fatalf("a token acknowledged before the backup began: %v, %v", res.Status, err)
		}
	}
	t.Logf("%d keys and %d tokens acknowledged before the backup began, all in it", len(keysBefore), len(tokBefore))
}

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
