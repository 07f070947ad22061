package keys_test

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/store"
)

// Roles, permissions and the list filters, on every backend.
func TestRolesAndListingOnEveryBackend(t *testing.T) {
	backendtest.RunSuite(t, newEnv, backendtest.Suite[*env]{Tests: testRolesAndListing})
}

func invalidField(t *testing.T, err error, field string) {
	t.Helper()
	var ie *store.InvalidError
	if !errors.As(err, &ie) || ie.Field != field {
		t.Fatalf("got %v, want an ErrInvalid naming %q", err, field)
	}
}

func testRolesAndListing(t *testing.T, fresh func(*testing.T) *env) {
	ctx := context.Background()
	put := func(t *testing.T, e *env, ns, name string, perms ...string) {
		t.Helper()
		if _, _, err := e.keys.PutRole(ctx, keys.RoleOptions{Namespace: ns, Name: name, Permissions: perms}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("verification checks a query against the key's own permissions and its roles'", func(t *testing.T) {
		e := fresh(t)
		put(t, e, "", "writer", "docs.write", "docs.read")
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Roles: []string{"writer"}, Permissions: []string{"billing.read", "billing.read"}}))
		if !slices.Equal(c.Roles, []string{"writer"}) || !slices.Equal(c.Permissions, []string{"billing.read"}) {
			t.Fatalf("created with roles %v and permissions %v", c.Roles, c.Permissions)
		}
		if r := backendtest.Must[keys.Result](t)(e.keys.VerifyWith(ctx, c.Key, keys.VerifyOptions{Cost: 1})); r.Status != keys.Valid || r.Permissions != nil {
			t.Fatalf("a verification asking no permissions: %v, permissions %v (want none listed)", r.Status, r.Permissions)
		}
		for _, q := range []struct {
			query string
			want  keys.Status
		}{
			{"docs.read AND (docs.write OR admin)", keys.Valid},
			{"billing.read AND docs.write", keys.Valid},
			{"admin", keys.InsufficientPermissions},
			{"docs.read AND admin", keys.InsufficientPermissions},
			{"admin OR billing.read", keys.Valid},
		} {
			r := backendtest.Must[keys.Result](t)(e.keys.VerifyWith(ctx, c.Key, keys.VerifyOptions{Cost: 1, Permissions: q.query}))
			if r.Status != q.want || !slices.Equal(r.Permissions, []string{"billing.read", "docs.read", "docs.write"}) {
				t.Errorf("%q: %v with permissions %v, want %v with billing.read, docs.read, docs.write", q.query, r.Status, r.Permissions, q.want)
			}
		}
		// Replacing the role changes what the key may do at once.
		put(t, e, "", "writer", "docs.read")
		r := backendtest.Must[keys.Result](t)(e.keys.VerifyWith(ctx, c.Key, keys.VerifyOptions{Permissions: "docs.write"}))
		if r.Status != keys.InsufficientPermissions {
			t.Fatalf("after the role lost docs.write: %v", r.Status)
		}
	})
	t.Run("a refused permission check spends no cost", func(t *testing.T) {
		e := fresh(t)
		five := int64(5)
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Permissions: []string{"a"}, Remaining: &five,
			RateLimit: &store.RateLimit{Limit: 3, Window: time.Minute}}))
		for range 10 {
			r := backendtest.Must[keys.Result](t)(e.keys.VerifyWith(ctx, c.Key, keys.VerifyOptions{Cost: 1, Permissions: "b"}))
			if r.Status != keys.InsufficientPermissions {
				t.Fatalf("status %v", r.Status)
			}
		}
		r := backendtest.Must[keys.Result](t)(e.keys.VerifyWith(ctx, c.Key, keys.VerifyOptions{Cost: 1, Permissions: "a"}))
		if r.Status != keys.Valid || *r.Remaining != 4 || r.RateLimit.Remaining != 2 {
			t.Fatalf("after 10 refusals: %v, %d remaining, %d in the window", r.Status, *r.Remaining, r.RateLimit.Remaining)
		}
	})
	t.Run("the key's own state comes before its permissions", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{}))
		backendtest.Must[keys.Info](t)(e.keys.Revoke(ctx, c.ID))
		r := backendtest.Must[keys.Result](t)(e.keys.VerifyWith(ctx, c.Key, keys.VerifyOptions{Permissions: "a"}))
		if r.Status != keys.Revoked {
			t.Fatalf("a revoked key without the permission: %v", r.Status)
		}
	})
	t.Run("a malformed query is an ErrInvalid naming permissions and the position, whatever the key", func(t *testing.T) {
		e := fresh(t)
		_, err := e.keys.VerifyWith(ctx, "sk_nothing", keys.VerifyOptions{Permissions: "a AND (b OR"})
		invalidField(t, err, "permissions")
		if !strings.Contains(err.Error(), "position 12") {
			t.Fatalf("error %q does not name position 12 (the end)", err)
		}
	})
	t.Run("roles must exist in the key's namespace, and names must be names", func(t *testing.T) {
		e := fresh(t)
		put(t, e, "other", "writer", "x")
		_, err := e.keys.Create(ctx, keys.CreateOptions{Roles: []string{"writer"}})
		invalidField(t, err, "roles")
		_, err = e.keys.Create(ctx, keys.CreateOptions{Permissions: []string{"has space"}})
		invalidField(t, err, "permissions")
		_, err = e.keys.Create(ctx, keys.CreateOptions{Permissions: make([]string, keys.MaxPermissions+1)})
		invalidField(t, err, "permissions")
		_, _, err = e.keys.PutRole(ctx, keys.RoleOptions{Name: "AND"})
		invalidField(t, err, "name")
		_, _, err = e.keys.PutRole(ctx, keys.RoleOptions{Name: "r", Permissions: []string{"(x)"}})
		invalidField(t, err, "permissions")
	})
	t.Run("an update changes name, owner, roles and permissions, and checks them", func(t *testing.T) {
		e := fresh(t)
		put(t, e, "ns", "reader", "docs.read")
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Namespace: "ns", Name: "old", Owner: "o1", Permissions: []string{"a"}}))
		name, owner, roles, perms := "new", "o2", []string{"reader"}, []string{"b", "a"}
		i := backendtest.Must[keys.Info](t)(e.keys.Update(ctx, c.ID, keys.Update{Name: &name, Owner: &owner, Roles: &roles, Permissions: &perms}))
		if i.Name != name || i.Owner != owner || !slices.Equal(i.Roles, roles) || !slices.Equal(i.Permissions, []string{"a", "b"}) {
			t.Fatalf("after the update: %+v", i)
		}
		r := backendtest.Must[keys.Result](t)(e.keys.VerifyWith(ctx, c.Key, keys.VerifyOptions{Namespace: "ns", Permissions: "docs.read AND b"}))
		if r.Status != keys.Valid || r.Owner != owner || r.Name != name {
			t.Fatalf("verify after the update: %+v", r)
		}
		bad := []string{"writer"}
		_, err := e.keys.Update(ctx, c.ID, keys.Update{Roles: &bad})
		invalidField(t, err, "roles")
		none := []string{}
		i = backendtest.Must[keys.Info](t)(e.keys.Update(ctx, c.ID, keys.Update{Roles: &none, Permissions: &none}))
		if i.Roles != nil || i.Permissions != nil || i.Name != name {
			t.Fatalf("after clearing: %+v", i)
		}
		if _, err := e.keys.Update(ctx, "key_nope", keys.Update{Roles: &roles}); !errors.Is(err, keys.ErrNotFound) {
			t.Fatalf("update of no key: %v", err)
		}
	})
	t.Run("roles list a page at a time in name order", func(t *testing.T) {
		e := fresh(t)
		for _, n := range []string{"c", "a", "b"} {
			put(t, e, "ns", n, n+".x")
		}
		p := backendtest.Must[keys.RolePage](t)(e.keys.ListRoles(ctx, keys.RoleListOptions{Namespace: "ns", Limit: 2}))
		if len(p.Roles) != 2 || p.Roles[0].Name != "a" || p.Roles[1].Name != "b" || p.Cursor == "" {
			t.Fatalf("first page: %+v", p)
		}
		p = backendtest.Must[keys.RolePage](t)(e.keys.ListRoles(ctx, keys.RoleListOptions{Namespace: "ns", Limit: 2, Cursor: p.Cursor}))
		if len(p.Roles) != 1 || p.Roles[0].Name != "c" || !slices.Equal(p.Roles[0].Permissions, []string{"c.x"}) || p.Cursor != "" {
			t.Fatalf("second page: %+v", p)
		}
	})
	t.Run("listing filters by status and name prefix, and refuses a foreign cursor", func(t *testing.T) {
		e := fresh(t)
		var ids []string
		for _, n := range []string{"svc-a", "svc-b", "svc-c", "web-a"} {
			ids = append(ids, backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Name: n, ExpiresAt: e.clock.Now().Add(time.Hour)})).ID)
			e.clock.Advance(time.Millisecond) // ids sort by their millisecond first
		}
		backendtest.Must[keys.Info](t)(e.keys.Revoke(ctx, ids[1]))
		off := false
		backendtest.Must[keys.Info](t)(e.keys.Update(ctx, ids[2], keys.Update{Enabled: &off}))
		names := func(p keys.Page) string {
			var s []string
			for _, k := range p.Keys {
				s = append(s, k.Name)
			}
			return strings.Join(s, ",")
		}
		for _, c := range []struct {
			o    keys.ListOptions
			want string
		}{
			{keys.ListOptions{NamePrefix: "svc-"}, "svc-a,svc-b,svc-c"},
			{keys.ListOptions{Status: "active"}, "svc-a,web-a"},
			{keys.ListOptions{Status: "revoked"}, "svc-b"},
			{keys.ListOptions{Status: "disabled"}, "svc-c"},
			{keys.ListOptions{Status: "expired"}, ""},
		} {
			if got := names(backendtest.Must[keys.Page](t)(e.keys.List(ctx, c.o))); got != c.want {
				t.Errorf("%+v: %s, want %s", c.o, got, c.want)
			}
		}
		e.clock.Advance(2 * time.Hour)
		if got := names(backendtest.Must[keys.Page](t)(e.keys.List(ctx, keys.ListOptions{Status: "expired"}))); got != "svc-a,svc-c,web-a" {
			t.Errorf("expired after two hours: %s", got)
		}
		first := backendtest.Must[keys.Page](t)(e.keys.List(ctx, keys.ListOptions{NamePrefix: "svc-", Limit: 1}))
		next := backendtest.Must[keys.Page](t)(e.keys.List(ctx, keys.ListOptions{NamePrefix: "svc-", Limit: 1, Cursor: first.Cursor}))
		if names(first) != "svc-a" || names(next) != "svc-b" {
			t.Fatalf("pages: %s then %s", names(first), names(next))
		}
		// A cursor of this filter around an id that no key can have.
		raw, err := base64.RawURLEncoding.DecodeString(first.Cursor)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(string(raw), ".")
		forged := func(id string) string {
			return base64.RawURLEncoding.EncodeToString([]byte(parts[0] + "." + id + "." + parts[2]))
		}
		if _, err := e.keys.List(ctx, keys.ListOptions{NamePrefix: "svc-", Limit: 1, Cursor: forged(parts[1])}); err != nil {
			t.Fatalf("the page's own cursor, re-encoded: %v", err)
		}
		for _, cursor := range []string{"garbage", ids[0], first.Cursor + "x", "a2V5XzE", forged("key_'; DROP"), forged("key_" + strings.Repeat("0", 5000))} {
			_, err := e.keys.List(ctx, keys.ListOptions{NamePrefix: "svc-", Limit: 1, Cursor: cursor})
			invalidField(t, err, "cursor")
		}
		_, err = e.keys.List(ctx, keys.ListOptions{NamePrefix: "web-", Limit: 1, Cursor: first.Cursor})
		invalidField(t, err, "cursor") // a cursor of another filter
		_, err = e.keys.List(ctx, keys.ListOptions{Status: "gone"})
		invalidField(t, err, "status")
	})
}
