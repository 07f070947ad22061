package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/server"
	"github.com/unguessable/secrets/store/sqlite"
)

// The contract: every request the server tests send through start's
// server, and every answer they get, is checked against openapi.json with
// libopenapi-validator. An answer must match the document whatever the
// request was (a 400 to garbage too); a request must match it whenever
// the server accepted it (2xx), since a client generated from the
// document could not have sent it otherwise.

var (
	contractOnce sync.Once
	contractV    validator.Validator
	contractErr  error

	// contractSeen counts the validated 2xx answers of each documented
	// operation ("POST /v1/keys"), for TestMain's check that every
	// operation was exercised.
	contractMu   sync.Mutex
	contractSeen = map[string]int{}
)

func contractValidator(t testing.TB) validator.Validator {
	t.Helper()
	contractOnce.Do(func() {
		raw, err := os.ReadFile("openapi.json")
		if err != nil {
			contractErr = err
			return
		}
		doc, err := libopenapi.NewDocument(raw)
		if err != nil {
			contractErr = err
			return
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			contractErr = fmt.Errorf("openapi.json: %v", errs)
			return
		}
		if ok, verrs := v.ValidateDocument(); !ok {
			var msgs []string
			for _, e := range verrs {
				msgs = append(msgs, e.Error())
			}
			contractErr = fmt.Errorf("openapi.json is not a valid OpenAPI document: %s", strings.Join(msgs, "; "))
			return
		}
		contractV = v
	})
	if contractErr != nil {
		t.Fatal(contractErr)
	}
	return contractV
}

// contract wraps h so that every request and answer is validated; the
// failures are reported when the test ends.
func contract(t testing.TB, h http.Handler) http.Handler {
	v := contractValidator(t)
	var mu sync.Mutex
	var failures []string
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for i, f := range failures {
			if i == 10 {
				t.Errorf("… and %d more contract failures", len(failures)-10)
				break
			}
			t.Error(f)
		}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "contract: reading the body: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())

		if (r.URL.Path == "/metrics" || r.URL.Path == "/openapi.json") && rec.Code == http.StatusOK {
			contractMu.Lock()
			contractSeen[r.Pattern]++ // not JSON: TestOpenAPIMatchesRoutes and the metrics tests check them
			contractMu.Unlock()
		}
		if r.URL.Path == "/metrics" || r.URL.Path == "/openapi.json" || !documented(t, r.Pattern) {
			// Not JSON answers of the API, or not an operation of the
			// document (a 404 or 405 to a path or method it lacks),
			// which nothing could be checked against.
			return
		}
		req := r.Clone(r.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		res := rec.Result()
		var msgs []string
		if ok, errs := v.ValidateHttpResponse(req, res); !ok {
			for _, e := range errs {
				msgs = append(msgs, "answer: "+describe(e.Message, e.Reason, e.SchemaValidationErrors))
			}
		}
		if rec.Code >= 200 && rec.Code < 300 {
			req.Body = io.NopCloser(bytes.NewReader(body))
			if ok, errs := v.ValidateHttpRequestSync(req); !ok {
				for _, e := range errs {
					msgs = append(msgs, "accepted request: "+describe(e.Message, e.Reason, e.SchemaValidationErrors))
				}
			}
		}
		if len(msgs) > 0 {
			mu.Lock()
			// The body of an error only: a success can hold a key.
			shown := "(body not shown)"
			if rec.Code >= 400 {
				shown = truncated(rec.Body.String())
			}
			failures = append(failures, fmt.Sprintf("contract: %s %s → %d %s:\n\t%s", r.Method, r.URL.Path, rec.Code,
				shown, strings.Join(msgs, "\n\t")))
			mu.Unlock()
			return
		}
		if rec.Code >= 200 && rec.Code < 300 && r.Pattern != "" {
			contractMu.Lock()
			contractSeen[r.Pattern]++
			contractMu.Unlock()
		}
	})
}

var (
	documentedOnce sync.Once
	documentedOps  map[string]bool // "POST /v1/keys/{id}/reroll"
)

// documented reports whether a route pattern of the ServeMux is an
// operation of openapi.json.
func documented(t testing.TB, pattern string) bool {
	documentedOnce.Do(func() {
		documentedOps = map[string]bool{}
		raw, err := os.ReadFile("openapi.json")
		if err != nil {
			return
		}
		var doc struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		if json.Unmarshal(raw, &doc) != nil {
			return
		}
		for path, item := range doc.Paths {
			for method := range item {
				documentedOps[strings.ToUpper(method)+" "+path] = true
			}
		}
	})
	return documentedOps[pattern]
}

func describe[E interface{ Error() string }](msg, reason string, schemaErrs []E) string {
	s := msg
	if reason != "" {
		s += ": " + reason
	}
	for _, e := range schemaErrs {
		s += "; " + e.Error()
	}
	return s
}

func truncated(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// uncoveredOperations lists the routes of routes that no test got a
// validated 2xx answer from.
func uncoveredOperations(routes []string) []string {
	contractMu.Lock()
	defer contractMu.Unlock()
	var missing []string
	for _, r := range routes {
		if contractSeen[r] == 0 {
			missing = append(missing, r)
		}
	}
	slices.Sort(missing)
	return missing
}

// allRoutes is the routes of a server, as its Routes method lists them.
func allRoutes() []string {
	st, err := sqlite.Open(context.Background(), filepath.Join(os.TempDir(), "secrets-contract-routes-"+secrets.TokenHex(8)+".db"))
	if err != nil {
		return []string{"(cannot open a store to list the routes: " + err.Error() + ")"}
	}
	defer st.Close()
	srv, err := server.New(server.Options{Store: st, AdminKeyDigest: sha256.Sum256([]byte(testAdminKey)), Pepper: backendtest.Pepper})
	if err != nil {
		return []string{"(cannot make a server to list the routes: " + err.Error() + ")"}
	}
	return srv.Routes()
}
