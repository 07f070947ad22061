package server_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/unguessable/secrets/apikey"
)

// TestNoSecretInLogsOrMetrics issues and verifies a key, a token and a code
// through every route that handles them, then looks for each plaintext, the
// admin key and the subjects in the logs and the metrics.
func TestNoSecretInLogsOrMetrics(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))
		key := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_live_", "owner": "owner-alice@example.com"})
		want(t, key, http.StatusCreated)
		s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key.str("key")})
		rerolled := s.do(t, "POST", "/v1/keys/"+key.str("id")+"/reroll", `{"overlap": 5}`)
		s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": rerolled.str("key")})
		tok := s.do(t, "POST", "/v1/tokens", map[string]any{"purpose": "reset", "subject": "subject-bob@example.com"})
		s.do(t, "POST", "/v1/tokens/verify", map[string]any{"purpose": "reset", "token": tok.str("token")})
		s.do(t, "POST", "/v1/tokens/redeem", map[string]any{"purpose": "reset", "token": tok.str("token")})
		s.do(t, "DELETE", "/v1/tokens?purpose=reset&subject=subject-bob@example.com", nil)
		code := s.do(t, "POST", "/v1/codes", map[string]any{"purpose": "login", "subject": "+15557654321", "digits": 10})
		s.do(t, "POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": "+15557654321", "code": code.str("code")})
		// Bad requests that carry secrets in the wrong place.
		s.do(t, "POST", "/v1/tokens/verify", `{"purpose": "reset", "token": "`+tok.str("token")+`", "extra": 1}`)
		s.do(t, "GET", "/v1/keys/"+key.str("key"), nil)
		s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key.str("key")}, "Authorization", "Bearer "+key.str("key"))
		metrics := s.do(t, "GET", "/metrics", nil)

		secrets := map[string]string{
			"key": key.str("key"), "rerolled key": rerolled.str("key"), "token": tok.str("token"),
			"admin key": testAdminKey, "owner": "owner-alice", "subject": "subject-bob", "phone": "5557654321",
		}
		for what, v := range secrets {
			if len(v) < 8 {
				t.Fatalf("%s %q was not issued", what, v)
			}
		}
		// A 10-digit code could occur inside a longer number such as a
		// duration in nanoseconds; look for it standing alone.
		codeRE := regexp.MustCompile(`(^|[^0-9])` + code.str("code") + `([^0-9]|$)`)
		for name, text := range map[string]string{"logs": s.logs.String(), "metrics": string(metrics.raw)} {
			for what, v := range secrets {
				if regexp.MustCompile(regexp.QuoteMeta(v)).MatchString(text) {
					t.Errorf("the %s hold the %s", name, what)
				}
			}
			if codeRE.MatchString(text) {
				t.Errorf("the %s hold the code", name)
			}
		}
		if n := len(regexp.MustCompile(`"msg":"request"`).FindAllString(s.logs.String(), -1)); n < 14 {
			t.Errorf("%d request lines logged, want one per request", n)
		}
	})
}

// An error that repeats what the caller sent shows any key in it redacted:
// a key pasted into the wrong field does not come back whole in the
// message or the field, which clients log.
func TestErrorsRedactKeysTheyRepeat(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_live_", "ratelimits": []map[string]any{{"name": "req", "limit": 5, "window": 60}}})
	want(t, k, http.StatusCreated)
	key := k.str("key")
	body := key[strings.LastIndexByte(key, '_')+1:]
	for _, c := range []struct {
		name  string
		req   map[string]any
		field string
	}{
		{"the key as a rate limit's name", map[string]any{"key": key, "ratelimits": []map[string]any{{"name": key, "cost": 1}}}, "ratelimits[0].name"},
		{"the key in an unknown field's name", map[string]any{"key": key, "bogus" + key: 1}, "bogus" + apikey.Redact(key)},
	} {
		r := s.do(t, "POST", "/v1/keys/verify", c.req)
		want(t, r, http.StatusBadRequest, "invalid_request", c.field)
		if strings.Contains(fmt.Sprint(r.raw), body) {
			t.Errorf("%s: the 400 repeats the key: %s", c.name, r.raw)
		}
	}
}
