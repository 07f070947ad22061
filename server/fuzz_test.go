package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/server"
	"github.com/unguessable/secrets/store/sqlite"
)

// fuzzRoutes are the routes that take a JSON body.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/v1/keys"},
	{"POST", "/v1/keys/verify"},
	{"PATCH", "/v1/keys/key_fuzz"},
	{"POST", "/v1/keys/key_fuzz/reroll"},
	{"POST", "/v1/tokens"},
	{"POST", "/v1/tokens/verify"},
	{"POST", "/v1/tokens/redeem"},
	{"POST", "/v1/codes"},
	{"POST", "/v1/codes/verify"},
	{"POST", "/v1/roles"},
}

// FuzzJSONHandlers sends random bodies to every JSON route: the answer is
// never a 500 and never a panic (which the service would turn into a 500),
// and every refusal is a well-formed JSON error.
func FuzzJSONHandlers(f *testing.F) {
	for i, body := range []string{
		`{"prefix": "sk_test_", "owner": "a", "meta": {"k": 1}, "expires_in": 60, "remaining": 5, "ratelimit": {"limit": 2, "window": 1}}`,
		`{"key": "sk_test_0000000000000000000000000000000000000000000000000", "namespace": "x", "cost": 3}`,
		`{"enabled": false, "meta": {}, "remaining": null, "expires_at": "2040-01-01T00:00:00Z"}`,
		`{"overlap": 60}`,
		`{"purpose": "reset", "subject": "u", "expires_in": 60, "bytes": 16, "meta": {"a": [1]}, "keep_existing": true}`,
		`{"purpose": "reset", "token": "abc"}`,
		`{"purpose": "reset", "token": "abc"}`,
		`{"purpose": "login", "subject": "s", "digits": 8, "expires_in": 60, "max_attempts": 3}`,
		`{"purpose": "login", "subject": "s", "code": "123456"}`,
		`{"namespace": "n", "name": "editor", "permissions": ["docs.read", "docs.write"]}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	f.Add(uint8(0), []byte(`{"prefix": "sk_", "ratelimit": {"limit": 9223372036854775807, "window": 9223372036854775807}}`))
	f.Add(uint8(0), []byte(`{"prefix": "sk_", "expires_in": -9223372036854775808}`))
	f.Add(uint8(2), []byte(`{"remaining": -1, "expires_at": "0000-01-01T00:00:00Z"}`))
	f.Add(uint8(4), []byte(`{"purpose": "\u0000", "subject": "\ud800"}`))
	f.Add(uint8(1), []byte(`{"key": "`+string([]byte{0xff, 0xfe})+`"}`))
	f.Add(uint8(3), []byte(`{"overlap": 1e400}`))
	f.Add(uint8(1), []byte(`{"key": "sk_x", "permissions": "a AND (b OR (c AND d))"}`))
	f.Add(uint8(1), []byte(`{"key": "sk_x", "permissions": "((((((((((a))))))))))"}`))
	f.Add(uint8(0), []byte(`{"prefix": "sk_", "roles": ["nope"], "permissions": ["a", "a", "b"]}`))
	f.Add(uint8(2), []byte(`{"name": "", "owner": "o", "roles": [], "permissions": ["x y"]}`))

	st, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	srv, err := server.New(server.Options{Store: st, AdminKeyDigest: sha256.Sum256([]byte(testAdminKey)), Pepper: backendtest.Pepper})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest(rt.method, rt.path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testAdminKey)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", rt.method, rt.path, body, rec.Code, rec.Body.Bytes())
		}
		if rec.Code == http.StatusNoContent {
			return
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s %q: the answer is not JSON: %s", rt.method, rt.path, body, rec.Body.Bytes())
		}
		if rec.Code >= 400 {
			e, _ := out["error"].(map[string]any)
			if e == nil || e["code"] == "" || e["message"] == "" {
				t.Fatalf("%s %s %q: %d without a JSON error: %s", rt.method, rt.path, body, rec.Code, rec.Body.Bytes())
			}
		}
	})
}

// BenchmarkVerifyPlainKeyHandler is the cost of a plain-key verification
// in-process (httptest, no network), beside a bare JSON handler like
// bench/ceiling's and the store lookup alone, in the same run: where the
// time of a verification goes.
func BenchmarkVerifyPlainKeyHandler(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv, err := server.New(server.Options{Store: st, AdminKeyDigest: sha256.Sum256([]byte(testAdminKey)), Pepper: backendtest.Pepper})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	req := httptest.NewRequest("POST", "/v1/keys", bytes.NewReader([]byte(`{"prefix":"sk_"}`)))
	req.Header.Set("Authorization", "Bearer "+testAdminKey)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var created struct{ Key string }
	json.Unmarshal(rec.Body.Bytes(), &created)
	body := []byte(`{"key":"` + created.Key + `"}`)
	req = httptest.NewRequest("POST", "/v1/access-keys", bytes.NewReader([]byte(`{"name":"b","scopes":["keys:verify"],"namespaces":["*"]}`)))
	req.Header.Set("Authorization", "Bearer "+testAdminKey)
	req.Header.Set("Content-Type", "application/json")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var ak struct{ Key string }
	json.Unmarshal(rec.Body.Bytes(), &ak)
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Key string `json:"key"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"valid": req.Key != "", "status": "VALID"})
	})
	for _, c := range []struct {
		name string
		h    http.Handler
		key  string
	}{{"bare JSON handler", bare, testAdminKey}, {"service handler", h, testAdminKey}, {"service handler, access key", h, ak.Key}} {
		b.Run(c.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("POST", "/v1/keys/verify", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+c.key)
					req.Header.Set("Content-Type", "application/json")
					rec := httptest.NewRecorder()
					c.h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatal(rec.Code)
					}
				}
			})
		})
	}
	sum := sha256.Sum256([]byte(created.Key))
	b.Run("store lookup alone", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := st.KeyByHash(context.Background(), sum[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
