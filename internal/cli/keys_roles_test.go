package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/unguessable/secrets/client"
	"github.com/unguessable/secrets/internal/backendtest"
)

func TestKeysRolesAndPermissionsCommands(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := startKeysService(t, b)
		srv := "--server=" + url

		r := run(t, "", "keys", "roles", "put", "editor", srv, "--namespace", "shop", "--permission", "docs.write,docs.read")
		if r.code != 0 || !strings.Contains(r.err, "created role editor in namespace shop") || !strings.Contains(r.out, "docs.read,docs.write") {
			t.Fatalf("roles put: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
		}
		r = run(t, "", "keys", "roles", "put", "viewer", srv, "--namespace", "shop", "--permission", "docs.read", "--json")
		var role client.Role
		if err := json.Unmarshal([]byte(r.out), &role); r.code != 0 || err != nil || role.Name != "viewer" || len(role.Permissions) != 1 {
			t.Fatalf("roles put --json: exit %d, %+v, %v", r.code, role, err)
		}
		if r := run(t, "", "keys", "roles", "put", "viewer", srv, "--namespace", "shop", "--permission", "docs.read"); r.code != 0 || !strings.Contains(r.err, "replaced the permissions of role viewer") {
			t.Fatalf("roles put again: exit %d, stderr %q", r.code, r.err)
		}
		out := mustRun(t, "keys", "roles", "list", srv, "--namespace", "shop")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.Contains(lines[1], "editor") || !strings.Contains(lines[2], "viewer") {
			t.Fatalf("roles list:\n%s", out)
		}

		r = run(t, "", "keys", "create", srv, "--prefix", "sk_live_", "--namespace", "shop", "--name", "ci-1", "--role", "editor", "--permission", "billing.read")
		if r.code != 0 {
			t.Fatalf("keys create: exit %d, stderr %q", r.code, r.err)
		}
		key := strings.TrimSpace(r.out)
		id := strings.Fields(strings.SplitAfter(r.err, "created key ")[1])[0]

		r = run(t, key+"\n", "keys", "verify", srv, "--namespace", "shop", "--permissions", "docs.read AND (docs.write OR admin)")
		if r.code != 0 || !strings.Contains(r.out, "VALID") || !strings.Contains(r.out, "billing.read,docs.read,docs.write") {
			t.Fatalf("keys verify --permissions: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
		}
		r = run(t, key+"\n", "keys", "verify", srv, "--namespace", "shop", "--permissions", "admin")
		if r.code != 1 || !strings.Contains(r.out, "INSUFFICIENT_PERMISSIONS") || r.err != "secrets: the key is not valid: INSUFFICIENT_PERMISSIONS\n" {
			t.Fatalf("keys verify without the permission: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
		}

		out = mustRun(t, "keys", "update", id, srv, "--name", "ci-2", "--owner", "acme", "--role", "viewer", "--clear-permissions", "--json")
		var k client.Key
		if err := json.Unmarshal([]byte(out), &k); err != nil || k.Name != "ci-2" || k.Owner != "acme" || len(k.Roles) != 1 || k.Roles[0] != "viewer" || len(k.Permissions) != 0 {
			t.Fatalf("keys update: %+v, %v", k, err)
		}
		wantServiceError(t, run(t, "", "keys", "update", id, srv, "--role", "ghost"), []string{keysTestAdmin, key}, "400 invalid_request", "field roles")

		if r := run(t, "", "keys", "create", srv, "--prefix", "sk_live_", "--namespace", "shop", "--name", "web-1"); r.code != 0 {
			t.Fatalf("keys create web-1: exit %d, stderr %q", r.code, r.err)
		}
		out = mustRun(t, "keys", "list", srv, "--namespace", "shop", "--status", "active", "--name-prefix", "ci-")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[1], id) || !strings.Contains(lines[0], "ROLES") {
			t.Fatalf("keys list --status --name-prefix:\n%s", out)
		}
		if r := run(t, "", "keys", "revoke", id, srv); r.code != 0 {
			t.Fatalf("keys revoke: exit %d, stderr %q", r.code, r.err)
		}
		out = mustRun(t, "keys", "list", srv, "--namespace", "shop", "--status", "revoked", "--json")
		var l client.KeyList
		if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.Keys) != 1 || l.Keys[0].ID != id {
			t.Fatalf("keys list --status revoked: %+v, %v", l, err)
		}
	})
}

func TestKeysRolesAndPermissionsBadInput(t *testing.T) {
	url := startKeysService(t, backendtest.SQLite())
	srv := "--server=" + url
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		wants []string
	}{
		{"a malformed --permissions query", "sk_live_x\n", []string{"keys", "verify", srv, "--permissions", "a AND (b"}, []string{"--permissions", "position 7"}},
		{"an empty --permissions query", "sk_live_x\n", []string{"keys", "verify", srv, "--permissions", ""}, []string{"--permissions", "empty"}},
		{"a --role that is no name", "", []string{"keys", "create", srv, "--prefix", "sk_", "--role", "a b"}, []string{"--role"}},
		{"a --permission that is no name", "", []string{"keys", "update", "key_x", srv, "--permission", "x$"}, []string{"--permission"}},
		{"--role with --clear-roles", "", []string{"keys", "update", "key_x", srv, "--role", "a", "--clear-roles"}, []string{"--clear-roles"}},
		{"an unknown --status", "", []string{"keys", "list", srv, "--status", "gone"}, []string{"--status"}},
		{"a role name that is no name", "", []string{"keys", "roles", "put", "AND", srv}, []string{"role name"}},
		{"roles put without a name", "", []string{"keys", "roles", "put", srv}, []string{"NAME"}},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			wantUsageError(t, run(t, tc.stdin, tc.args...), tc.wants...)
		})
	}
}
