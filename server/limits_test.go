package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/backendtest"
)

// limitState returns the state of the named limit of scope in a verify
// answer, failing the test if there is none.
func limitState(t *testing.T, v response, name, scope string) map[string]any {
	t.Helper()
	ls, _ := v.get("ratelimits").([]any)
	for _, l := range ls {
		if m := l.(map[string]any); m["name"] == name && m["scope"] == scope {
			return m
		}
	}
	t.Fatalf("no %s limit %q in %s", scope, name, v.raw)
	return nil
}

func TestRefillsAndNamedRateLimits(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))
		verify := func(t *testing.T, body map[string]any, status string) response {
			t.Helper()
			v := s.do(t, "POST", "/v1/keys/verify", body)
			want(t, v, http.StatusOK)
			if v.str("status") != status {
				t.Fatalf("status %q, want %q: %s", v.str("status"), status, v.raw)
			}
			return v
		}
		created := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_l_", "owner": "acme",
			"refill":     map[string]any{"interval": "monthly", "amount": 5, "day": 31},
			"ratelimits": []any{map[string]any{"name": "requests", "limit": 3, "window": 60}, map[string]any{"name": "tokens", "limit": 100, "window": 3600}}})
		want(t, created, http.StatusCreated)
		key, id := created.str("key"), created.str("id")
		if created.num("remaining") != 5 || created.num("refill.day") != 31 || len(created.get("ratelimits").([]any)) != 2 {
			t.Fatalf("create answered %s", created.raw)
		}

		t.Run("a verification naming no limit spends all of them and reports each, and the refill", func(t *testing.T) {
			v := verify(t, map[string]any{"key": key}, "VALID")
			if limitState(t, v, "requests", "key")["remaining"] != 2.0 || limitState(t, v, "tokens", "key")["remaining"] != 99.0 {
				t.Fatalf("verify answered %s", v.raw)
			}
			if v.num("refill.remaining") != 4 || v.str("refill.next_refill_at") != "2030-01-31T00:00:00.000Z" || v.str("refill.interval") != "monthly" {
				t.Fatalf("refill in %s", v.raw)
			}
		})
		t.Run("a verification naming one limit spends only it, at its cost", func(t *testing.T) {
			v := verify(t, map[string]any{"key": key, "ratelimits": []any{map[string]any{"name": "tokens", "cost": 40}}}, "VALID")
			if limitState(t, v, "requests", "key")["remaining"] != 2.0 || limitState(t, v, "tokens", "key")["remaining"] != 59.0 {
				t.Fatalf("verify answered %s", v.raw)
			}
			v = verify(t, map[string]any{"key": key, "ratelimits": []any{map[string]any{"name": "tokens", "cost": 60}}}, "RATE_LIMITED")
			if limitState(t, v, "tokens", "key")["remaining"] != 59.0 || v.num("remaining") != 3 {
				t.Fatalf("a refused verification spent something: %s", v.raw)
			}
		})
		t.Run("a limit that neither the key nor its owner has is a 400 naming it", func(t *testing.T) {
			r := s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key, "ratelimits": []any{map[string]any{"name": "requests"}, map[string]any{"name": "nope"}}})
			want(t, r, http.StatusBadRequest, "invalid_request", "ratelimits[1].name")
			r = s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key, "ratelimits": []any{map[string]any{"name": "bad name"}}})
			want(t, r, http.StatusBadRequest, "invalid_request", "ratelimits[0].name")
		})
		t.Run("an owner's limits are set once and shared by its keys", func(t *testing.T) {
			other := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_l_", "owner": "acme"})
			want(t, other, http.StatusCreated)
			put := s.do(t, "PUT", "/v1/owners/acme/ratelimits", map[string]any{"ratelimits": []any{map[string]any{"name": "shared", "limit": 2, "window": 60}}})
			want(t, put, http.StatusOK)
			if put.str("namespace") != "default" || put.str("owner") != "acme" || len(put.get("ratelimits").([]any)) != 1 {
				t.Fatalf("PUT answered %s", put.raw)
			}
			verify(t, map[string]any{"key": key}, "VALID")
			v := verify(t, map[string]any{"key": other.str("key")}, "VALID")
			if limitState(t, v, "shared", "owner")["remaining"] != 0.0 {
				t.Fatalf("verify answered %s", v.raw)
			}
			verify(t, map[string]any{"key": other.str("key")}, "RATE_LIMITED")
			got := s.do(t, "GET", "/v1/owners/acme/ratelimits?namespace=default", nil)
			want(t, got, http.StatusOK)
			if l := got.get("ratelimits").([]any)[0].(map[string]any); l["remaining"] != 0.0 || l["window"] != 60.0 || l["limit"] != 2.0 {
				t.Fatalf("GET answered %s", got.raw)
			}
			want(t, s.do(t, "PUT", "/v1/owners/acme/ratelimits", map[string]any{"ratelimits": []any{}}), http.StatusOK)
			verify(t, map[string]any{"key": other.str("key")}, "VALID")
			empty := s.do(t, "GET", "/v1/owners/nobody/ratelimits", nil)
			want(t, empty, http.StatusOK)
			if ls, ok := empty.get("ratelimits").([]any); !ok || len(ls) != 0 {
				t.Fatalf("GET of an owner without limits answered %s", empty.raw)
			}
		})
		t.Run("bad owner limits are 400s naming the field, and a foreign namespace is a 403", func(t *testing.T) {
			want(t, s.do(t, "PUT", "/v1/owners/acme/ratelimits", map[string]any{}), http.StatusBadRequest, "invalid_request", "ratelimits")
			want(t, s.do(t, "PUT", "/v1/owners/acme/ratelimits", map[string]any{"ratelimits": []any{map[string]any{"name": "a", "limit": 1, "window": 0}}}),
				http.StatusBadRequest, "invalid_request", "ratelimits[0].window")
			want(t, s.do(t, "PUT", "/v1/owners/acme/ratelimits", map[string]any{"ratelimits": []any{map[string]any{"name": "a", "limit": 1, "window": 1},
				map[string]any{"name": "a", "limit": 1, "window": 1}}}), http.StatusBadRequest, "invalid_request", "ratelimits[1].name")
			want(t, s.do(t, "GET", "/v1/owners/acme/ratelimits?nope=1", nil), http.StatusBadRequest, "invalid_request")
			billing := s.as(s.accessKey(t, []string{"keys:update", "keys:read"}, []string{"billing"}))
			want(t, billing.do(t, "PUT", "/v1/owners/acme/ratelimits", map[string]any{"ratelimits": []any{}}), http.StatusForbidden, "forbidden", "namespace")
			want(t, billing.do(t, "PUT", "/v1/owners/acme/ratelimits?namespace=billing", map[string]any{"ratelimits": []any{}}), http.StatusOK)
		})
		t.Run("a PATCH replaces the named limits and the refill, and bad ones are 400s naming the field", func(t *testing.T) {
			r := s.do(t, "PATCH", "/v1/keys/"+id, map[string]any{"refill": map[string]any{"interval": "daily", "amount": 9},
				"ratelimits": []any{map[string]any{"name": "requests", "limit": 10, "window": 60}}})
			want(t, r, http.StatusOK)
			if r.str("refill.interval") != "daily" || r.get("refill.day") != nil || len(r.get("ratelimits").([]any)) != 1 {
				t.Fatalf("PATCH answered %s", r.raw)
			}
			r = s.do(t, "PATCH", "/v1/keys/"+id, map[string]any{"refill": nil, "ratelimits": []any{}})
			want(t, r, http.StatusOK)
			if r.get("refill") != nil || len(r.get("ratelimits").([]any)) != 0 {
				t.Fatalf("PATCH answered %s", r.raw)
			}
			for field, body := range map[string]map[string]any{
				"refill.interval":     {"refill": map[string]any{"interval": "weekly", "amount": 1}},
				"refill.day":          {"refill": map[string]any{"interval": "daily", "amount": 1, "day": 3}},
				"refill":              {"refill": 7},
				"ratelimits":          {"ratelimits": "x"},
				"ratelimits[0].limit": {"ratelimits": []any{map[string]any{"name": "a", "limit": 0, "window": 1}}},
			} {
				want(t, s.do(t, "PATCH", "/v1/keys/"+id, body), http.StatusBadRequest, "invalid_request", field)
			}
			want(t, s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_l_", "refill": map[string]any{"interval": "monthly", "amount": 1, "day": 32}}),
				http.StatusBadRequest, "invalid_request", "refill.day")
		})
	})
}

// TestRefillsAndNamedLimitsAreExactAcrossTwoServers runs two servers on one
// database, with clocks moved together.
func TestRefillsAndNamedLimitsAreExactAcrossTwoServers(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s1, s2 := start(t, b.open(t)), start(t, b.open(t))
		both := []*instance{s1, s2}
		verifyAll := func(n int, body map[string]any) map[string]int {
			return backendtest.Parallel(t, n, both, func(s *instance) (string, error) {
				r, err := s.try("POST", "/v1/keys/verify", body)
				return r.str("status"), err
			})
		}
		t.Run("1,000 verifications over a refill time admit 300 before it and 300 after it", func(t *testing.T) {
			c := s1.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_l_", "refill": map[string]any{"interval": "daily", "amount": 300}})
			want(t, c, http.StatusCreated)
			before := verifyAll(500, map[string]any{"key": c.str("key")})
			s1.clock.Advance(24 * time.Hour)
			s2.clock.Advance(24 * time.Hour)
			after := verifyAll(500, map[string]any{"key": c.str("key")})
			if before["VALID"] != 300 || before["USAGE_EXCEEDED"] != 200 || after["VALID"] != 300 || after["USAGE_EXCEEDED"] != 200 {
				t.Fatalf("before the refill %v, after %v; want 300 VALID of 500 each", before, after)
			}
		})
		t.Run("an owner's limit of 100 admits exactly 100 of 300 verifications of its two keys", func(t *testing.T) {
			want(t, s2.do(t, "PUT", "/v1/owners/team/ratelimits", map[string]any{"ratelimits": []any{map[string]any{"name": "shared", "limit": 100, "window": 3600}}}), http.StatusOK)
			k1 := s1.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_l_", "owner": "team"})
			k2 := s2.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_l_", "owner": "team", "ratelimits": []any{map[string]any{"name": "own", "limit": 1000, "window": 60}}})
			got := backendtest.Parallel(t, 300, both, func(s *instance) (string, error) {
				key := k1.str("key")
				if s == s2 {
					key = k2.str("key")
				}
				r, err := s.try("POST", "/v1/keys/verify", map[string]any{"key": key})
				return r.str("status"), err
			})
			if got["VALID"] != 100 || got["RATE_LIMITED"] != 200 {
				t.Fatalf("outcomes %v, want 100 VALID and 200 RATE_LIMITED", got)
			}
		})
	})
}
