package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/server"
	"github.com/unguessable/secrets/store"
)

// freshStore opens a new database of backend b.
func freshStore(t *testing.T, b backendtest.Backend) store.Store {
	t.Helper()
	return b.NewDB(t).Open(t)
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestRootKey(t *testing.T) {
	ctx := context.Background()
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		st := freshStore(t, b)
		t.Run("a new database has none", func(t *testing.T) {
			d, err := server.RootKey(ctx, st, "")
			if err != nil || d != ([32]byte{}) {
				t.Fatalf("got %x, %v; want zero", d, err)
			}
		})
		t.Run("SECRETS_ADMIN_KEY is the root key, and nothing is stored", func(t *testing.T) {
			key := strings.Repeat("k", server.MinAdminKeyLen)
			d, err := server.RootKey(ctx, st, key)
			if err != nil || d != sha256.Sum256([]byte(key)) {
				t.Fatalf("got %x, %v", d, err)
			}
			if _, err := st.Setting(ctx, "server.admin_key_sha256"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a setting was stored: %v", err)
			}
		})
		t.Run("a short SECRETS_ADMIN_KEY is refused without being quoted", func(t *testing.T) {
			_, err := server.RootKey(ctx, st, "tiny-secret")
			if !errors.Is(err, server.ErrWeakSecret) || strings.Contains(err.Error(), "tiny-secret") {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("the admin key of a database made before access keys still works", func(t *testing.T) {
			legacy := sha256.Sum256([]byte("an admin key of the old kind, 0123456789"))
			if _, err := st.LoadOrStoreSetting(ctx, "server.admin_key_sha256", legacy[:]); err != nil {
				t.Fatal(err)
			}
			d, err := server.RootKey(ctx, st, "")
			if err != nil || d != legacy {
				t.Fatalf("got %x, %v; want the stored digest", d, err)
			}
			created, err := server.Bootstrap(ctx, st, filepath.Join(t.TempDir(), "admin-key"))
			if err != nil || created {
				t.Fatalf("Bootstrap beside a legacy admin key: created %v, %v", created, err)
			}
		})
	})
}

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		t.Run("the first start writes a root key to a new file of mode 0600, and later starts make none", func(t *testing.T) {
			st := freshStore(t, b)
			path := filepath.Join(t.TempDir(), "secrets.db.admin-key")
			created, err := server.Bootstrap(ctx, st, path)
			if err != nil || !created {
				t.Fatalf("created %v, %v", created, err)
			}
			if m := fileMode(t, path); m != 0o600 {
				t.Errorf("the key file has mode %04o, want 0600", m)
			}
			content, _ := os.ReadFile(path)
			plain := strings.TrimSuffix(string(content), "\n")
			k, err := access.New(st, access.Options{}).Authenticate(ctx, plain)
			if err != nil {
				t.Fatalf("the key in the file does not authenticate: %v", err)
			}
			if k.Name != server.RootKeyName || !k.SeesNamespace("any-namespace") {
				t.Errorf("the root key is %+v", k)
			}
			for _, s := range access.AllScopes {
				if !k.Allows(s) {
					t.Errorf("the root key lacks %s", s)
				}
			}
			created, err = server.Bootstrap(ctx, st, filepath.Join(t.TempDir(), "other"))
			if err != nil || created {
				t.Fatalf("a second bootstrap: created %v, %v", created, err)
			}
			if after, _ := os.ReadFile(path); string(after) != string(content) {
				t.Error("the key file changed")
			}
		})
		t.Run("an existing file is not overwritten, and no key is made", func(t *testing.T) {
			st := freshStore(t, b)
			path := filepath.Join(t.TempDir(), "admin-key")
			writeFile(t, path, "someone else's\n")
			created, err := server.Bootstrap(ctx, st, path)
			if !errors.Is(err, server.ErrFileExists) || created || !strings.Contains(err.Error(), path) {
				t.Fatalf("created %v, %v; want ErrFileExists naming the file", created, err)
			}
			if got, _ := os.ReadFile(path); string(got) != "someone else's\n" {
				t.Errorf("the file was overwritten")
			}
			if ks, _ := st.ListAccessKeys(ctx, "", 10); len(ks) != 0 {
				t.Errorf("%d access keys were made", len(ks))
			}
			// The lock was released: with the way clear, the next start bootstraps.
			created, err = server.Bootstrap(ctx, st, path+".new")
			if err != nil || !created {
				t.Fatalf("after a refused bootstrap: created %v, %v", created, err)
			}
		})
		t.Run("a database that has access keys gets no root key", func(t *testing.T) {
			st := freshStore(t, b)
			m := access.New(st, access.Options{})
			c := backendtest.Must[access.Created](t)(m.Create(ctx, "ops", []string{access.KeysRead}, []string{"*"}))
			if _, err := m.Revoke(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "admin-key")
			if created, err := server.Bootstrap(ctx, st, path); err != nil || created {
				t.Fatalf("created %v, %v", created, err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a key file was written: %v", err)
			}
		})
		t.Run("of servers starting together on one database, exactly one makes the root key", func(t *testing.T) {
			db := b.NewDB(t)
			dir := t.TempDir()
			const n = 8
			var wg sync.WaitGroup
			results := make([]bool, n)
			errs := make([]error, n)
			for i := range n {
				st := db.Open(t) // a handle each, as separate processes have
				wg.Go(func() {
					results[i], errs[i] = server.Bootstrap(ctx, st, filepath.Join(dir, fmt.Sprintf("key-%d", i)))
				})
			}
			wg.Wait()
			made := 0
			for i := range n {
				if errs[i] != nil {
					t.Errorf("server %d: %v", i, errs[i])
				}
				if results[i] {
					made++
				}
			}
			files, _ := os.ReadDir(dir)
			ks, _ := db.Open(t).ListAccessKeys(ctx, "", 10)
			if made != 1 || len(files) != 1 || len(ks) != 1 {
				t.Errorf("%d servers made a key, %d files, %d access keys; want 1 each", made, len(files), len(ks))
			}
		})
	})
}

func TestCheckFileMode(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		mode os.FileMode
		want string // "" for no error
	}{
		{"a file of its owner only is fine", 0o600, ""},
		{"a read-only file of its owner is fine", 0o400, ""},
		{"a file others may read is refused", 0o644, "has mode 0644: group and others may read it"},
		{"a file its group may write is refused", 0o620, "has mode 0620: group may write it"},
		{"a file open to all is refused", 0o777, "has mode 0777: group and others may read, write and execute it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "f")
			writeFile(t, path, "x")
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			err := server.CheckFileMode(path)
			var me *server.ModeError
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("got %v", err)
			case tc.want != "" && (!errors.As(err, &me) || err.Error() != path+" "+tc.want):
				t.Fatalf("got %v, want %q", err, path+" "+tc.want)
			}
		})
	}
	t.Run("a missing file is fine", func(t *testing.T) {
		if err := server.CheckFileMode(filepath.Join(dir, "none")); err != nil {
			t.Fatal(err)
		}
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// issueAndCheck issues a code keyed by pepper and checks it with peppers.
func issueAndCheck(t *testing.T, st store.Store, pepper []byte, p server.Peppers) code.Status {
	t.Helper()
	ctx := context.Background()
	subject := "subject-" + secrets.TokenHex(4)
	m, err := code.New(st, pepper, code.Options{})
	if err != nil {
		t.Fatal(err)
	}
	issued, err := m.Issue(ctx, "login", subject, code.IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := code.New(st, p.Current, code.Options{OldPeppers: p.Old})
	if err != nil {
		t.Fatal(err)
	}
	r, err := m2.Check(ctx, "login", subject, issued.Code)
	if err != nil {
		t.Fatal(err)
	}
	return r.Status
}

func TestLoadPeppers(t *testing.T) {
	ctx := context.Background()
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		t.Run("the first start writes 32 random bytes to a new file of mode 0600, and later starts read them", func(t *testing.T) {
			st := freshStore(t, b)
			path := filepath.Join(t.TempDir(), "secrets.db.pepper")
			p, err := server.LoadPeppers(ctx, st, path, "")
			if err != nil || !p.Generated || len(p.Current) != 32 || len(p.Old) != 0 {
				t.Fatalf("got %d bytes, generated %v, %v", len(p.Current), p.Generated, err)
			}
			if m := fileMode(t, path); m != 0o600 {
				t.Errorf("the pepper file has mode %04o", m)
			}
			again, err := server.LoadPeppers(ctx, st, path, "")
			if err != nil || again.Generated || string(again.Current) != string(p.Current) {
				t.Fatalf("the second start: generated %v, same %v, %v", again.Generated, string(again.Current) == string(p.Current), err)
			}
			if id, _ := st.Setting(ctx, "server.pepper_id"); string(id) != code.PepperID(p.Current) {
				t.Errorf("the database's pepper id is %q, want %q", id, code.PepperID(p.Current))
			}
		})
		t.Run("the pepper of an older database is moved out of it into the file, and its codes still check", func(t *testing.T) {
			st := freshStore(t, b)
			old := secrets.TokenBytes(32)
			if _, err := st.LoadOrStoreSetting(ctx, "server.code_pepper", old); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "secrets.db.pepper")
			p, err := server.LoadPeppers(ctx, st, path, "")
			if err != nil || !p.Migrated || string(p.Current) != string(old) {
				t.Fatalf("migrated %v, same pepper %v, %v", p.Migrated, string(p.Current) == string(old), err)
			}
			if _, err := st.Setting(ctx, "server.code_pepper"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the database still holds the pepper: %v", err)
			}
			if content, _ := os.ReadFile(path); !strings.Contains(string(content), hex.EncodeToString(old)+"\n") {
				t.Errorf("the file does not hold the pepper in hex")
			}
			if s := issueAndCheck(t, st, old, p); s != code.Approved {
				t.Errorf("a code keyed by the database's pepper checks %v", s)
			}
		})
		t.Run("appending a pepper rotates: the newest keys new codes, the older still check theirs", func(t *testing.T) {
			st := freshStore(t, b)
			path := filepath.Join(t.TempDir(), "pepper")
			first, err := server.LoadPeppers(ctx, st, path, "")
			if err != nil {
				t.Fatal(err)
			}
			newer := secrets.TokenBytes(32)
			f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			fmt.Fprintf(f, "\n# rotated\n%s\n", hex.EncodeToString(newer))
			f.Close()
			p, err := server.LoadPeppers(ctx, st, path, "")
			if err != nil || !p.Rotated || string(p.Current) != string(newer) || len(p.Old) != 1 || string(p.Old[0]) != string(first.Current) {
				t.Fatalf("rotated %v, %d old, %v", p.Rotated, len(p.Old), err)
			}
			if id, _ := st.Setting(ctx, "server.pepper_id"); string(id) != code.PepperID(newer) {
				t.Errorf("the database's pepper id is %q, want the newest's", id)
			}
			if s := issueAndCheck(t, st, first.Current, p); s != code.Approved {
				t.Errorf("a code keyed by the older pepper checks %v", s)
			}
			// An instance still on the old file is now refused.
			old := filepath.Join(t.TempDir(), "old")
			writeFile(t, old, hex.EncodeToString(first.Current)+"\n")
			if _, err := server.LoadPeppers(ctx, st, old, ""); !errors.Is(err, server.ErrPepperMismatch) {
				t.Errorf("the pre-rotation file: %v, want ErrPepperMismatch", err)
			}
		})
		t.Run("a second instance with a pepper of its own is refused, and leaves no file", func(t *testing.T) {
			db := b.NewDB(t)
			if _, err := server.LoadPeppers(ctx, db.Open(t), filepath.Join(t.TempDir(), "first"), ""); err != nil {
				t.Fatal(err)
			}
			second := filepath.Join(t.TempDir(), "second")
			_, err := server.LoadPeppers(ctx, db.Open(t), second, "")
			if !errors.Is(err, server.ErrPepperMismatch) || !strings.Contains(err.Error(), "copy the pepper file") {
				t.Fatalf("got %v, want ErrPepperMismatch", err)
			}
			if _, err := os.Stat(second); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a pepper file was left: %v", err)
			}
			own := filepath.Join(t.TempDir(), "own")
			other := secrets.TokenBytes(32)
			writeFile(t, own, hex.EncodeToString(other)+"\n")
			_, err = server.LoadPeppers(ctx, db.Open(t), own, "")
			if !errors.Is(err, server.ErrPepperMismatch) || strings.Contains(err.Error(), hex.EncodeToString(other)) {
				t.Fatalf("got %v, want ErrPepperMismatch without the pepper", err)
			}
		})
		t.Run("of instances starting together on one host, one makes the file and all use it", func(t *testing.T) {
			db := b.NewDB(t)
			path := filepath.Join(t.TempDir(), "pepper")
			const n = 6
			got := make([]server.Peppers, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				st := db.Open(t)
				wg.Go(func() { got[i], errs[i] = server.LoadPeppers(ctx, st, path, "") })
			}
			wg.Wait()
			generated := 0
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("instance %d: %v", i, errs[i])
				}
				if got[i].Generated {
					generated++
				}
				if string(got[i].Current) != string(got[0].Current) {
					t.Errorf("instance %d has another pepper", i)
				}
			}
			if generated != 1 {
				t.Errorf("%d instances generated a pepper, want 1", generated)
			}
		})
		t.Run("SECRETS_PEPPER is the pepper, and the database's own is deleted", func(t *testing.T) {
			st := freshStore(t, b)
			if _, err := st.LoadOrStoreSetting(ctx, "server.code_pepper", secrets.TokenBytes(32)); err != nil {
				t.Fatal(err)
			}
			env := strings.Repeat("e", 32)
			path := filepath.Join(t.TempDir(), "pepper")
			p, err := server.LoadPeppers(ctx, st, path, env)
			if err != nil || string(p.Current) != env || !p.Dropped {
				t.Fatalf("dropped %v, %v", p.Dropped, err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a pepper file was written although SECRETS_PEPPER is set")
			}
			if _, err := st.Setting(ctx, "server.code_pepper"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the database still holds a pepper")
			}
			if _, err := server.LoadPeppers(ctx, st, path, "tiny-secret"); !errors.Is(err, server.ErrWeakSecret) || strings.Contains(err.Error(), "tiny") {
				t.Errorf("a short SECRETS_PEPPER: %v", err)
			}
		})
		t.Run("a pepper file that does not parse is refused by line, without its contents", func(t *testing.T) {
			st := freshStore(t, b)
			for _, tc := range []struct{ name, content, want string }{
				{"not hex", "# header\nzz-not-hex-hunter2\n", "line 2"},
				{"too short", strings.Repeat("ab", 16) + "\n", "line 1"},
				{"empty", "# nothing\n\n", "holds no pepper"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					path := filepath.Join(t.TempDir(), "pepper")
					writeFile(t, path, tc.content)
					_, err := server.LoadPeppers(ctx, st, path, "")
					if !errors.Is(err, server.ErrPepperFile) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
						t.Fatalf("got %v, want ErrPepperFile with %q", err, tc.want)
					}
				})
			}
		})
		t.Run("a database pepper that the file does not hold is refused, and stays", func(t *testing.T) {
			st := freshStore(t, b)
			if _, err := st.LoadOrStoreSetting(ctx, "server.code_pepper", secrets.TokenBytes(32)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "pepper")
			writeFile(t, path, hex.EncodeToString(secrets.TokenBytes(32))+"\n")
			if _, err := server.LoadPeppers(ctx, st, path, ""); !errors.Is(err, server.ErrPepperMismatch) {
				t.Fatalf("got %v", err)
			}
			if _, err := st.Setting(ctx, "server.code_pepper"); err != nil {
				t.Errorf("the database's pepper was deleted: %v", err)
			}
		})
	})
}
