package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/unguessable/secrets/store"
)

func testRoles(t *testing.T, fresh func(*testing.T) store.Store) {
	ctx := context.Background()
	t.Run("a role is created, then replaced, and read back by name and in lists", func(t *testing.T) {
		st := fresh(t)
		r, created, err := st.PutRole(ctx, store.Role{Namespace: "ns", Name: "editor", Permissions: []string{"docs.read", "docs.write"}, CreatedAt: t0})
		if err != nil || !created || !r.CreatedAt.Equal(t0) || !r.UpdatedAt.Equal(t0) {
			t.Fatalf("first put: %+v, created %v, %v", r, created, err)
		}
		r, created, err = st.PutRole(ctx, store.Role{Namespace: "ns", Name: "editor", Permissions: []string{"docs.read"}, CreatedAt: t0.Add(time.Second)})
		if err != nil || created || !r.CreatedAt.Equal(t0) || !r.UpdatedAt.Equal(t0.Add(time.Second)) || !slices.Equal(r.Permissions, []string{"docs.read"}) {
			t.Fatalf("second put: %+v, created %v, %v", r, created, err)
		}
		for _, n := range []string{"viewer", "admin"} {
			must[store.Role](t)(func() (store.Role, error) {
				r, _, err := st.PutRole(ctx, store.Role{Namespace: "ns", Name: n, Permissions: []string{n}, CreatedAt: t0})
				return r, err
			}())
		}
		_, _, err = st.PutRole(ctx, store.Role{Namespace: "other", Name: "editor", Permissions: []string{"x"}, CreatedAt: t0})
		noErr(t, err)
		names := func(rs []store.Role) string {
			var s []string
			for _, r := range rs {
				s = append(s, r.Namespace+"/"+r.Name+fmt.Sprint(r.Permissions))
			}
			return fmt.Sprint(s)
		}
		if got := names(must[[]store.Role](t)(st.RolesByName(ctx, "ns", []string{"viewer", "editor", "missing"}))); got != "[ns/editor[docs.read] ns/viewer[viewer]]" {
			t.Errorf("RolesByName: %s", got)
		}
		if got := must[[]store.Role](t)(st.RolesByName(ctx, "ns", nil)); len(got) != 0 {
			t.Errorf("RolesByName of no names: %v", got)
		}
		if got := names(must[[]store.Role](t)(st.ListRoles(ctx, "ns", "", 2))); got != "[ns/admin[admin] ns/editor[docs.read]]" {
			t.Errorf("ListRoles first page: %s", got)
		}
		if got := names(must[[]store.Role](t)(st.ListRoles(ctx, "ns", "editor", 2))); got != "[ns/viewer[viewer]]" {
			t.Errorf("ListRoles second page: %s", got)
		}
	})
	t.Run("a key's roles and permissions read back, update and pass to its reroll", func(t *testing.T) {
		st := fresh(t)
		k := key("k", nil, nil)
		k.Roles, k.Permissions = []string{"editor"}, []string{"a.b", "c"}
		noErr(t, st.InsertKey(ctx, k))
		for _, got := range []store.Key{must[store.Key](t)(st.KeyByHash(ctx, k.Hash)), must[store.Key](t)(st.KeyByID(ctx, k.ID))} {
			if !sameKey(got, k) {
				t.Fatalf("read back\n%+v\nwant\n%+v", got, k)
			}
		}
		name, owner, none, perms := "renamed", "o2", []string{}, []string{"z"}
		got := must[store.Key](t)(st.UpdateKey(ctx, "k", store.KeyUpdate{Name: &name, Owner: &owner, Roles: &none, Permissions: &perms}, t0.Add(time.Second)))
		if got.Name != name || got.Owner != owner || got.Roles != nil || !slices.Equal(got.Permissions, perms) {
			t.Fatalf("after the update: %+v", got)
		}
		got = must[store.Key](t)(st.UpdateKey(ctx, "k", store.KeyUpdate{}, t0.Add(2*time.Second)))
		if got.Name != name || !slices.Equal(got.Permissions, perms) {
			t.Fatalf("an empty update changed the key: %+v", got)
		}
		nk := key("k2", nil, nil)
		nk.Roles, nk.Permissions = nil, nil
		nk = must[store.Key](t)(st.RerollKey(ctx, "k", nk, t0.Add(time.Hour)))
		if !slices.Equal(nk.Permissions, perms) || nk.Name != name {
			t.Fatalf("the reroll did not inherit: %+v", nk)
		}
		if !sameKey(nk, must[store.Key](t)(st.KeyByID(ctx, "k2"))) {
			t.Fatal("the reroll returned another key than it stored")
		}
	})
	t.Run("list filters by status at a time and by name prefix", func(t *testing.T) {
		st := fresh(t)
		for _, id := range []string{"a-active", "b-expired", "c-revoked", "d-disabled", "e-expired-revoked", "f-active-later-expiry", "g-disabled-expired"} {
			k := key(id, nil, nil)
			k.Name = id
			switch id {
			case "b-expired", "e-expired-revoked", "g-disabled-expired":
				k.ExpiresAt = t0.Add(time.Minute)
			case "f-active-later-expiry":
				k.ExpiresAt = t0.Add(time.Hour)
			}
			noErr(t, st.InsertKey(ctx, k))
		}
		must[store.Key](t)(st.RevokeKey(ctx, "c-revoked", t0))
		must[store.Key](t)(st.RevokeKey(ctx, "e-expired-revoked", t0))
		off := false
		must[store.Key](t)(st.UpdateKey(ctx, "d-disabled", store.KeyUpdate{Enabled: &off}, t0))
		must[store.Key](t)(st.UpdateKey(ctx, "g-disabled-expired", store.KeyUpdate{Enabled: &off}, t0))
		now := t0.Add(time.Minute) // the expiry of the expiring ones, which counts as past
		ids := func(ks []store.Key) string {
			var s []string
			for _, k := range ks {
				s = append(s, k.ID)
			}
			return fmt.Sprint(s)
		}
		for _, c := range []struct {
			f    store.KeyFilter
			want string
		}{
			{store.KeyFilter{Status: store.KeyActive}, "[a-active f-active-later-expiry]"},
			{store.KeyFilter{Status: store.KeyExpired}, "[b-expired g-disabled-expired]"},
			{store.KeyFilter{Status: store.KeyRevoked}, "[c-revoked e-expired-revoked]"},
			{store.KeyFilter{Status: store.KeyDisabled}, "[d-disabled]"},
			{store.KeyFilter{NamePrefix: "e-"}, "[e-expired-revoked]"},
			{store.KeyFilter{NamePrefix: "E-"}, "[]"}, // prefixes are case-sensitive
			{store.KeyFilter{NamePrefix: "%"}, "[]"},  // no LIKE patterns
			{store.KeyFilter{Status: store.KeyActive, NamePrefix: "f"}, "[f-active-later-expiry]"},
			{store.KeyFilter{Status: store.KeyActive, After: "a-active"}, "[f-active-later-expiry]"},
		} {
			c.f.Now, c.f.Limit = now, 10
			if got := ids(must[[]store.Key](t)(st.ListKeys(ctx, c.f))); got != c.want {
				t.Errorf("%+v: %s, want %s", c.f, got, c.want)
			}
		}
		if _, err := st.ListKeys(ctx, store.KeyFilter{Status: "bogus", Limit: 10}); err == nil {
			t.Error("an unknown status listed keys")
		}
	})
}
