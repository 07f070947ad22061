package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/unguessable/secrets/access"
)

// as returns a client of s that presents key.
func (s *instance) as(key string) *client {
	c := newClient(s.base)
	c.key = key
	return c
}

// accessKey creates an access key through the API and returns its plaintext.
func (s *instance) accessKey(t *testing.T, scopes, namespaces []string) string {
	t.Helper()
	r := s.do(t, "POST", "/v1/access-keys", map[string]any{"name": "test", "scopes": scopes, "namespaces": namespaces})
	want(t, r, http.StatusCreated)
	return r.str("key")
}

func without(all []string, one string) []string {
	return slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == one })
}

// bodies are requests that each route accepts, so that an answer other
// than 401 or 403 shows the scope check passed.
var bodies = map[string]any{
	"POST /v1/keys":                     map[string]any{"prefix": "sk_t_"},
	"POST /v1/keys/verify":              map[string]any{"key": "sk_x"},
	"PATCH /v1/keys/{id}":               map[string]any{},
	"POST /v1/keys/{id}/reroll":         map[string]any{},
	"POST /v1/tokens":                   map[string]any{"purpose": "reset", "subject": "u"},
	"POST /v1/tokens/verify":            map[string]any{"purpose": "reset", "token": "t"},
	"POST /v1/tokens/redeem":            map[string]any{"purpose": "reset", "token": "t"},
	"POST /v1/codes":                    map[string]any{"purpose": "login", "subject": "u"},
	"POST /v1/codes/verify":             map[string]any{"purpose": "login", "subject": "u", "code": "123456"},
	"POST /v1/access-keys":              map[string]any{"name": "n", "scopes": []string{"access:manage"}, "namespaces": []string{"*"}},
	"DELETE /v1/tokens":                 nil,
	"DELETE /v1/access-keys/{id}":       nil,
	"PUT /v1/owners/{owner}/ratelimits": map[string]any{"ratelimits": []any{}},
	"POST /v1/roles":                    map[string]any{"name": "r", "permissions": []string{}},
}

// TestEveryRouteNeedsItsScope is the table over every route and scope: a
// key that holds every scope but the route's gets 403 naming it; a key
// that holds only the route's scope gets past the check.
func TestEveryRouteNeedsItsScope(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	checked := 0
	for _, route := range s.srv.Routes() {
		scope, ok := s.srv.Scope(route)
		if !ok {
			t.Fatalf("route %s has no scope entry", route)
		}
		if scope == "" {
			if strings.Contains(route, "/v1/") {
				t.Errorf("%s needs no scope", route)
			}
			continue
		}
		method, path, _ := strings.Cut(route, " ")
		path = strings.ReplaceAll(path, "{id}", "key_x")
		path = strings.ReplaceAll(path, "{owner}", "acme")
		if route == "DELETE /v1/tokens" {
			path += "?purpose=reset&subject=u"
		}
		t.Run(route+" needs "+scope, func(t *testing.T) {
			lacking := s.as(s.accessKey(t, without(access.AllScopes, scope), []string{"*"}))
			r := lacking.do(t, method, path, bodies[route])
			want(t, r, http.StatusForbidden, "forbidden")
			if !strings.Contains(r.str("error.message"), scope) {
				t.Errorf("the 403 does not name %s: %s", scope, r.raw)
			}
			holding := s.as(s.accessKey(t, []string{scope}, []string{"*"}))
			if r := holding.do(t, method, path, bodies[route]); r.status == http.StatusForbidden || r.status == http.StatusUnauthorized {
				t.Errorf("a key with only %s: %d %s", scope, r.status, r.raw)
			}
		})
		checked++
	}
	if checked != 28 {
		t.Errorf("%d routes with a scope, want 28 (every /v1 route and /metrics)", checked)
	}
	t.Run("a made-up, mistyped or revoked access key is 401 like no key", func(t *testing.T) {
		r := s.do(t, "POST", "/v1/access-keys", map[string]any{"name": "soon revoked", "scopes": access.AllScopes, "namespaces": []string{"*"}})
		key := r.str("key")
		typo := []byte(key)
		typo[8] ^= 1
		want(t, s.as(key).do(t, "GET", "/v1/keys", nil), http.StatusOK)
		want(t, s.do(t, "DELETE", "/v1/access-keys/"+r.str("id"), nil), http.StatusNoContent)
		for _, k := range []string{"sak_" + strings.Repeat("a", 49), string(typo), key} {
			want(t, s.as(k).do(t, "GET", "/v1/keys", nil), http.StatusUnauthorized, "unauthorized")
		}
	})
}

func TestNamespacesLimitKeyCalls(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))
		billing := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_b_", "namespace": "billing"})
		other := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_o_", "namespace": "other"})
		want(t, billing, http.StatusCreated)
		c := s.as(s.accessKey(t, access.AllScopes, []string{"billing"}))
		t.Run("a key of another namespace verifies NOT_FOUND, like no key at all", func(t *testing.T) {
			r := c.do(t, "POST", "/v1/keys/verify", map[string]any{"key": other.str("key"), "namespace": "other"})
			want(t, r, http.StatusOK)
			none := c.do(t, "POST", "/v1/keys/verify", map[string]any{"key": "sk_o_" + strings.Repeat("x", 49), "namespace": "billing"})
			if r.str("status") != "NOT_FOUND" || r.get("valid") != false || len(r.body) != len(none.body) {
				t.Fatalf("verify in a hidden namespace: %s (a missing key: %s)", r.raw, none.raw)
			}
			if r := c.do(t, "POST", "/v1/keys/verify", map[string]any{"key": billing.str("key"), "namespace": "billing"}); r.str("status") != "VALID" {
				t.Fatalf("verify in its own namespace: %s", r.raw)
			}
		})
		t.Run("get, update, revoke and reroll of a key of another namespace are 404", func(t *testing.T) {
			id := other.str("id")
			for _, call := range [][2]string{{"GET", "/v1/keys/" + id}, {"PATCH", "/v1/keys/" + id}, {"DELETE", "/v1/keys/" + id}, {"POST", "/v1/keys/" + id + "/reroll"}} {
				want(t, c.do(t, call[0], call[1], map[string]any{}), http.StatusNotFound, "not_found")
			}
			if r := s.do(t, "GET", "/v1/keys/"+id, nil); r.str("revoked_at") != "" {
				t.Fatalf("the hidden key was changed: %s", r.raw)
			}
		})
		t.Run("creating in another namespace is 403; listing needs one of its namespaces", func(t *testing.T) {
			want(t, c.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_x_", "namespace": "other"}), http.StatusForbidden, "forbidden", "namespace")
			want(t, c.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_x_"}), http.StatusForbidden, "forbidden", "namespace")
			want(t, c.do(t, "GET", "/v1/keys", nil), http.StatusForbidden, "forbidden", "namespace")
			want(t, c.do(t, "GET", "/v1/keys?namespace=other", nil), http.StatusForbidden, "forbidden", "namespace")
			r := c.do(t, "GET", "/v1/keys?namespace=billing", nil)
			want(t, r, http.StatusOK)
			if n := len(r.get("keys").([]any)); n != 1 {
				t.Fatalf("%d keys listed", n)
			}
		})
	})
}

func TestAuditTrail(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))
		ops := s.as(s.accessKey(t, []string{access.KeysCreate, access.KeysRevoke, access.TokensIssue, access.CodesIssue}, []string{"*"}))
		created := ops.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_a_", "namespace": "billing"})
		want(t, created, http.StatusCreated)
		if created.header.Get("X-Request-Id") == "" {
			t.Fatal("no X-Request-Id on a state-changing call")
		}
		want(t, ops.do(t, "DELETE", "/v1/keys/"+created.str("id"), nil), http.StatusNoContent)
		tok := ops.do(t, "POST", "/v1/tokens", map[string]any{"purpose": "reset", "subject": "alice"})
		code := ops.do(t, "POST", "/v1/codes", map[string]any{"purpose": "login", "subject": "alice"})
		want(t, ops.do(t, "PATCH", "/v1/keys/"+created.str("id"), map[string]any{}), http.StatusForbidden, "forbidden")
		r := s.do(t, "GET", "/v1/audit?limit=500", nil)
		want(t, r, http.StatusOK)
		var got []string
		for _, rec := range r.get("records").([]any) {
			m := rec.(map[string]any)
			if m["actor_name"] == "test" {
				got = append(got, m["action"].(string)+" "+m["outcome"].(string)+" "+m["namespace"].(string))
			}
		}
		wantActions := []string{"keys.create ok billing", "keys.revoke ok ", "tokens.issue ok ", "codes.issue ok ", "keys.update forbidden "}
		if strings.Join(got, "|") != strings.Join(wantActions, "|") {
			t.Fatalf("audit trail %q, want %q", got, wantActions)
		}
		for _, secret := range []string{created.str("key"), tok.str("token"), code.str("code")} {
			if strings.Contains(string(r.raw), secret) {
				t.Fatal("the audit trail holds a secret")
			}
		}
		byTarget := s.do(t, "GET", "/v1/audit?target="+created.str("id")+"&action=keys.revoke", nil)
		if recs := byTarget.get("records").([]any); len(recs) != 1 || recs[0].(map[string]any)["request_id"] == "" {
			t.Fatalf("by target: %s", byTarget.raw)
		}
		want(t, s.do(t, "GET", "/v1/audit?from=yesterday", nil), http.StatusBadRequest, "invalid_request", "from")
		want(t, s.do(t, "GET", "/v1/audit?limit=0", nil), http.StatusBadRequest, "invalid_request", "limit")
		t.Run("a revoked key is a tombstone: it verifies REVOKED and GET still shows it", func(t *testing.T) {
			v := s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": created.str("key"), "namespace": "billing"})
			if v.str("status") != "REVOKED" {
				t.Fatalf("verify of a revoked key: %s", v.raw)
			}
			want(t, s.do(t, "GET", "/v1/keys/"+created.str("id"), nil), http.StatusOK)
		})
	})
}

func TestAccessKeyEndpoints(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	r := s.do(t, "POST", "/v1/access-keys", map[string]any{"name": "verifier", "scopes": []string{"keys:verify"}, "namespaces": []string{"billing"}})
	want(t, r, http.StatusCreated)
	key, id := r.str("key"), r.str("id")
	if !strings.HasPrefix(key, "sak_") || r.str("start") == "" || r.get("last_used_at") != nil {
		t.Fatalf("created %s", r.raw)
	}
	g := s.do(t, "GET", "/v1/access-keys/"+id, nil)
	if g.get("key") != nil || strings.Contains(string(g.raw), key) || g.str("name") != "verifier" {
		t.Fatalf("GET answered %s", g.raw)
	}
	s.as(key).do(t, "POST", "/v1/keys/verify", map[string]any{"key": "sk_x", "namespace": "billing"})
	if g := s.do(t, "GET", "/v1/access-keys/"+id, nil); g.str("last_used_at") == "" {
		t.Fatalf("last_used_at after a call: %s", g.raw)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "x", "scopes": []string{"keys:all"}, "namespaces": []string{"*"}}, "scopes"},
		{map[string]any{"name": "x", "scopes": []string{}, "namespaces": []string{"*"}}, "scopes"},
		{map[string]any{"name": "x", "scopes": []string{"keys:read"}}, "namespaces"},
		{map[string]any{"name": "", "scopes": []string{"keys:read"}, "namespaces": []string{"*"}}, "name"},
	} {
		want(t, s.do(t, "POST", "/v1/access-keys", bad.body), http.StatusBadRequest, "invalid_request", bad.field)
	}
	want(t, s.do(t, "GET", "/v1/access-keys/ak_nope", nil), http.StatusNotFound, "not_found")
	want(t, s.do(t, "DELETE", "/v1/access-keys/ak_nope", nil), http.StatusNotFound, "not_found")
	page := s.do(t, "GET", "/v1/access-keys?limit=1", nil)
	if len(page.get("access_keys").([]any)) != 1 {
		t.Fatalf("page %s", page.raw)
	}
}

func TestAnAccessKeyMakesNoKeyWiderThanItself(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	manager := s.as(s.accessKey(t, []string{access.AccessManage, access.KeysRead}, []string{"billing"}))
	t.Run("not all namespaces", func(t *testing.T) {
		r := manager.do(t, "POST", "/v1/access-keys", map[string]any{"name": "wide", "scopes": []string{access.KeysRead}, "namespaces": []string{"*"}})
		want(t, r, http.StatusForbidden, "forbidden", "namespaces")
	})
	t.Run("not another namespace", func(t *testing.T) {
		r := manager.do(t, "POST", "/v1/access-keys", map[string]any{"name": "other", "scopes": []string{access.KeysRead}, "namespaces": []string{"shop"}})
		want(t, r, http.StatusForbidden, "forbidden", "namespaces")
	})
	t.Run("not a scope it lacks", func(t *testing.T) {
		r := manager.do(t, "POST", "/v1/access-keys", map[string]any{"name": "create", "scopes": []string{access.KeysCreate}, "namespaces": []string{"billing"}})
		want(t, r, http.StatusForbidden, "forbidden", "scopes")
	})
	t.Run("what it holds itself, or less", func(t *testing.T) {
		r := manager.do(t, "POST", "/v1/access-keys", map[string]any{"name": "reader", "scopes": []string{access.KeysRead}, "namespaces": []string{"billing"}})
		want(t, r, http.StatusCreated)
	})
	t.Run("the root key makes any", func(t *testing.T) {
		r := s.do(t, "POST", "/v1/access-keys", map[string]any{"name": "all", "scopes": access.AllScopes, "namespaces": []string{"*"}})
		want(t, r, http.StatusCreated)
	})
}

// A limited key of access:manage sees and revokes only the access keys it
// could have made: none of all namespaces, of another namespace, or with a
// scope it lacks. The others answer 404, as an id that does not exist.
func TestAnAccessKeyManagesOnlyKeysNoWiderThanItself(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	manager := s.do(t, "POST", "/v1/access-keys", map[string]any{"name": "manager", "scopes": []string{access.AccessManage, access.KeysRead}, "namespaces": []string{"billing"}})
	want(t, manager, http.StatusCreated)
	m := s.as(manager.str("key"))
	mine := m.do(t, "POST", "/v1/access-keys", map[string]any{"name": "reader", "scopes": []string{access.KeysRead}, "namespaces": []string{"billing"}})
	want(t, mine, http.StatusCreated)
	var wider []string
	for _, k := range []map[string]any{
		{"name": "global-ops", "scopes": access.AllScopes, "namespaces": []string{"*"}},
		{"name": "shop", "scopes": []string{access.KeysRead}, "namespaces": []string{"shop"}},
		{"name": "creator", "scopes": []string{access.KeysCreate}, "namespaces": []string{"billing"}},
		{"name": "both", "scopes": []string{access.KeysRead}, "namespaces": []string{"billing", "shop"}},
	} {
		r := s.do(t, "POST", "/v1/access-keys", k)
		want(t, r, http.StatusCreated)
		wider = append(wider, r.str("id"))
	}
	listed := func(c *client, limit string) []string {
		var ids []string
		cursor := ""
		for range 20 {
			r := c.do(t, "GET", "/v1/access-keys?limit="+limit+cursor, nil)
			want(t, r, http.StatusOK)
			for _, k := range r.get("access_keys").([]any) {
				ids = append(ids, k.(map[string]any)["id"].(string))
			}
			next, _ := r.get("cursor").(string)
			if next == "" {
				return ids
			}
			cursor = "&cursor=" + next
		}
		t.Fatal("the listing did not end")
		return nil
	}
	for _, limit := range []string{"1", "2", "100"} {
		got := listed(m, limit)
		slices.Sort(got)
		wantIDs := []string{manager.str("id"), mine.str("id")}
		slices.Sort(wantIDs)
		if !slices.Equal(got, wantIDs) {
			t.Errorf("the manager lists (limit %s) %v, want only itself and the key it made %v", limit, got, wantIDs)
		}
	}
	if all := listed(s.client, "100"); len(all) != 6 {
		t.Errorf("the root key lists %d access keys, want 6", len(all))
	}
	for _, id := range wider {
		want(t, m.do(t, "GET", "/v1/access-keys/"+id, nil), http.StatusNotFound, "not_found")
		want(t, m.do(t, "DELETE", "/v1/access-keys/"+id, nil), http.StatusNotFound, "not_found")
		if r := s.do(t, "GET", "/v1/access-keys/"+id, nil); r.get("revoked_at") != nil {
			t.Errorf("the manager revoked %s, which is wider than itself: %s", id, r.raw)
		}
	}
	want(t, m.do(t, "GET", "/v1/access-keys/"+mine.str("id"), nil), http.StatusOK)
	want(t, m.do(t, "DELETE", "/v1/access-keys/"+mine.str("id"), nil), http.StatusNoContent)
	want(t, s.do(t, "DELETE", "/v1/access-keys/"+wider[0], nil), http.StatusNoContent) // the root key revokes any
}

func TestTheAuditLogOfANamespaceLimitedKeyHoldsItsNamespacesOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))
		want(t, s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_b_", "namespace": "billing"}), http.StatusCreated)
		want(t, s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_o_", "namespace": "other"}), http.StatusCreated)
		want(t, s.do(t, "POST", "/v1/tokens", map[string]any{"purpose": "reset", "subject": "u"}), http.StatusCreated)
		limited := s.as(s.accessKey(t, []string{access.AuditRead}, []string{"billing"}))
		r := limited.do(t, "GET", "/v1/audit", nil)
		want(t, r, http.StatusOK)
		recs := r.get("records").([]any)
		if len(recs) != 1 || recs[0].(map[string]any)["namespace"] != "billing" {
			t.Fatalf("a key of namespace billing reads %s", r.raw)
		}
		if all := s.do(t, "GET", "/v1/audit", nil); len(all.get("records").([]any)) < 4 {
			t.Fatalf("the root key reads %s", all.raw)
		}
	})
}

func TestAGarbageCursorIsABadRequest(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	for _, path := range []string{"/v1/audit?cursor=garbage", "/v1/access-keys?cursor=key_0000000000000000000000000000", "/v1/audit?cursor=ak_0123456789abcdef0123456789ab"} {
		want(t, s.do(t, "GET", path, nil), http.StatusBadRequest, "invalid_request", "cursor")
	}
	r := s.do(t, "GET", "/v1/audit?limit=1", nil)
	want(t, r, http.StatusOK)
	if c := r.str("cursor"); c != "" {
		want(t, s.do(t, "GET", "/v1/audit?limit=1&cursor="+c, nil), http.StatusOK)
	}
}
