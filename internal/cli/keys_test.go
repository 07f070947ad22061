package cli

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/unguessable/secrets/client"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/server"
)

const keysTestAdmin = "sk_admin_cli_keys_test_0123456789"

// startKeysService serves a real service on a new database of b and sets
// SECRETS_ACCESS_KEY to its root key; it returns the service's URL.
func startKeysService(t *testing.T, b backendtest.Backend) string {
	t.Helper()
	st := b.NewDB(t).Open(t)
	srv, err := server.New(server.Options{Store: st, AdminKeyDigest: sha256.Sum256([]byte(keysTestAdmin)), Pepper: backendtest.Pepper})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	t.Setenv(accessKeyEnv, keysTestAdmin)
	t.Setenv("SECRETS_SERVER", "")
	return hs.URL
}

func TestKeysCommands(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := startKeysService(t, b)
		srv := "--server=" + url

		r := run(t, "", "keys", "create", srv, "--prefix", "sk_live_", "--namespace", "shop", "--owner", "acme", "--name", "checkout",
			"--meta", `{"plan":"pro"}`, "--expires-in", "720h", "--remaining", "3", "--ratelimit", "10/1m")
		if r.code != 0 || !strings.HasPrefix(r.out, "sk_live_") || strings.Count(r.out, "\n") != 1 || !strings.Contains(r.err, "created key key_") {
			t.Fatalf("keys create: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
		}
		key := strings.TrimSpace(r.out)
		id := strings.Fields(strings.SplitAfter(r.err, "created key ")[1])[0]

		out := mustRun(t, "keys", "get", id, srv)
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "ID ") ||
			!strings.Contains(lines[1], id) || !strings.Contains(lines[1], "acme") || !strings.Contains(lines[1], "10/1m0s") || strings.Contains(out, key) {
			t.Errorf("keys get:\n%s", out)
		}
		var got client.Key
		if err := json.Unmarshal([]byte(mustRun(t, "keys", "get", id, srv, "--json")), &got); err != nil || got.ID != id || *got.Remaining != 3 || !strings.Contains(string(got.Meta), `"plan": "pro"`) {
			t.Errorf("keys get --json: %+v, %v", got, err)
		}

		r = run(t, key+"\n", "keys", "verify", srv, "--namespace", "shop", "--cost", "2")
		if r.code != 0 || !strings.Contains(r.out, "VALID") || !strings.Contains(r.out, id) || r.err != "" {
			t.Fatalf("keys verify: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
		}
		r = run(t, key, "keys", "verify", srv, "--namespace", "shop", "--cost", "2", "--json")
		var v client.VerifyKeyResponse
		if err := json.Unmarshal([]byte(r.out), &v); err != nil || r.code != 1 || v.Status != "USAGE_EXCEEDED" || r.err != "secrets: the key is not valid: USAGE_EXCEEDED\n" {
			t.Fatalf("keys verify over the uses: exit %d, %+v, stderr %q", r.code, v, r.err)
		}

		out = mustRun(t, "keys", "update", id, srv, "--disable", "--remaining", "unlimited", "--expires-at", "never", "--meta", "{}")
		if !strings.Contains(out, "false") || !strings.Contains(out, "unlimited") {
			t.Errorf("keys update:\n%s", out)
		}
		out = mustRun(t, "keys", "update", id, srv, "--enable", "--remaining", "5", "--expires-at", "2099-01-01T00:00:00Z")
		if !strings.Contains(out, "true") || !strings.Contains(out, "2099-01-01T00:00:00Z") {
			t.Errorf("keys update again:\n%s", out)
		}

		for _, ns := range []string{"shop", "shop", "shop", "other"} {
			if r := run(t, "", "keys", "create", srv, "--prefix", "sk_test_", "--namespace", ns); r.code != 0 {
				t.Fatalf("keys create: exit %d, stderr %q", r.code, r.err)
			}
		}
		if out := mustRun(t, "keys", "list", srv, "--namespace", "shop"); strings.Count(out, "\n") != 5 {
			t.Errorf("keys list: want a header and 4 keys:\n%s", out)
		}
		var l client.KeyList
		if err := json.Unmarshal([]byte(mustRun(t, "keys", "list", srv, "--owner", "acme", "--json")), &l); err != nil || len(l.Keys) != 1 || l.Keys[0].ID != id {
			t.Errorf("keys list --owner acme --json: %+v, %v", l, err)
		}
		if out := mustRun(t, "keys", "list", srv, "--limit", "2"); strings.Count(out, "\n") != 3 {
			t.Errorf("keys list --limit 2:\n%s", out)
		}

		r = run(t, "", "keys", "reroll", id, srv, "--overlap", "1h")
		if r.code != 0 || !strings.HasPrefix(r.out, "sk_live_") || strings.TrimSpace(r.out) == key || !strings.Contains(r.err, "rerolled into key key_") {
			t.Fatalf("keys reroll: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
		}
		newKey := strings.TrimSpace(r.out)
		newID := strings.TrimSuffix(strings.Fields(strings.SplitAfter(r.err, "rerolled into key ")[1])[0], ";")

		r = run(t, "", "keys", "revoke", newID, srv)
		if r.code != 0 || r.out != "" || !strings.Contains(r.err, "revoked key "+newID) {
			t.Fatalf("keys revoke: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
		}
		r = run(t, newKey+"\n", "keys", "verify", srv, "--namespace", "shop")
		if r.code != 1 || !strings.Contains(r.out, "REVOKED") || r.err != "secrets: the key is not valid: REVOKED\n" {
			t.Errorf("keys verify of a revoked key: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
		}
	})
}

// wantServiceError checks the contract for a refusal of the service: exit
// 1 (2 for a 400, which names input the command line gave), nothing on
// stdout, one error line with its status, code and field (and at most a
// hint), and no secret.
func wantServiceError(t *testing.T, r result, secrets []string, wants ...string) {
	t.Helper()
	code := exitFailure
	if len(wants) > 0 && strings.HasPrefix(wants[0], "400 ") {
		code = exitUsage
	}
	if r.code != code || r.out != "" {
		t.Errorf("exit %d, stdout %q; want %d and nothing", r.code, r.out, code)
	}
	lines := strings.Split(strings.TrimSuffix(r.err, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "secrets: error: the service answered ") || len(lines) > 2 {
		t.Errorf("stderr %q, want one \"secrets: error: the service answered\" line", r.err)
	}
	for _, w := range wants {
		if !strings.Contains(lines[0], w) {
			t.Errorf("error %q does not mention %q", lines[0], w)
		}
	}
	for _, s := range secrets {
		if strings.Contains(r.err, s) {
			t.Errorf("stderr %q holds a secret", r.err)
		}
	}
}

func TestKeysCommandsRefused(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := startKeysService(t, b)
		srv := "--server=" + url
		c, err := client.New(url, keysTestAdmin, nil)
		if err != nil {
			t.Fatal(err)
		}
		k, err := c.CreateKey(context.Background(), client.CreateKeyRequest{Prefix: "sk_", Namespace: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		ak, err := c.CreateAccessKey(context.Background(), client.CreateAccessKeyRequest{Name: "reader", Scopes: []string{"keys:read"}, Namespaces: []string{"shop"}})
		if err != nil {
			t.Fatal(err)
		}
		secrets := []string{keysTestAdmin, k.Key, ak.Key}

		wantServiceError(t, run(t, "", "keys", "get", "key_none", srv), secrets, "404 not_found")
		wantServiceError(t, run(t, "", "keys", "create", srv, "--prefix", "no good"), secrets, "400 invalid_request", "field prefix")
		wantServiceError(t, run(t, k.Key+"\n", "keys", "verify", srv, "--cost", "-1"), secrets, "400 invalid_request", "field cost")
		if r := run(t, "", "keys", "reroll", k.ID, srv); r.code != 0 {
			t.Fatalf("keys reroll: exit %d, stderr %q", r.code, r.err)
		}
		wantServiceError(t, run(t, "", "keys", "reroll", k.ID, srv), secrets, "409 conflict")

		t.Setenv(accessKeyEnv, ak.Key)
		wantServiceError(t, run(t, "", "keys", "create", srv, "--prefix", "sk_"), secrets, "403 forbidden")
		wantServiceError(t, run(t, "", "keys", "list", srv, "--namespace", "other"), secrets, "403 forbidden", "field namespace")
		t.Setenv(accessKeyEnv, "ak_wrong_0123456789abcdef0123456789")
		wantServiceError(t, run(t, k.Key, "keys", "verify", srv), append(secrets, "ak_wrong_0123456789abcdef0123456789"), "401 unauthorized")
	})
}

func TestKeysCommandsBadInput(t *testing.T) {
	url := startKeysService(t, backendtest.SQLite())
	srv := "--server=" + url
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		wants []string
	}{
		{"no --server", "", []string{"keys", "list"}, []string{"--server"}},
		{"a --server that is not a URL", "", []string{"keys", "list", "--server", "127.0.0.1:8080"}, []string{"--server"}},
		{"no --prefix", "", []string{"keys", "create", srv}, []string{"--prefix"}},
		{"a --meta that is not an object", "", []string{"keys", "create", srv, "--prefix", "sk_", "--meta", "[1]"}, []string{"--meta"}},
		{"a bad --expires-in", "", []string{"keys", "create", srv, "--prefix", "sk_", "--expires-in", "soon"}, []string{"--expires-in"}},
		{"a --ratelimit without a window", "", []string{"keys", "create", srv, "--prefix", "sk_", "--ratelimit", "100"}, []string{"--ratelimit"}},
		{"a --ratelimit of zero", "", []string{"keys", "create", srv, "--prefix", "sk_", "--ratelimit", "0/1m"}, []string{"--ratelimit"}},
		{"a negative --remaining", "", []string{"keys", "create", srv, "--prefix", "sk_", "--remaining", "-1"}, []string{"--remaining"}},
		{"get without an id", "", []string{"keys", "get", srv}, []string{"ID"}},
		{"get with an empty id", "", []string{"keys", "get", "", srv}, []string{"ID"}},
		{"update with nothing to change", "", []string{"keys", "update", "key_x", srv}, []string{"--enable"}},
		{"update with --enable and --disable", "", []string{"keys", "update", "key_x", srv, "--enable", "--disable"}, []string{"--enable"}},
		{"update with a bad --remaining", "", []string{"keys", "update", "key_x", srv, "--remaining", "lots"}, []string{"--remaining"}},
		{"update with a bad --expires-at", "", []string{"keys", "update", "key_x", srv, "--expires-at", "tomorrow"}, []string{"--expires-at"}},
		{"reroll with a bad --overlap", "", []string{"keys", "reroll", "key_x", srv, "--overlap", "-1h"}, []string{"--overlap"}},
		{"verify with no key on stdin", "", []string{"keys", "verify", srv}, []string{"no key"}},
		{"verify with only blank lines on stdin", "\n \n", []string{"keys", "verify", srv}, []string{"no key"}},
		{"verify with two keys on stdin", "sk_a\nsk_b\n", []string{"keys", "verify", srv}, []string{"2 lines"}},
		{"verify with a key as an argument", "", []string{"keys", "verify", srv, "sk_live_abc"}, nil},
		{"an access key flag", "", []string{"keys", "list", srv, "--access-key", "ak_x"}, []string{"--access-key"}},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			wantUsageError(t, run(t, tc.stdin, tc.args...), tc.wants...)
		})
	}
	t.Run("refuses to run without SECRETS_ACCESS_KEY", func(t *testing.T) {
		t.Setenv(accessKeyEnv, "")
		wantUsageError(t, run(t, "", "keys", "list", srv), accessKeyEnv)
	})
}

// A --server that is some other web server (a metrics port, a proxy's
// page) is said to be one, not shown as an error of the API with no code.
func TestKeysCommandsAtAServerThatIsNotTheService(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "404 page not found", http.StatusNotFound)
	}))
	defer other.Close()
	t.Setenv(accessKeyEnv, keysTestAdmin)
	r := run(t, "", "keys", "list", "--server", other.URL)
	if r.code != exitFailure || r.out != "" || !strings.Contains(r.err, "answered 404 Not Found, not an error of the secrets API") ||
		!strings.Contains(r.err, "hint: check that --server is the URL of secrets serve") {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
}
