package cli

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/server"
	"github.com/unguessable/secrets/store/sqlite"
	"github.com/unguessable/secrets/token"
)

// TestBackupUnderLoadThenRestoreServesWhatWasAcknowledged takes a backup
// with the command while writers issue keys, restores it into a new path
// with the command, starts a server on it and verifies over HTTP every key
// acknowledged before the backup began.
func TestBackupUnderLoadThenRestoreServesWhatWasAcknowledged(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "secrets.db")
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	km, tm := keys.New(st, keys.Options{}), token.New(st, token.Options{})
	type issued struct{ key, token string }
	var (
		mu     sync.Mutex
		before []issued
		began  bool
		stop   = make(chan struct{})
		wg     sync.WaitGroup
	)
	for w := range 3 {
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
				// Each token of a subject of its own: none revokes another.
				tk, err := tm.Issue(ctx, "reset", fmt.Sprintf("user-%d-%d", w, i), token.IssueOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if !began {
					before = append(before, issued{c.Key, tk.Token})
				}
				mu.Unlock()
			}
		})
	}
	for n := 0; n < 100; runtime.Gosched() {
		mu.Lock()
		n = len(before)
		mu.Unlock()
	}
	mu.Lock()
	began = true
	mu.Unlock()
	out := filepath.Join(dir, "backup.db")
	r := run(t, "", "backup", "--db", db, out)
	close(stop)
	wg.Wait()
	st.Close()
	if r.code != 0 || !strings.Contains(r.err, "backed up") {
		t.Fatalf("secrets backup under load: exit %d, %q", r.code, r.err)
	}

	restored := filepath.Join(t.TempDir(), "restored.db")
	if r := run(t, "", "restore", "--db", restored, out); r.code != 0 {
		t.Fatalf("secrets restore into a new path: exit %d, %q", r.code, r.err)
	}
	rs, err := sqlite.Open(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	const admin = "backup-test-admin-key-of-at-least-32-characters"
	srv, err := server.New(server.Options{Store: rs, AdminKeyDigest: sha256.Sum256([]byte(admin)), Pepper: backendtest.Pepper})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	call := func(path, body string) (int, bool) {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var res struct{ Valid bool }
		return rec.Code, json.Unmarshal(rec.Body.Bytes(), &res) == nil && res.Valid
	}
	for _, b := range before {
		if code, valid := call("/v1/keys/verify", fmt.Sprintf(`{"key":%q}`, b.key)); code != http.StatusOK || !valid {
			t.Fatalf("a key acknowledged before the backup began, on a server over the restored database: %d, valid %v", code, valid)
		}
		if code, valid := call("/v1/tokens/redeem", fmt.Sprintf(`{"purpose":"reset","token":%q}`, b.token)); code != http.StatusOK || !valid {
			t.Fatalf("a token acknowledged before the backup began, on a server over the restored database: %d, valid %v", code, valid)
		}
	}
	t.Logf("%d keys and tokens acknowledged before the backup began verify and redeem on the restored database", len(before))
}

func TestBackupAndRestoreRefuseWhatTheyCannotDo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "secrets.db")
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := filepath.Join(dir, "backup.db")
	mustBackup := run(t, "", "backup", "--db", db, out)
	if mustBackup.code != 0 {
		t.Fatalf("backup: %q", mustBackup.err)
	}
	notDB := filepath.Join(dir, "notes.txt")
	writeFile(t, notDB, "not a database")

	wantUsageError(t, run(t, "", "backup", "--db", db, out), out, "exists")
	wantUsageError(t, run(t, "", "backup", "--db", filepath.Join(dir, "none.db"), filepath.Join(dir, "b.db")), "no such database")
	wantUsageError(t, run(t, "", "backup", "--db", notDB, filepath.Join(dir, "b.db")), "not a database of secrets serve")
	wantUsageError(t, run(t, "", "backup", "--db", "postgres://u@h/db", filepath.Join(dir, "b.db")), "PostgreSQL")
	wantUsageError(t, run(t, "", "backup", "--db", db), "OUT")
	wantUsageError(t, run(t, "", "restore", "--db", filepath.Join(dir, "n.db"), notDB), "not a backup")
	wantUsageError(t, run(t, "", "restore", "--db", filepath.Join(dir, "n.db"), filepath.Join(dir, "missing.db")), "no such file")
	wantUsageError(t, run(t, "", "restore", "--db", notDB, out), "not a database of secrets serve")
	if _, err := os.Stat(filepath.Join(dir, "b.db")); err == nil {
		t.Error("a refused backup left its output")
	}

	// st has the database open: restoring over it is refused, and changes
	// nothing.
	r := run(t, "", "restore", "--db", db, out)
	if r.code == 0 || !strings.Contains(r.err, "open in another process") || r.out != "" {
		t.Fatalf("restore over a database in use: exit %d, %q", r.code, r.err)
	}
	if _, err := keys.New(st, keys.Options{}).Create(ctx, keys.CreateOptions{}); err != nil {
		t.Fatalf("the store after a refused restore: %v", err)
	}
}
