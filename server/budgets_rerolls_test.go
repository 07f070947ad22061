package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/backendtest"
)

// Issue 14 over HTTP, on two servers sharing one database: the failure
// budget of codes holds across codes and instances, and a key is rerolled
// once, its old and new keys spending one count.
func TestBudgetsAndRerollsAcrossInstances(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		one, two := start(t, b.open(t)), start(t, b.open(t))
		both := []*instance{one, two}
		wrong := func(c string) string { return strconv.Itoa((int(c[0]-'0')+1)%10) + c[1:] }
		verifyCode := func(s *instance, subject, c string) (response, error) {
			return s.try("POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": subject, "code": c})
		}

		t.Run("100 concurrent wrong codes on two servers spend exactly the failure budget of 10; a new code does not refill it", func(t *testing.T) {
			c := one.do(t, "POST", "/v1/codes", map[string]any{"purpose": "login", "subject": "budget", "max_attempts": 100})
			want(t, c, http.StatusCreated)
			got := backendtest.Parallel(t, 100, both, func(s *instance) (string, error) {
				r, err := verifyCode(s, "budget", wrong(c.str("code")))
				return r.str("status"), err
			})
			if got["INVALID"] != 10 || got["MAX_ATTEMPTS"] != 90 {
				t.Fatalf("outcomes %v, want 10 INVALID and 90 MAX_ATTEMPTS", got)
			}
			nw := two.do(t, "POST", "/v1/codes", map[string]any{"purpose": "login", "subject": "budget"})
			r := one.do(t, "POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": "budget", "code": nw.str("code")})
			if r.str("status") != "MAX_ATTEMPTS" || r.get("valid") != false {
				t.Fatalf("the right new code with the budget spent: %s", r.raw)
			}
		})
		t.Run("a code typed with spaces or hyphens is APPROVED; one of another length or with letters is INVALID and spends nothing", func(t *testing.T) {
			c := one.do(t, "POST", "/v1/codes", map[string]any{"purpose": "login", "subject": "typed", "digits": 8})
			code := c.str("code")
			for _, bad := range []string{code[:7], code + "1", code[:7] + "x", "abcdefgh"} {
				r := two.do(t, "POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": "typed", "code": bad})
				if r.str("status") != "INVALID" || r.num("attempts_left") != 5 {
					t.Fatalf("%d characters: %s", len(bad), r.raw)
				}
			}
			r := two.do(t, "POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": "typed", "code": " " + code[:4] + "-" + code[4:] + " "})
			if r.str("status") != "APPROVED" || r.num("attempts_left") != 4 {
				t.Fatalf("the right code with a hyphen and spaces: %s", r.raw)
			}
		})
		t.Run("a failure budget set on the code holds for its subject", func(t *testing.T) {
			c := one.do(t, "POST", "/v1/codes", map[string]any{"purpose": "login", "subject": "strict", "max_failures": 1, "failure_window": 600})
			want(t, c, http.StatusCreated)
			r := two.do(t, "POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": "strict", "code": wrong(c.str("code"))})
			if r.str("status") != "INVALID" || r.num("attempts_left") != 0 {
				t.Fatalf("the one failure allowed: %s", r.raw)
			}
			r = one.do(t, "POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": "strict", "code": c.str("code")})
			if r.str("status") != "MAX_ATTEMPTS" {
				t.Fatalf("the right code after it: %s", r.raw)
			}
		})
		t.Run("of 20 concurrent rerolls of one key on two servers exactly one is 201, the rest 409", func(t *testing.T) {
			k := one.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_", "remaining": 3})
			want(t, k, http.StatusCreated)
			var created atomic.Value
			got := backendtest.Parallel(t, 20, both, func(s *instance) (int, error) {
				r, err := s.try("POST", "/v1/keys/"+k.str("id")+"/reroll", map[string]any{"overlap": 3600})
				if r.status == http.StatusCreated {
					created.Store(r.str("key"))
				} else if r.status == http.StatusConflict && r.str("error.code") != "conflict" {
					t.Errorf("409 without a conflict error: %s", r.raw)
				}
				return r.status, err
			})
			if got[http.StatusCreated] != 1 || got[http.StatusConflict] != 19 {
				t.Fatalf("statuses %v, want one 201 and 19 409", got)
			}
			valid := 0
			for i := range 6 {
				key := []string{k.str("key"), created.Load().(string)}[i%2]
				r := both[i%2].do(t, "POST", "/v1/keys/verify", map[string]any{"key": key})
				if r.str("status") == "VALID" {
					valid++
				}
			}
			if valid != 3 {
				t.Fatalf("%d uses of a 3-use key through its old and new keys", valid)
			}
		})
		t.Run("four rerolls of a 3-use key give 3 uses in all; rerolling an old or expired key is 409", func(t *testing.T) {
			keys := []response{one.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_", "remaining": 3, "expires_at": one.clock.Now().Add(time.Hour).Format(time.RFC3339)})}
			for i := range 4 {
				r := both[i%2].do(t, "POST", "/v1/keys/"+keys[len(keys)-1].str("id")+"/reroll", map[string]any{"overlap": 600})
				want(t, r, http.StatusCreated)
				keys = append(keys, r)
			}
			valid := 0
			for range 3 {
				for i, k := range keys {
					if r := both[i%2].do(t, "POST", "/v1/keys/verify", map[string]any{"key": k.str("key")}); r.str("status") == "VALID" {
						valid++
					}
				}
			}
			if valid != 3 {
				t.Fatalf("%d uses through five keys of one line, want 3", valid)
			}
			r := two.do(t, "POST", "/v1/keys/"+keys[0].str("id")+"/reroll", nil)
			want(t, r, http.StatusConflict, "conflict")
			if !strings.Contains(r.str("error.message"), "rerolled already") {
				t.Fatalf("a second reroll: %s", r.raw)
			}
			for _, s := range both {
				s.clock.Advance(time.Hour)
			}
			r = one.do(t, "POST", "/v1/keys/"+keys[4].str("id")+"/reroll", nil)
			want(t, r, http.StatusConflict, "conflict")
			if !strings.Contains(r.str("error.message"), "expired") {
				t.Fatalf("a reroll of an expired key: %s", r.raw)
			}
		})
	})
}

// Through the API: revoking a rerolled key's replacement stops the old key
// in its overlap, and the old key's remaining uses cannot be set (they are
// no longer the ones spent).
func TestRevokingTheReplacementStopsTheOldKey(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))
		old := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "rr_", "remaining": 10})
		want(t, old, http.StatusCreated)
		nw := s.do(t, "POST", "/v1/keys/"+old.str("id")+"/reroll", map[string]any{"overlap": 3600})
		want(t, nw, http.StatusCreated)
		r := s.do(t, "PATCH", "/v1/keys/"+old.str("id"), map[string]any{"remaining": 0})
		want(t, r, http.StatusConflict, "conflict")
		if !strings.Contains(r.str("error.message"), "replaced it") {
			t.Errorf("PATCH of the old key's remaining uses: %s", r.raw)
		}
		want(t, s.do(t, "PATCH", "/v1/keys/"+old.str("id"), map[string]any{"name": "old"}), http.StatusOK)
		for _, k := range []response{old, nw} { // two of the ten uses, one through each key
			want(t, s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": k.str("key")}), http.StatusOK)
		}
		want(t, s.do(t, "DELETE", "/v1/keys/"+nw.str("id"), nil), http.StatusNoContent)
		for _, k := range []response{old, nw} {
			r := s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": k.str("key")})
			want(t, r, http.StatusOK)
			// The answer shows the uses left of the line, not the old
			// key's own, which stopped counting at the reroll.
			if r.str("status") != "REVOKED" || r.num("remaining") != 8 {
				t.Errorf("verify after the replacement was revoked: %s, want REVOKED with 8 remaining", r.raw)
			}
		}
	})
}
