package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unguessable/secrets/apikey"
)

func TestKeyEndpoints(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))

		created := s.do(t, "POST", "/v1/keys", map[string]any{
			"prefix": "sk_test_", "owner": "alice", "name": "ci", "meta": map[string]any{"plan": "pro"},
		})
		want(t, created, http.StatusCreated)
		key, id := created.str("key"), created.str("id")
		if !strings.HasPrefix(key, "sk_test_") || id == "" || created.str("start") == "" || strings.Contains(key, created.str("start")[len("sk_test_")+3:]) == false {
			t.Fatalf("create answered %s", created.raw)
		}
		if created.str("namespace") != "default" || created.get("remaining") != nil || created.get("expires_at") != nil {
			t.Fatalf("defaults: %s", created.raw)
		}

		t.Run("the plaintext key appears only in the answer to create", func(t *testing.T) {
			got := s.do(t, "GET", "/v1/keys/"+id, nil)
			want(t, got, http.StatusOK)
			if strings.Contains(string(got.raw), key) || got.get("key") != nil || got.str("owner") != "alice" || got.str("meta.plan") != "pro" {
				t.Fatalf("GET answered %s", got.raw)
			}
		})

		t.Run("a good key verifies with its owner and metadata", func(t *testing.T) {
			v := s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key})
			want(t, v, http.StatusOK)
			if v.get("valid") != true || v.str("status") != "VALID" || v.str("id") != id || v.str("owner") != "alice" || v.str("meta.plan") != "pro" {
				t.Fatalf("verify answered %s", v.raw)
			}
		})

		verify := func(t *testing.T, body map[string]any) response {
			t.Helper()
			v := s.do(t, "POST", "/v1/keys/verify", body)
			want(t, v, http.StatusOK)
			if (v.str("status") == "VALID") != (v.get("valid") == true) {
				t.Fatalf("valid and status disagree: %s", v.raw)
			}
			return v
		}
		wantStatus := func(t *testing.T, v response, status string) {
			t.Helper()
			if v.str("status") != status {
				t.Fatalf("status %q, want %q: %s", v.str("status"), status, v.raw)
			}
		}

		t.Run("a key with a bad checksum is MALFORMED", func(t *testing.T) {
			last := key[len(key)-1]
			other := byte('0')
			if last == '0' {
				other = '1'
			}
			wantStatus(t, verify(t, map[string]any{"key": key[:len(key)-1] + string(other)}), "MALFORMED")
			wantStatus(t, verify(t, map[string]any{"key": "not a key"}), "MALFORMED")
			wantStatus(t, verify(t, map[string]any{"key": ""}), "MALFORMED") // an answer, as for any other non-key: not a 400
		})
		t.Run("a well-formed key that was never issued is NOT_FOUND", func(t *testing.T) {
			wantStatus(t, verify(t, map[string]any{"key": apikey.New("sk_test_")}), "NOT_FOUND")
		})
		t.Run("a key of another namespace is NOT_FOUND", func(t *testing.T) {
			wantStatus(t, verify(t, map[string]any{"key": key, "namespace": "staging"}), "NOT_FOUND")
		})
		t.Run("remaining uses run out: USAGE_EXCEEDED", func(t *testing.T) {
			k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_", "remaining": 2})
			want(t, k, http.StatusCreated)
			v := verify(t, map[string]any{"key": k.str("key"), "cost": 2})
			wantStatus(t, v, "VALID")
			if v.num("remaining") != 0 {
				t.Fatalf("remaining after spending 2 of 2: %s", v.raw)
			}
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "USAGE_EXCEEDED")
			wantStatus(t, verify(t, map[string]any{"key": k.str("key"), "cost": 0}), "VALID")
		})
		t.Run("a rate limit admits limit uses per window: RATE_LIMITED, then a new window", func(t *testing.T) {
			k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_", "ratelimit": map[string]any{"limit": 2, "window": 60}})
			want(t, k, http.StatusCreated)
			if k.num("ratelimit.limit") != 2 || k.num("ratelimit.window") != 60 {
				t.Fatalf("create answered %s", k.raw)
			}
			v := verify(t, map[string]any{"key": k.str("key")})
			wantStatus(t, v, "VALID")
			if v.num("ratelimit.remaining") != 1 || v.num("ratelimit.limit") != 2 || v.str("ratelimit.reset") == "" {
				t.Fatalf("rate-limit state: %s", v.raw)
			}
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "VALID")
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "RATE_LIMITED")
			s.clock.Advance(time.Minute)
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "VALID")
		})
		t.Run("a key past expires_in is EXPIRED", func(t *testing.T) {
			k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_", "expires_in": 10})
			want(t, k, http.StatusCreated)
			if k.str("expires_at") == "" {
				t.Fatalf("no expires_at: %s", k.raw)
			}
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "VALID")
			s.clock.Advance(10 * time.Second)
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "EXPIRED")
		})
		t.Run("expires_at sets the expiry, and PATCH moves it or removes it", func(t *testing.T) {
			at := s.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)
			k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_", "expires_at": at})
			want(t, k, http.StatusCreated)
			if !strings.HasPrefix(k.str("expires_at"), at[:19]) {
				t.Fatalf("expires_at %q, want %s", k.str("expires_at"), at)
			}
			p := s.do(t, "PATCH", "/v1/keys/"+k.str("id"), `{"expires_at": null}`)
			want(t, p, http.StatusOK)
			if p.get("expires_at") != nil {
				t.Fatalf("expires_at after null: %s", p.raw)
			}
			s.clock.Advance(2 * time.Hour)
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "VALID")
			soon := s.clock.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)
			want(t, s.do(t, "PATCH", "/v1/keys/"+k.str("id"), map[string]any{"expires_at": soon}), http.StatusOK)
			s.clock.Advance(time.Second)
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "EXPIRED")
		})
		t.Run("PATCH disables, enables, replaces metadata and sets remaining", func(t *testing.T) {
			k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_"})
			kid := k.str("id")
			p := s.do(t, "PATCH", "/v1/keys/"+kid, map[string]any{"enabled": false})
			want(t, p, http.StatusOK)
			if p.get("enabled") != false {
				t.Fatalf("PATCH enabled=false answered %s", p.raw)
			}
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "DISABLED")
			p = s.do(t, "PATCH", "/v1/keys/"+kid, map[string]any{"enabled": true, "meta": map[string]any{"tier": 2}, "remaining": 1})
			want(t, p, http.StatusOK)
			if p.num("meta.tier") != 2 || p.num("remaining") != 1 {
				t.Fatalf("PATCH answered %s", p.raw)
			}
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "VALID")
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "USAGE_EXCEEDED")
			p = s.do(t, "PATCH", "/v1/keys/"+kid, `{"remaining": null}`)
			want(t, p, http.StatusOK)
			if p.get("remaining") != nil {
				t.Fatalf("remaining after null: %s", p.raw)
			}
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "VALID")
			want(t, s.do(t, "PATCH", "/v1/keys/"+kid, `{}`), http.StatusOK)
		})
		t.Run("DELETE revokes (204, twice), then the key is REVOKED", func(t *testing.T) {
			k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_"})
			for range 2 {
				d := s.do(t, "DELETE", "/v1/keys/"+k.str("id"), nil)
				if d.status != http.StatusNoContent || len(d.raw) != 0 {
					t.Fatalf("DELETE: %d %s", d.status, d.raw)
				}
			}
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "REVOKED")
			g := s.do(t, "GET", "/v1/keys/"+k.str("id"), nil)
			if g.str("revoked_at") == "" {
				t.Fatalf("GET after revoke: %s", g.raw)
			}
		})
		t.Run("reroll: a new key, the old one works for the overlap, then EXPIRED", func(t *testing.T) {
			k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "pk_", "owner": "bob", "remaining": 50})
			r := s.do(t, "POST", "/v1/keys/"+k.str("id")+"/reroll", map[string]any{"overlap": 60})
			want(t, r, http.StatusCreated)
			if r.str("key") == "" || r.str("key") == k.str("key") || r.str("id") == k.str("id") || r.str("owner") != "bob" || r.num("remaining") != 50 || !strings.HasPrefix(r.str("key"), "pk_") {
				t.Fatalf("reroll answered %s", r.raw)
			}
			wantStatus(t, verify(t, map[string]any{"key": r.str("key")}), "VALID")
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "VALID")
			s.clock.Advance(time.Minute)
			wantStatus(t, verify(t, map[string]any{"key": k.str("key")}), "EXPIRED")
			wantStatus(t, verify(t, map[string]any{"key": r.str("key")}), "VALID")
			empty := s.do(t, "POST", "/v1/keys/"+r.str("id")+"/reroll", nil) // no body: overlap 0
			want(t, empty, http.StatusCreated)
			wantStatus(t, verify(t, map[string]any{"key": r.str("key")}), "EXPIRED")
		})
		t.Run("rerolling a revoked key is a conflict", func(t *testing.T) {
			k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_"})
			s.do(t, "DELETE", "/v1/keys/"+k.str("id"), nil)
			want(t, s.do(t, "POST", "/v1/keys/"+k.str("id")+"/reroll", `{"overlap": 0}`), http.StatusConflict, "conflict")
		})
		t.Run("changing a revoked key is a conflict, and changes nothing", func(t *testing.T) {
			k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_"})
			s.do(t, "DELETE", "/v1/keys/"+k.str("id"), nil)
			want(t, s.do(t, "PATCH", "/v1/keys/"+k.str("id"), `{"enabled": false, "meta": {"a": 1}}`), http.StatusConflict, "conflict")
			if g := s.do(t, "GET", "/v1/keys/"+k.str("id"), nil); g.get("enabled") != true || g.get("meta") != nil {
				t.Fatalf("GET after the refused PATCH: %s", g.raw)
			}
		})
		t.Run("an unknown id is 404 for GET, PATCH, DELETE and reroll", func(t *testing.T) {
			want(t, s.do(t, "GET", "/v1/keys/key_nope", nil), http.StatusNotFound, "not_found")
			want(t, s.do(t, "PATCH", "/v1/keys/key_nope", `{"enabled": true}`), http.StatusNotFound, "not_found")
			want(t, s.do(t, "DELETE", "/v1/keys/key_nope", nil), http.StatusNotFound, "not_found")
			want(t, s.do(t, "POST", "/v1/keys/key_nope/reroll", `{}`), http.StatusNotFound, "not_found")
		})
		t.Run("list pages through an owner's keys with a cursor", func(t *testing.T) {
			var ids []string
			for range 5 {
				k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_", "owner": "carol", "namespace": "ns1"})
				ids = append(ids, k.str("id"))
				s.clock.Advance(time.Millisecond)
			}
			var got []string
			cursor := ""
			for page := 0; page < 10; page++ {
				path := "/v1/keys?owner=carol&limit=2"
				if cursor != "" {
					path += "&cursor=" + cursor
				}
				l := s.do(t, "GET", path, nil)
				want(t, l, http.StatusOK)
				for _, k := range l.get("keys").([]any) {
					m := k.(map[string]any)
					if m["key"] != nil || m["owner"] != "carol" {
						t.Fatalf("listed %v", m)
					}
					got = append(got, m["id"].(string))
				}
				c, _ := l.get("cursor").(string)
				if c == "" {
					break
				}
				cursor = c
			}
			if strings.Join(got, ",") != strings.Join(ids, ",") {
				t.Fatalf("listed %v, want %v", got, ids)
			}
			l := s.do(t, "GET", "/v1/keys?namespace=ns1&owner=nobody", nil)
			if len(l.get("keys").([]any)) != 0 || l.get("cursor") != nil {
				t.Fatalf("empty list: %s", l.raw)
			}
		})
	})
}

func TestTokenEndpoints(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))
		issue := func(t *testing.T, body map[string]any) response {
			t.Helper()
			r := s.do(t, "POST", "/v1/tokens", body)
			want(t, r, http.StatusCreated)
			return r
		}
		check := func(t *testing.T, op, purpose, tok, status string) response {
			t.Helper()
			r := s.do(t, "POST", "/v1/tokens/"+op, map[string]any{"purpose": purpose, "token": tok})
			want(t, r, http.StatusOK)
			if r.str("status") != status || (status == "VALID") != (r.get("valid") == true) {
				t.Fatalf("%s: %s, want %s", op, r.raw, status)
			}
			return r
		}

		t.Run("issue, verify without consuming, redeem once, then USED", func(t *testing.T) {
			tok := issue(t, map[string]any{"purpose": "reset", "subject": "u1", "meta": map[string]any{"ip": "10.0.0.1"}})
			if len(tok.str("token")) != 43 || tok.num("bits") != 256 || tok.str("subject") != "u1" || tok.str("expires_at") == "" {
				t.Fatalf("issue answered %s", tok.raw)
			}
			v := check(t, "verify", "reset", tok.str("token"), "VALID")
			if v.str("subject") != "u1" || v.str("meta.ip") != "10.0.0.1" {
				t.Fatalf("verify answered %s", v.raw)
			}
			check(t, "verify", "reset", tok.str("token"), "VALID")
			check(t, "redeem", "reset", tok.str("token"), "VALID")
			check(t, "redeem", "reset", tok.str("token"), "USED")
			check(t, "verify", "reset", tok.str("token"), "USED")
		})
		t.Run("a token of another purpose, or never issued, is NOT_FOUND", func(t *testing.T) {
			tok := issue(t, map[string]any{"purpose": "verify-email", "subject": "u2"})
			check(t, "redeem", "reset", tok.str("token"), "NOT_FOUND")
			check(t, "verify", "verify-email", "nonsense", "NOT_FOUND")
			check(t, "verify", "reset", "", "NOT_FOUND") // an answer, not a 400
			check(t, "redeem", "reset", "", "NOT_FOUND")
		})
		t.Run("a token past expires_in is EXPIRED", func(t *testing.T) {
			tok := issue(t, map[string]any{"purpose": "magic", "subject": "u3", "expires_in": 60, "bytes": 16})
			if len(tok.str("token")) != 22 {
				t.Fatalf("a 16-byte token has %d characters", len(tok.str("token")))
			}
			s.clock.Advance(time.Minute)
			check(t, "redeem", "magic", tok.str("token"), "EXPIRED")
		})
		t.Run("a new token revokes the earlier one unless keep_existing", func(t *testing.T) {
			first := issue(t, map[string]any{"purpose": "invite", "subject": "u4"})
			second := issue(t, map[string]any{"purpose": "invite", "subject": "u4"})
			check(t, "verify", "invite", first.str("token"), "REVOKED")
			third := issue(t, map[string]any{"purpose": "invite", "subject": "u4", "keep_existing": true})
			check(t, "verify", "invite", second.str("token"), "VALID")
			check(t, "verify", "invite", third.str("token"), "VALID")
		})
		t.Run("DELETE /v1/tokens revokes a subject's unused tokens", func(t *testing.T) {
			a := issue(t, map[string]any{"purpose": "reset", "subject": "u5", "keep_existing": true})
			issue(t, map[string]any{"purpose": "reset", "subject": "u5", "keep_existing": true})
			d := s.do(t, "DELETE", "/v1/tokens?purpose=reset&subject=u5", nil)
			want(t, d, http.StatusOK)
			if d.num("revoked") != 2 {
				t.Fatalf("revoked %s, want 2", d.raw)
			}
			check(t, "redeem", "reset", a.str("token"), "REVOKED")
			d = s.do(t, "DELETE", "/v1/tokens?purpose=reset&subject=u5", nil)
			if d.num("revoked") != 0 {
				t.Fatalf("revoked again: %s", d.raw)
			}
		})
	})
}

func TestCodeEndpoints(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))
		issue := func(t *testing.T, body map[string]any) response {
			t.Helper()
			r := s.do(t, "POST", "/v1/codes", body)
			want(t, r, http.StatusCreated)
			return r
		}
		check := func(t *testing.T, subject, code, status string, left int) {
			t.Helper()
			r := s.do(t, "POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": subject, "code": code})
			want(t, r, http.StatusOK)
			if r.str("status") != status || (status == "APPROVED") != (r.get("valid") == true) || (left >= 0 && r.num("attempts_left") != float64(left)) {
				t.Fatalf("check %s: %s, want %s with %d left", subject, r.raw, status, left)
			}
		}
		wrong := func(c string) string { // a code of the same length that differs
			d := (int(c[0]-'0') + 1) % 10
			return strconv.Itoa(d) + c[1:]
		}

		t.Run("a wrong code is INVALID with attempts left, the right one APPROVED once", func(t *testing.T) {
			c := issue(t, map[string]any{"purpose": "login", "subject": "+15550001"})
			if len(c.str("code")) != 6 || c.num("attempts_left") != 5 || c.str("expires_at") == "" {
				t.Fatalf("issue answered %s", c.raw)
			}
			check(t, "+15550001", wrong(c.str("code")), "INVALID", 4)
			check(t, "+15550001", c.str("code"), "APPROVED", -1)
			check(t, "+15550001", c.str("code"), "NOT_FOUND", -1)
		})
		t.Run("after max_attempts wrong codes even the right one is MAX_ATTEMPTS", func(t *testing.T) {
			c := issue(t, map[string]any{"purpose": "login", "subject": "s2", "digits": 8, "max_attempts": 2})
			if len(c.str("code")) != 8 {
				t.Fatalf("digits 8 gave %d digits", len(c.str("code")))
			}
			check(t, "s2", wrong(c.str("code")), "INVALID", 1)
			check(t, "s2", wrong(c.str("code")), "INVALID", 0)
			check(t, "s2", c.str("code"), "MAX_ATTEMPTS", 0)
		})
		t.Run("a code past expires_in is EXPIRED", func(t *testing.T) {
			c := issue(t, map[string]any{"purpose": "login", "subject": "s3", "expires_in": 30})
			s.clock.Advance(30 * time.Second)
			check(t, "s3", c.str("code"), "EXPIRED", -1)
		})
		t.Run("a new code cancels the pending one", func(t *testing.T) {
			old := issue(t, map[string]any{"purpose": "login", "subject": "s4"})
			c := issue(t, map[string]any{"purpose": "login", "subject": "s4"})
			if old.str("code") != c.str("code") {
				check(t, "s4", old.str("code"), "INVALID", 4)
			}
			check(t, "s4", c.str("code"), "APPROVED", -1)
		})
		t.Run("no code sent: NOT_FOUND", func(t *testing.T) {
			check(t, "nobody", "123456", "NOT_FOUND", 0)
		})
		t.Run("the sixth code in ten minutes is 429 with Retry-After", func(t *testing.T) {
			for range 5 {
				issue(t, map[string]any{"purpose": "login", "subject": "s5"})
				s.clock.Advance(time.Second)
			}
			r := s.do(t, "POST", "/v1/codes", map[string]any{"purpose": "login", "subject": "s5"})
			want(t, r, http.StatusTooManyRequests, "too_many_requests")
			after, err := strconv.Atoi(r.header.Get("Retry-After"))
			if err != nil || after < 1 || after > 600 {
				t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
			}
			s.clock.Advance(time.Duration(after) * time.Second)
			issue(t, map[string]any{"purpose": "login", "subject": "s5"})
		})
	})
}

func TestServiceEndpoints(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		st := b.open(t)
		s := start(t, st)
		s.key = "" // none of these needs the admin key
		t.Run("healthz answers ok while the database answers", func(t *testing.T) {
			r := s.do(t, "GET", "/healthz", nil)
			want(t, r, http.StatusOK)
			if r.str("status") != "ok" {
				t.Fatalf("healthz: %s", r.raw)
			}
		})
		t.Run("openapi.json is an OpenAPI 3.1 document", func(t *testing.T) {
			r := s.do(t, "GET", "/openapi.json", nil)
			want(t, r, http.StatusOK)
			if r.str("openapi") != "3.1.0" || r.get("paths") == nil {
				t.Fatalf("openapi: %.200s", r.raw)
			}
		})
		t.Run("metrics count requests by route and status", func(t *testing.T) {
			s.key = testAdminKey
			s.do(t, "POST", "/v1/tokens/verify", map[string]any{"purpose": "p", "token": "t"})
			s.do(t, "GET", "/no/such/path", nil)
			r := s.do(t, "GET", "/metrics", nil)
			want(t, r, http.StatusOK)
			for _, w := range []string{
				`secrets_http_requests_total{route="POST /v1/tokens/verify",status="200"} 1`,
				`secrets_http_requests_total{route="unmatched",status="404"} 1`,
				`secrets_verify_outcomes_total{operation="tokens.verify",status="NOT_FOUND"} 1`,
				`secrets_http_request_duration_seconds_bucket{route="GET /healthz",le=`,
			} {
				if !strings.Contains(string(r.raw), w) {
					t.Errorf("metrics lack %s", w)
				}
			}
			if strings.Contains(string(r.raw), "/no/such/path") {
				t.Error("a raw path became a label")
			}
		})
		t.Run("healthz is 503 when the database is gone", func(t *testing.T) {
			st.Close()
			want(t, s.do(t, "GET", "/healthz", nil), http.StatusServiceUnavailable, "unavailable")
		})
	})
}
