package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/unguessable/secrets/bench/internal/soak"
)

// skipOrFail skips t saying why, except in CI (CI=true), where what the
// test needs must be there.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format+" (CI=true: not skipped)", args...)
	}
	t.Skipf(format, args...)
}

// api calls one instance with the root key and decodes the answer.
type api struct {
	t     *testing.T
	in    *soak.Instance
	admin string
}

func (a api) post(path string, body any) (int, http.Header, map[string]any) {
	a.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", "http://"+a.in.Addr+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s: %v", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		a.t.Fatalf("%s: status %d, not JSON: %q", path, resp.StatusCode, data)
	}
	return resp.StatusCode, resp.Header, m
}

// fill writes zeros to a file in dir until the filesystem is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// TestSQLiteOnAFullDisk runs the service on a SQLite file in a tmpfs of
// 4 MiB, fills the filesystem, and checks that writes are refused with 507
// or 503 and a JSON error (never 500, never a lost acknowledgement), that
// keys still verify, that writes resume once space is freed, and that the
// file passes PRAGMA integrity_check.
func TestSQLiteOnAFullDisk(t *testing.T) {
	dir := t.TempDir()
	mnt := filepath.Join(dir, "small")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		skipOrFail(t, "cannot mount a tmpfs to fill (needs root): %v: %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})
	dbPath := filepath.Join(mnt, "secrets.db")
	cl := startCluster(t, dbPath, 1)
	a := api{t, cl.Instances[0], cl.AdminKey}

	st, _, k := a.post("/v1/keys", map[string]any{"prefix": "sk_full_", "owner": "o"})
	if st != 201 {
		t.Fatalf("creating a key: %d %v", st, k)
	}
	key := k["key"].(string)
	issued := map[string]bool{}
	issue := func(i int) (int, http.Header, map[string]any) {
		st, h, m := a.post("/v1/tokens", map[string]any{"purpose": "full", "subject": "s" + string(rune('a'+i%26)) + strings.Repeat("x", i%200)})
		if st == 201 {
			issued[m["id"].(string)] = true
		}
		return st, h, m
	}
	for i := range 20 {
		if st, _, m := issue(i); st != 201 {
			t.Fatalf("issue before the disk is full: %d %v", st, m)
		}
	}

	filler := fill(t, mnt)
	refused := false
	for i := range 5000 {
		st, h, m := issue(i)
		if st == 201 {
			continue
		}
		if st != http.StatusInsufficientStorage && st != http.StatusServiceUnavailable {
			t.Fatalf("a write on a full disk answered %d %v, want 507 or 503", st, m)
		}
		e, _ := m["error"].(map[string]any)
		if e == nil || e["message"] == "" || h.Get("Retry-After") == "" {
			t.Fatalf("a refused write answered %d with %v and Retry-After %q: want a JSON error and Retry-After", st, m, h.Get("Retry-After"))
		}
		t.Logf("after %d more issues the disk is full: %d %v", i, st, e["message"])
		refused = true
		break
	}
	if !refused {
		t.Fatal("5000 token issues on a full disk all succeeded")
	}
	for range 3 {
		if st, _, m := a.post("/v1/keys/verify", map[string]any{"key": key}); st != 200 || m["status"] != "VALID" {
			t.Fatalf("verifying a key on a full disk: %d %v, want 200 VALID", st, m)
		}
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	resumed := false
	for range 10 {
		if st, _, _ := issue(0); st == 201 {
			resumed = true
			break
		}
	}
	if !resumed {
		t.Fatalf("writes did not resume once space was freed\n%s", cl.Logs())
	}
	if st, _, m := a.post("/v1/keys/verify", map[string]any{"key": key}); st != 200 || m["status"] != "VALID" {
		t.Fatalf("verifying a key after the disk was freed: %d %v", st, m)
	}
	cl.Stop()

	db, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("PRAGMA integrity_check: %q, %v", check, err)
	}
	rows, err := db.Query("SELECT id FROM tokens WHERE purpose = 'full'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	found := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		found[id] = true
	}
	for id := range issued {
		if !found[id] {
			t.Errorf("acknowledged token %s is not in the database", id)
		}
	}
}
