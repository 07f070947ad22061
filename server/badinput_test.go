package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/unguessable/secrets/server"
)

// badInput is a request the service must refuse with a JSON error naming
// the code and, where there is one, the field.
type badInput struct {
	name         string
	method, path string
	body         any
	hdr          []string
	status       int
	code, field  string
}

var badInputs = []badInput{
	// Bodies that are not one strict JSON object.
	{"a body that is not JSON is 400", "POST", "/v1/keys", `{"prefix": `, nil, 400, "invalid_request", ""},
	{"a JSON array instead of an object is 400", "POST", "/v1/tokens", `[1, 2]`, nil, 400, "invalid_request", ""},
	{"a JSON null instead of an object is 400", "POST", "/v1/tokens", `null`, nil, 400, "invalid_request", ""},
	{"an empty JSON body is 400", "POST", "/v1/tokens", ``, nil, 400, "invalid_request", ""},
	{"an unknown field is 400 naming it", "POST", "/v1/tokens", `{"purpose": "p", "subject": "s", "ttl": 5}`, nil, 400, "invalid_request", "ttl"},
	{"an unknown nested field is 400 naming it", "POST", "/v1/keys", `{"prefix": "sk_", "ratelimit": {"limit": 1, "window": 1, "burst": 2}}`, nil, 400, "invalid_request", "ratelimit.burst"},
	{"a string where a number belongs is 400 naming the field", "POST", "/v1/tokens", `{"purpose": "p", "subject": "s", "expires_in": "60"}`, nil, 400, "invalid_request", "expires_in"},
	{"a fraction where a whole number belongs is 400", "POST", "/v1/codes", `{"purpose": "p", "subject": "s", "digits": 6.5}`, nil, 400, "invalid_request", "digits"},
	{"a nested wrong type is 400 with its path", "POST", "/v1/keys", `{"prefix": "sk_", "ratelimit": {"limit": "ten", "window": 1}}`, nil, 400, "invalid_request", "ratelimit.limit"},
	{"a number where a string belongs is 400", "POST", "/v1/codes/verify", `{"purpose": "p", "subject": "s", "code": 123456}`, nil, 400, "invalid_request", "code"},
	{"a boolean given as a string is 400", "POST", "/v1/tokens", `{"purpose": "p", "subject": "s", "keep_existing": "yes"}`, nil, 400, "invalid_request", "keep_existing"},
	{"a field named in another case is 400 naming it", "POST", "/v1/tokens", `{"purpose": "p", "subject": "s", "Purpose": "q"}`, nil, 400, "invalid_request", "Purpose"},
	{"a nested field named in another case is 400 with its path", "POST", "/v1/keys", `{"prefix": "sk_", "ratelimit": {"limit": 1, "WINDOW": 1}}`, nil, 400, "invalid_request", "ratelimit.WINDOW"},
	{"a field given twice is 400 naming it", "POST", "/v1/tokens/redeem", `{"purpose": "p", "token": "t", "purpose": "q"}`, nil, 400, "invalid_request", "purpose"},
	{"a nested field given twice is 400 with its path", "POST", "/v1/keys", `{"prefix": "sk_", "ratelimit": {"limit": 1, "window": 1, "limit": 9}}`, nil, 400, "invalid_request", "ratelimit.limit"},
	{"a body that is not UTF-8 is 400", "POST", "/v1/tokens", "{\"purpose\": \"p\", \"subject\": \"a\xffb\"}", nil, 400, "invalid_request", ""},
	{"an escaped lone surrogate is 400", "POST", "/v1/tokens", `{"purpose": "p", "subject": "a\ud800b"}`, nil, 400, "invalid_request", ""},
	{"data after the object is 400", "POST", "/v1/tokens/verify", `{"purpose": "p", "token": "t"} {}`, nil, 400, "invalid_request", ""},
	{"a number too large for its field is 400", "POST", "/v1/tokens", `{"purpose": "p", "subject": "s", "expires_in": 99999999999999999999}`, nil, 400, "invalid_request", "expires_in"},
	{"a field spelled with an escape and given twice is 400 naming it", "POST", "/v1/tokens/redeem", `{"purpose": "p", "token": "t", "p\u0075rpose": "q"}`, nil, 400, "invalid_request", "purpose"},
	{"a wrong type in an array's element is 400 with its index", "POST", "/v1/keys", `{"prefix": "sk_", "ratelimits": [{"name": "x", "limit": "1", "window": 1}]}`, nil, 400, "invalid_request", "ratelimits[0].limit"},
	{"an unknown field in an array's element is 400 with its index", "PATCH", "/v1/keys/key_x", `{"ratelimits": [{"name": "x", "limit": 1, "window": 1}, {"name": "y", "limit": 1, "window": 1, "burst": 1}]}`, nil, 400, "invalid_request", "ratelimits[1].burst"},
	{"a wrong type in a PATCH's refill is 400 with its path", "PATCH", "/v1/keys/key_x", `{"refill": {"interval": "daily", "amount": "5"}}`, nil, 400, "invalid_request", "refill.amount"},
	{"a PATCH's ratelimits that is not an array is 400 naming it", "PATCH", "/v1/keys/key_x", `{"ratelimits": "none"}`, nil, 400, "invalid_request", "ratelimits"},
	{"metadata with a name of digits given twice is 400 with its path", "POST", "/v1/keys", `{"prefix": "sk_", "meta": {"0": "a", "0": "b"}}`, nil, 400, "invalid_request", "meta.0"},
	{"metadata with a name given twice is 400 with its path", "POST", "/v1/keys", `{"prefix": "sk_", "meta": {"plan": "a", "plan": "b"}}`, nil, 400, "invalid_request", "meta.plan"},
	{"an escaped lone surrogate in a name is 400", "POST", "/v1/tokens", `{"purpose": "p", "subject": "s", "\udc00": 1}`, nil, 400, "invalid_request", ""},
	{"a name that is not UTF-8 is 400", "POST", "/v1/tokens", "{\"purpose\": \"p\", \"subject\": \"s\", \"\xff\": 1}", nil, 400, "invalid_request", ""},
	{"a control character in a string is 400", "POST", "/v1/tokens", "{\"purpose\": \"p\", \"subject\": \"a\x01b\"}", nil, 400, "invalid_request", ""},
	{"a trailing comma is 400", "POST", "/v1/tokens/verify", `{"purpose": "p", "token": "t",}`, nil, 400, "invalid_request", ""},
	{"a whole number written with an exponent is 400", "POST", "/v1/keys/verify", `{"key": "sk_x", "cost": 1e2}`, nil, 400, "invalid_request", "cost"},
	{"a number too large for any integer is 400", "POST", "/v1/keys/key_x/reroll", `{"overlap": 1e400}`, nil, 400, "invalid_request", "overlap"},
	{"an object where a string belongs is 400", "POST", "/v1/keys/verify", `{"key": {"k": "v"}}`, nil, 400, "invalid_request", "key"},
	{"an array where an object belongs is 400", "POST", "/v1/keys", `{"prefix": "sk_", "ratelimit": [1, 60]}`, nil, 400, "invalid_request", "ratelimit"},
	{"JSON nested deeper than 10,000 levels is 400", "POST", "/v1/keys", `{"prefix": "sk_", "meta": {"a": ` + strings.Repeat(`[`, 10001) + strings.Repeat(`]`, 10001) + `}}`, nil, 400, "invalid_request", ""},
	{"a JSON string instead of an object is 400", "POST", "/v1/keys/verify", `"sk_x"`, nil, 400, "invalid_request", ""},
	// Content types and sizes.
	{"a form body is 415", "POST", "/v1/tokens", `purpose=p&subject=s`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", ""},
	{"a gzip Content-Encoding is 415", "POST", "/v1/tokens", `{"purpose": "p", "subject": "s"}`, []string{"Content-Encoding", "gzip"}, 415, "unsupported_media_type", ""},
	{"a charset other than UTF-8 is 415", "POST", "/v1/tokens", `{"purpose": "p", "subject": "s"}`, []string{"Content-Type", "application/json; charset=iso-8859-1"}, 415, "unsupported_media_type", ""},
	{"a body without a Content-Type is 415", "POST", "/v1/tokens", `{"purpose": "p", "subject": "s"}`, []string{"Content-Type", ""}, 415, "unsupported_media_type", ""},
	{"a body over 1 MiB is 413", "POST", "/v1/keys/verify", `{"key": "` + strings.Repeat("a", 1<<20) + `"}`, nil, 413, "request_too_large", ""},
	{"a body over 1 MiB sent chunked is 413", "POST", "/v1/keys/verify", strings.NewReader(`{"key": "` + strings.Repeat("a", 1<<20) + `"}`), nil, 413, "request_too_large", ""},
	// Values out of range.
	{"a key without a prefix is 400", "POST", "/v1/keys", `{"owner": "a"}`, nil, 400, "invalid_request", "prefix"},
	{"a bad prefix is 400", "POST", "/v1/keys", `{"prefix": "sk-"}`, nil, 400, "invalid_request", "prefix"},
	{"expires_in and expires_at together are 400", "POST", "/v1/keys", `{"prefix": "sk_", "expires_in": 5, "expires_at": "2040-01-01T00:00:00Z"}`, nil, 400, "invalid_request", "expires_at"},
	{"a key expires_in of 0 is 400", "POST", "/v1/keys", `{"prefix": "sk_", "expires_in": 0}`, nil, 400, "invalid_request", "expires_in"},
	{"an expires_at that is not RFC 3339 is 400", "POST", "/v1/keys", `{"prefix": "sk_", "expires_at": "tomorrow"}`, nil, 400, "invalid_request", "expires_at"},
	{"an expires_at in the past is 400", "POST", "/v1/keys", `{"prefix": "sk_", "expires_at": "2001-01-01T00:00:00Z"}`, nil, 400, "invalid_request", "expires_at"},
	{"negative remaining uses are 400", "POST", "/v1/keys", `{"prefix": "sk_", "remaining": -1}`, nil, 400, "invalid_request", "remaining"},
	{"a rate limit of 0 is 400", "POST", "/v1/keys", `{"prefix": "sk_", "ratelimit": {"limit": 0, "window": 60}}`, nil, 400, "invalid_request", "ratelimit.limit"},
	{"a rate limit over 2^62 is 400 (the count could overflow)", "POST", "/v1/keys", `{"prefix": "sk_", "ratelimit": {"limit": 4611686018427387905, "window": 60}}`, nil, 400, "invalid_request", "ratelimit.limit"},
	{"a rate-limit window of 0 is 400", "POST", "/v1/keys", `{"prefix": "sk_", "ratelimit": {"limit": 5, "window": 0}}`, nil, 400, "invalid_request", "ratelimit.window"},
	{"metadata that is not an object is 400", "POST", "/v1/keys", `{"prefix": "sk_", "meta": [1]}`, nil, 400, "invalid_request", "meta"},
	{"metadata over 10 KiB is 400", "POST", "/v1/keys", `{"prefix": "sk_", "meta": {"a": "` + strings.Repeat("x", 11<<10) + `"}}`, nil, 400, "invalid_request", "meta"},
	{"an owner over 256 bytes is 400", "POST", "/v1/keys", `{"prefix": "sk_", "owner": "` + strings.Repeat("o", 257) + `"}`, nil, 400, "invalid_request", "owner"},
	{"verify without a key is 400", "POST", "/v1/keys/verify", `{}`, nil, 400, "invalid_request", "key"},
	{"a negative cost is 400", "POST", "/v1/keys/verify", `{"key": "sk_x", "cost": -1}`, nil, 400, "invalid_request", "cost"},
	{"a list limit of 0 is 400", "GET", "/v1/keys?limit=0", nil, nil, 400, "invalid_request", "limit"},
	{"a list limit that is not a number is 400", "GET", "/v1/keys?limit=ten", nil, nil, 400, "invalid_request", "limit"},
	{"an unknown query parameter is 400 naming it", "GET", "/v1/keys?ownr=x", nil, nil, 400, "invalid_request", "ownr"},
	{"a query parameter given twice is 400", "GET", "/v1/keys?owner=a&owner=b", nil, nil, 400, "invalid_request", "owner"},
	{"PATCH remaining as a string is 400", "PATCH", "/v1/keys/key_x", `{"remaining": "5"}`, nil, 400, "invalid_request", "remaining"},
	{"PATCH meta null is 400", "PATCH", "/v1/keys/key_x", `{"meta": null}`, nil, 400, "invalid_request", "meta"},
	{"PATCH expires_at as a number is 400", "PATCH", "/v1/keys/key_x", `{"expires_at": 5}`, nil, 400, "invalid_request", "expires_at"},
	{"PATCH enabled as a string is 400", "PATCH", "/v1/keys/key_x", `{"enabled": "no"}`, nil, 400, "invalid_request", "enabled"},
	{"a negative reroll overlap is 400", "POST", "/v1/keys/key_x/reroll", `{"overlap": -5}`, nil, 400, "invalid_request", "overlap"},
	{"a token without a purpose is 400", "POST", "/v1/tokens", `{"subject": "s"}`, nil, 400, "invalid_request", "purpose"},
	{"a token without a subject is 400", "POST", "/v1/tokens", `{"purpose": "p"}`, nil, 400, "invalid_request", "subject"},
	{"a token expires_in of 0 is 400", "POST", "/v1/tokens", `{"purpose": "p", "subject": "s", "expires_in": 0}`, nil, 400, "invalid_request", "expires_in"},
	{"a token expires_in over a year is 400", "POST", "/v1/tokens", `{"purpose": "p", "subject": "s", "expires_in": 31536001}`, nil, 400, "invalid_request", "expires_in"},
	{"a token of 15 bytes is 400", "POST", "/v1/tokens", `{"purpose": "p", "subject": "s", "bytes": 15}`, nil, 400, "invalid_request", "bytes"},
	{"token metadata that is not an object is 400", "POST", "/v1/tokens", `{"purpose": "p", "subject": "s", "meta": "x"}`, nil, 400, "invalid_request", "meta"},
	{"a purpose over 256 bytes is 400", "POST", "/v1/tokens", `{"purpose": "` + strings.Repeat("p", 257) + `", "subject": "s"}`, nil, 400, "invalid_request", "purpose"},
	{"redeem without a token is 400", "POST", "/v1/tokens/redeem", `{"purpose": "p"}`, nil, 400, "invalid_request", "token"},
	{"verify without a purpose is 400", "POST", "/v1/tokens/verify", `{"token": "t"}`, nil, 400, "invalid_request", "purpose"},
	{"revoking tokens without a subject is 400", "DELETE", "/v1/tokens?purpose=p", nil, nil, 400, "invalid_request", "subject"},
	{"revoking tokens with an unknown parameter is 400", "DELETE", "/v1/tokens?purpose=p&subject=s&all=1", nil, nil, 400, "invalid_request", "all"},
	{"a code of 3 digits is 400", "POST", "/v1/codes", `{"purpose": "p", "subject": "s", "digits": 3}`, nil, 400, "invalid_request", "digits"},
	{"a code of 5 digits is 400: the service issues 6 to 10", "POST", "/v1/codes", `{"purpose": "p", "subject": "s", "digits": 5}`, nil, 400, "invalid_request", "digits"},
	{"a failure budget of 0 is 400", "POST", "/v1/codes", `{"purpose": "p", "subject": "s", "max_failures": 0}`, nil, 400, "invalid_request", "max_failures"},
	{"a failure budget over 100 is 400", "POST", "/v1/codes", `{"purpose": "p", "subject": "s", "max_failures": 101}`, nil, 400, "invalid_request", "max_failures"},
	{"a failure window under 10 minutes is 400", "POST", "/v1/codes", `{"purpose": "p", "subject": "s", "failure_window": 599}`, nil, 400, "invalid_request", "failure_window"},
	{"a failure window over a day is 400", "POST", "/v1/codes", `{"purpose": "p", "subject": "s", "failure_window": 86401}`, nil, 400, "invalid_request", "failure_window"},
	{"a code of 11 digits is 400", "POST", "/v1/codes", `{"purpose": "p", "subject": "s", "digits": 11}`, nil, 400, "invalid_request", "digits"},
	{"a code expires_in over a day is 400", "POST", "/v1/codes", `{"purpose": "p", "subject": "s", "expires_in": 86401}`, nil, 400, "invalid_request", "expires_in"},
	{"max_attempts of 0 is 400", "POST", "/v1/codes", `{"purpose": "p", "subject": "s", "max_attempts": 0}`, nil, 400, "invalid_request", "max_attempts"},
	{"a code without a subject is 400", "POST", "/v1/codes", `{"purpose": "p"}`, nil, 400, "invalid_request", "subject"},
	{"checking without a code is 400", "POST", "/v1/codes/verify", `{"purpose": "p", "subject": "s"}`, nil, 400, "invalid_request", "code"},
	// Routing.
	{"an unknown path is 404", "GET", "/v1/nothing", nil, nil, 404, "not_found", ""},
	{"an unknown path outside /v1 is 404", "GET", "/nowhere", nil, nil, 404, "not_found", ""},
	{"a wrong method is 405", "PUT", "/v1/keys", `{}`, nil, 405, "method_not_allowed", ""},
	{"GET on a POST-only route is 405", "GET", "/v1/tokens/redeem", nil, nil, 405, "method_not_allowed", ""},
	{"POST on /healthz is 405", "POST", "/healthz", `{}`, nil, 405, "method_not_allowed", ""},
	{"GET on /v1/keys/verify is 405, not a lookup of a key named verify", "GET", "/v1/keys/verify", nil, nil, 405, "method_not_allowed", ""},
	{"DELETE on /v1/keys/verify is 405, not a revocation", "DELETE", "/v1/keys/verify", nil, nil, 405, "method_not_allowed", ""},
	{"PATCH on /v1/keys/verify is 405", "PATCH", "/v1/keys/verify", `{}`, nil, 405, "method_not_allowed", ""},
	{"verify without a token is 400", "POST", "/v1/tokens/verify", `{"purpose": "reset"}`, nil, 400, "invalid_request", "token"},
}

func TestBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))
		for _, tc := range badInputs {
			t.Run(tc.name, func(t *testing.T) {
				body := tc.body
				if r, ok := body.(*strings.Reader); ok {
					// A fresh reader each run; as an io.Reader of unknown
					// length it is sent chunked, without Content-Length.
					r.Seek(0, 0)
					body = struct{ *strings.Reader }{r}
				}
				r := s.do(t, tc.method, tc.path, body, tc.hdr...)
				want(t, r, tc.status, tc.code, tc.field)
				if tc.status == http.StatusMethodNotAllowed && r.header.Get("Allow") == "" {
					t.Error("405 without an Allow header")
				}
			})
		}
	})
}

func TestAuthorization(t *testing.T) {
	// Over a hundred wrong keys from one address: without the throttle,
	// which TestWrongAccessKeysAreThrottledPerAddress checks.
	s := start(t, newSQLite(t).open(t), func(o *server.Options) { o.NoAuthThrottle = true })
	routes := s.srv.Routes()
	t.Run("every /v1 route refuses a missing or wrong admin key with the same answer", func(t *testing.T) {
		n := 0
		for _, route := range routes {
			method, path, _ := strings.Cut(route, " ")
			if !strings.HasPrefix(path, "/v1/") {
				continue
			}
			n++
			path = strings.ReplaceAll(path, "{id}", "key_x")
			var answers []string
			for _, auth := range []string{"", "Bearer wrong", "Bearer " + testAdminKey[:len(testAdminKey)-1] + "X", "Basic " + testAdminKey, testAdminKey, "Bearer"} {
				r := s.do(t, method, path, `{}`, "Authorization", auth)
				want(t, r, http.StatusUnauthorized, "unauthorized")
				if r.header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s: 401 without WWW-Authenticate", route)
				}
				r.header.Del("Date")
				answers = append(answers, string(r.raw)+r.header.Get("Content-Type")+r.header.Get("WWW-Authenticate")+r.header.Get("Content-Length"))
			}
			for _, a := range answers[1:] {
				if a != answers[0] {
					t.Errorf("%s: answers differ: %q and %q", route, answers[0], a)
				}
			}
		}
		if n != 27 {
			t.Errorf("%d /v1 routes, want 27", n)
		}
	})
	t.Run("the scheme name is matched without regard to case", func(t *testing.T) {
		r := s.do(t, "GET", "/v1/keys", nil, "Authorization", "bearer "+testAdminKey)
		want(t, r, http.StatusOK)
	})
	t.Run("healthz and openapi.json need no key; metrics need one with metrics:read", func(t *testing.T) {
		for _, p := range []string{"/healthz", "/openapi.json"} {
			want(t, s.do(t, "GET", p, nil, "Authorization", ""), http.StatusOK)
		}
		want(t, s.do(t, "GET", "/metrics", nil, "Authorization", ""), http.StatusUnauthorized, "unauthorized")
		want(t, s.do(t, "GET", "/metrics", nil, "Authorization", "Bearer "+testAdminKey), http.StatusOK)
	})
}

// JSON, with a UTF-8 charset or none, and an identity
// Content-Encoding are taken.
func TestJSONMediaTypesAreTaken(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	for _, hdr := range [][]string{
		{"Content-Type", "application/json; charset=utf-8"},
		{"Content-Type", "application/json; charset=UTF-8"},
		{"Content-Type", "application/json", "Content-Encoding", "identity"},
	} {
		want(t, s.do(t, "POST", "/v1/tokens", `{"purpose": "p", "subject": "s"}`, hdr...), http.StatusCreated)
	}
}
