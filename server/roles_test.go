package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func strs(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestRolesAndPermissionEndpoints(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))

		r := s.do(t, "POST", "/v1/roles", map[string]any{"name": "writer", "permissions": []string{"docs.write", "docs.read"}})
		want(t, r, http.StatusCreated)
		if r.str("namespace") != "default" || !slices.Equal(strs(r.get("permissions")), []string{"docs.read", "docs.write"}) {
			t.Fatalf("put role answered %s", r.raw)
		}
		created := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_p_", "name": "svc", "roles": []string{"writer"}, "permissions": []string{"billing.read"}})
		want(t, created, http.StatusCreated)
		key, id := created.str("key"), created.str("id")
		if !slices.Equal(strs(created.get("roles")), []string{"writer"}) || !slices.Equal(strs(created.get("permissions")), []string{"billing.read"}) {
			t.Fatalf("create answered %s", created.raw)
		}

		t.Run("a verification with a query the key satisfies is VALID and lists the effective permissions", func(t *testing.T) {
			v := s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key, "permissions": "docs.read AND (docs.write OR admin)"})
			want(t, v, http.StatusOK)
			if v.str("status") != "VALID" || !slices.Equal(strs(v.get("permissions")), []string{"billing.read", "docs.read", "docs.write"}) {
				t.Fatalf("verify answered %s", v.raw)
			}
		})
		t.Run("a verification that asks no permissions lists none", func(t *testing.T) {
			v := s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key})
			want(t, v, http.StatusOK)
			if v.str("status") != "VALID" || v.get("permissions") != nil {
				t.Fatalf("verify answered %s", v.raw)
			}
		})
		t.Run("a key that lacks the permissions is 200 INSUFFICIENT_PERMISSIONS", func(t *testing.T) {
			v := s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key, "permissions": "admin AND docs.read"})
			want(t, v, http.StatusOK)
			if v.get("valid") != false || v.str("status") != "INSUFFICIENT_PERMISSIONS" || v.str("id") != id {
				t.Fatalf("verify answered %s", v.raw)
			}
		})
		t.Run("a malformed query is a 400 naming permissions and the position", func(t *testing.T) {
			for q, pos := range map[string]string{"docs.read AND": "position 14", "(a OR b": "position 1", "a $ b": "position 3",
				strings.Repeat("(", 9) + "a" + strings.Repeat(")", 9): "position 9", strings.Repeat("a OR ", 300): "position 1025"} {
				v := s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key, "permissions": q})
				want(t, v, http.StatusBadRequest, "invalid_request", "permissions")
				if !strings.Contains(v.str("error.message"), pos) {
					t.Errorf("%.20q: message %q does not name %s", q, v.str("error.message"), pos)
				}
			}
		})
		t.Run("replacing a role is a 200 and changes its keys at once", func(t *testing.T) {
			r := s.do(t, "POST", "/v1/roles", map[string]any{"name": "writer", "permissions": []string{"docs.read"}})
			want(t, r, http.StatusOK)
			v := s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key, "permissions": "docs.write"})
			if v.str("status") != "INSUFFICIENT_PERMISSIONS" {
				t.Fatalf("after the role lost docs.write: %s", v.raw)
			}
		})
		t.Run("roles list a page at a time", func(t *testing.T) {
			want(t, s.do(t, "POST", "/v1/roles", map[string]any{"name": "admin", "permissions": []string{"admin"}}), http.StatusCreated)
			p := s.do(t, "GET", "/v1/roles?limit=1", nil)
			want(t, p, http.StatusOK)
			roles, _ := p.get("roles").([]any)
			if len(roles) != 1 || p.str("roles.0") != "" || p.str("cursor") != "admin" {
				t.Fatalf("first page %s", p.raw)
			}
			p = s.do(t, "GET", "/v1/roles?limit=1&cursor=admin", nil)
			want(t, p, http.StatusOK)
			if roles, _ := p.get("roles").([]any); len(roles) != 1 || p.get("cursor") != nil {
				t.Fatalf("second page %s", p.raw)
			}
			want(t, s.do(t, "GET", "/v1/roles?limit=0", nil), http.StatusBadRequest, "invalid_request", "limit")
		})
		t.Run("PATCH changes name, owner, roles and permissions", func(t *testing.T) {
			p := s.do(t, "PATCH", "/v1/keys/"+id, map[string]any{"name": "svc2", "owner": "bob", "roles": []string{"admin"}, "permissions": []string{}})
			want(t, p, http.StatusOK)
			if p.str("name") != "svc2" || p.str("owner") != "bob" || !slices.Equal(strs(p.get("roles")), []string{"admin"}) || len(strs(p.get("permissions"))) != 0 {
				t.Fatalf("PATCH answered %s", p.raw)
			}
			v := s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key, "permissions": "admin"})
			if v.str("status") != "VALID" || v.str("owner") != "bob" || !slices.Equal(strs(v.get("permissions")), []string{"admin"}) {
				t.Fatalf("verify after PATCH: %s", v.raw)
			}
			want(t, s.do(t, "PATCH", "/v1/keys/"+id, map[string]any{"roles": []string{"nope"}}), http.StatusBadRequest, "invalid_request", "roles")
			want(t, s.do(t, "PATCH", "/v1/keys/"+id, map[string]any{"permissions": []string{"a b"}}), http.StatusBadRequest, "invalid_request", "permissions")
		})
		t.Run("bad roles are 400s naming the field", func(t *testing.T) {
			want(t, s.do(t, "POST", "/v1/roles", map[string]any{"permissions": []string{}}), http.StatusBadRequest, "invalid_request", "name")
			want(t, s.do(t, "POST", "/v1/roles", map[string]any{"name": "r"}), http.StatusBadRequest, "invalid_request", "permissions")
			want(t, s.do(t, "POST", "/v1/roles", map[string]any{"name": "OR", "permissions": []string{}}), http.StatusBadRequest, "invalid_request", "name")
			want(t, s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_p_", "roles": []string{"missing"}}), http.StatusBadRequest, "invalid_request", "roles")
		})
		t.Run("an access key puts and lists roles only in its namespaces", func(t *testing.T) {
			c := s.as(s.accessKey(t, []string{"keys:update", "keys:read"}, []string{"team"}))
			want(t, c.do(t, "POST", "/v1/roles", map[string]any{"namespace": "team", "name": "r", "permissions": []string{"x"}}), http.StatusCreated)
			want(t, c.do(t, "POST", "/v1/roles", map[string]any{"name": "r", "permissions": []string{"x"}}), http.StatusForbidden, "forbidden", "namespace")
			want(t, c.do(t, "GET", "/v1/roles?namespace=team", nil), http.StatusOK)
			want(t, c.do(t, "GET", "/v1/roles", nil), http.StatusForbidden, "forbidden", "namespace")
		})
	})
}

func TestKeyListFilters(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))
		ids := map[string]string{}
		for _, n := range []string{"svc-a", "svc-b", "svc-c", "web-a"} {
			c := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_l_", "name": n, "owner": "o", "expires_in": 3600})
			want(t, c, http.StatusCreated)
			ids[n] = c.str("id")
			s.clock.Advance(time.Millisecond) // ids sort by their millisecond first
		}
		want(t, s.do(t, "DELETE", "/v1/keys/"+ids["svc-b"], nil), http.StatusNoContent)
		want(t, s.do(t, "PATCH", "/v1/keys/"+ids["svc-c"], map[string]any{"enabled": false}), http.StatusOK)
		names := func(r response) string {
			var out []string
			list, _ := r.get("keys").([]any)
			for _, k := range list {
				out = append(out, k.(map[string]any)["name"].(string))
			}
			return strings.Join(out, ",")
		}
		for q, wantNames := range map[string]string{
			"name_prefix=svc-":          "svc-a,svc-b,svc-c",
			"status=active":             "svc-a,web-a",
			"status=revoked":            "svc-b",
			"status=disabled":           "svc-c",
			"status=expired":            "",
			"status=active&owner=o":     "svc-a,web-a",
			"status=active&owner=other": "",
		} {
			r := s.do(t, "GET", "/v1/keys?"+q, nil)
			want(t, r, http.StatusOK)
			if got := names(r); got != wantNames {
				t.Errorf("%s: %s, want %s", q, got, wantNames)
			}
		}
		first := s.do(t, "GET", "/v1/keys?name_prefix=svc-&limit=2", nil)
		want(t, first, http.StatusOK)
		cursor := first.str("cursor")
		next := s.do(t, "GET", "/v1/keys?name_prefix=svc-&limit=2&cursor="+url.QueryEscape(cursor), nil)
		want(t, next, http.StatusOK)
		if names(first) != "svc-a,svc-b" || names(next) != "svc-c" || next.get("cursor") != nil {
			t.Fatalf("pages %s then %s (%s)", names(first), names(next), next.raw)
		}
		for _, q := range []string{"cursor=garbage", "cursor=" + ids["svc-a"], "name_prefix=web-&cursor=" + url.QueryEscape(cursor),
			"status=active&name_prefix=svc-&cursor=" + url.QueryEscape(cursor)} {
			want(t, s.do(t, "GET", "/v1/keys?limit=2&"+q, nil), http.StatusBadRequest, "invalid_request", "cursor")
		}
		want(t, s.do(t, "GET", "/v1/keys?status=gone", nil), http.StatusBadRequest, "invalid_request", "status")
		s.clock.Advance(2 * time.Hour)
		r := s.do(t, "GET", "/v1/keys?status=expired", nil)
		want(t, r, http.StatusOK)
		if got := names(r); got != "svc-a,svc-c,web-a" {
			t.Errorf("expired after two hours: %s", got)
		}
	})
}
