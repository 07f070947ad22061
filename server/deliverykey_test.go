package server_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/server"
)

func TestLoadDeliveryKey(t *testing.T) {
	ctx := context.Background()
	st := newSQLite(t).open(t)
	path := filepath.Join(t.TempDir(), "x.delivery-key")
	key, generated, err := server.LoadDeliveryKey(ctx, st, path)
	if err != nil || !generated || len(key) != deliver.KeyBytes {
		t.Fatalf("the first load: %d bytes, generated %v, %v", len(key), generated, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the key file: %v", err)
	}
	again, generated, err := server.LoadDeliveryKey(ctx, st, path)
	if err != nil || generated || string(again) != string(key) {
		t.Fatalf("the second load: generated %v, same %v, %v", generated, string(again) == string(key), err)
	}
	if id, err := st.Setting(ctx, "server.delivery_key_id"); err != nil || string(id) != deliver.KeyID(key) {
		t.Fatalf("the database's key id %q, %v", id, err)
	}
	t.Run("another instance without the file is refused, and makes none", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other.key")
		if _, _, err := server.LoadDeliveryKey(ctx, st, other); !errors.Is(err, server.ErrDeliveryKeyMismatch) {
			t.Fatalf("%v", err)
		}
		if _, err := os.Stat(other); !os.IsNotExist(err) {
			t.Fatalf("a refused load left a file: %v", err)
		}
	})
	t.Run("a file that holds no key is refused without quoting it", func(t *testing.T) {
		for _, body := range []string{"", "# only a comment\n", "not hex at all, a secret-ish line\n", strings.Repeat("ab", 16) + "\n", strings.Repeat("ab", 32) + "\n" + strings.Repeat("cd", 32) + "\n"} {
			bad := filepath.Join(t.TempDir(), "bad.key")
			if err := os.WriteFile(bad, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := server.LoadDeliveryKey(ctx, newSQLite(t).open(t), bad)
			if !errors.Is(err, server.ErrDeliveryKeyFile) || strings.Contains(err.Error(), "secret-ish") || strings.Contains(err.Error(), "abab") {
				t.Errorf("%q: %v", body, err)
			}
		}
	})
}
