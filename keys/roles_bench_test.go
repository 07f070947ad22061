package keys_test

import (
	"context"
	"testing"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/keys"
)

// BenchmarkVerifyWithPermissions times, on one database, the verification
// of one key asking no permissions, asking a query its own permissions
// satisfy (parsing only: no read beyond the key), and asking one that
// needs its role (one more read, of the role).
func BenchmarkVerifyWithPermissions(b *testing.B) {
	ctx := context.Background()
	backendtest.RunB(b, func(b *testing.B, be backendtest.Backend) {
		m := keys.New(be.NewDB(b).Open(b), keys.Options{})
		if _, _, err := m.PutRole(ctx, keys.RoleOptions{Name: "editor", Permissions: []string{"docs.read", "docs.write"}}); err != nil {
			b.Fatal(err)
		}
		own, err := m.Create(ctx, keys.CreateOptions{Permissions: []string{"docs.read", "docs.write"}})
		if err != nil {
			b.Fatal(err)
		}
		withRole, err := m.Create(ctx, keys.CreateOptions{Roles: []string{"editor"}})
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name, key, query string
		}{
			{"no permissions asked", own.Key, ""},
			{"own permissions", own.Key, "docs.read AND (docs.write OR admin)"},
			{"a role's permissions", withRole.Key, "docs.read AND (docs.write OR admin)"},
		} {
			b.Run(c.name, func(b *testing.B) {
				for b.Loop() {
					if r, err := m.VerifyWith(ctx, c.key, keys.VerifyOptions{Cost: 1, Permissions: c.query}); err != nil || r.Status != keys.Valid {
						b.Fatalf("verify: %v %v", r.Status, err)
					}
				}
			})
		}
	})
}
