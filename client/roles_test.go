package client_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/unguessable/secrets/client"
	"github.com/unguessable/secrets/internal/backendtest"
)

func TestRolesPermissionsAndListFilters(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		svc := startService(t, b, nil, nil)
		c := newClient(t, svc.url, adminKey, nil)
		ctx := context.Background()

		r, created, err := c.PutRole(ctx, client.PutRoleRequest{Namespace: "docs", Name: "writer", Permissions: []string{"docs.write", "docs.read"}})
		if err != nil || !created || r.Namespace != "docs" || !slices.Equal(r.Permissions, []string{"docs.read", "docs.write"}) || r.CreatedAt.IsZero() {
			t.Fatalf("PutRole: %+v, created %v, %v", r, created, err)
		}
		if r, created, err = c.PutRole(ctx, client.PutRoleRequest{Namespace: "docs", Name: "writer", Permissions: []string{"docs.read", "docs.write"}}); err != nil || created {
			t.Fatalf("PutRole again: %+v, created %v, %v", r, created, err)
		}
		if _, _, err := c.PutRole(ctx, client.PutRoleRequest{Namespace: "docs", Name: "reader"}); err != nil {
			t.Fatalf("PutRole with no permissions: %v", err)
		}
		l, err := c.ListRoles(ctx, client.ListRolesOptions{Namespace: "docs", Limit: 1})
		if err != nil || len(l.Roles) != 1 || l.Roles[0].Name != "reader" || l.Cursor != "reader" {
			t.Fatalf("ListRoles: %+v, %v", l, err)
		}
		if l, err = c.ListRoles(ctx, client.ListRolesOptions{Namespace: "docs", Limit: 1, Cursor: l.Cursor}); err != nil || len(l.Roles) != 1 || l.Roles[0].Name != "writer" || l.Cursor != "" {
			t.Fatalf("ListRoles page 2: %+v, %v", l, err)
		}

		k, err := c.CreateKey(ctx, client.CreateKeyRequest{Prefix: "sk_c_", Namespace: "docs", Name: "svc-1", Roles: []string{"writer"}, Permissions: []string{"billing.read"}})
		if err != nil || !slices.Equal(k.Roles, []string{"writer"}) || !slices.Equal(k.Permissions, []string{"billing.read"}) {
			t.Fatalf("CreateKey: %+v, %v", k, err)
		}
		v, err := c.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key, Namespace: "docs", Permissions: "docs.read AND (docs.write OR admin)"})
		if err != nil || !v.Valid || !slices.Equal(v.Permissions, []string{"billing.read", "docs.read", "docs.write"}) {
			t.Fatalf("VerifyKey: %+v, %v", v, err)
		}
		v, err = c.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key, Namespace: "docs", Permissions: "admin"})
		if err != nil || v.Valid || v.Status != "INSUFFICIENT_PERMISSIONS" {
			t.Fatalf("VerifyKey without the permission: %+v, %v", v, err)
		}
		_, err = c.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key, Namespace: "docs", Permissions: "admin AND"})
		if e := wantAPIError(t, err, http.StatusBadRequest, "invalid_request", "permissions"); e != nil && !strings.Contains(e.Message, "position 10") {
			t.Errorf("message %q does not name position 10", e.Message)
		}

		name, owner, none := "svc-renamed", "acme", []string{}
		u, err := c.UpdateKey(ctx, k.ID, client.UpdateKeyRequest{Name: &name, Owner: &owner, Roles: &none, Permissions: &[]string{"admin"}})
		if err != nil || u.Name != name || u.Owner != owner || len(u.Roles) != 0 || !slices.Equal(u.Permissions, []string{"admin"}) {
			t.Fatalf("UpdateKey: %+v, %v", u, err)
		}
		_, err = c.UpdateKey(ctx, k.ID, client.UpdateKeyRequest{Roles: &[]string{"ghost"}})
		wantAPIError(t, err, http.StatusBadRequest, "invalid_request", "roles")

		if _, err := c.CreateKey(ctx, client.CreateKeyRequest{Prefix: "sk_c_", Namespace: "docs", Name: "svc-2"}); err != nil {
			t.Fatal(err)
		}
		revoked, err := c.CreateKey(ctx, client.CreateKeyRequest{Prefix: "sk_c_", Namespace: "docs", Name: "web-1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.RevokeKey(ctx, revoked.ID); err != nil {
			t.Fatal(err)
		}
		kl, err := c.ListKeys(ctx, client.ListKeysOptions{Namespace: "docs", Status: "active", NamePrefix: "svc-"})
		if err != nil || len(kl.Keys) != 2 {
			t.Fatalf("ListKeys active svc-: %+v, %v", kl, err)
		}
		if kl, err = c.ListKeys(ctx, client.ListKeysOptions{Namespace: "docs", Status: "revoked"}); err != nil || len(kl.Keys) != 1 || kl.Keys[0].ID != revoked.ID {
			t.Fatalf("ListKeys revoked: %+v, %v", kl, err)
		}
		_, err = c.ListKeys(ctx, client.ListKeysOptions{Namespace: "docs", Cursor: "not-a-cursor"})
		wantAPIError(t, err, http.StatusBadRequest, "invalid_request", "cursor")
	})
}
