package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/unguessable/secrets/access"
)

// newServiceDB makes the database of a secrets serve that has started once.
func newServiceDB(t *testing.T) string {
	t.Helper()
	t.Setenv("SECRETS_ADMIN_KEY", "")
	t.Setenv("SECRETS_PEPPER", "")
	db := filepath.Join(t.TempDir(), "secrets.db")
	_, _, stop := serving(t, "--db", db)
	if code := stop(); code != 0 {
		t.Fatalf("serve: exit status %d", code)
	}
	return db
}

var createdRE = regexp.MustCompile(`^secrets: created access key (ak_\w+) "checkout" \(scopes keys:read,keys:verify; namespaces shop\); the key above is shown once, only its hash is kept\n$`)

func TestAccessCreateListRevoke(t *testing.T) {
	db := newServiceDB(t)
	r := run(t, "", "access", "create", "--db", db, "--name", "checkout", "--scope", "keys:verify,keys:read", "--namespace", "shop")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	key := strings.TrimSuffix(r.out, "\n")
	if !strings.HasPrefix(key, access.Prefix) || strings.Contains(key, "\n") {
		t.Fatalf("stdout is not one access key: %q", truncate(r.out))
	}
	m := createdRE.FindStringSubmatch(r.err)
	if m == nil {
		t.Fatalf("stderr %q", r.err)
	}
	if strings.Contains(r.err, key) {
		t.Error("the key is on stderr")
	}
	if !authenticates(t, db, key) {
		t.Error("the printed key does not authenticate")
	}

	t.Setenv("SECRETS_DB", db)
	list := mustRun(t, "access", "list")
	if !strings.Contains(list, m[1]) || !strings.Contains(list, "checkout") || !strings.Contains(list, "keys:read,keys:verify") ||
		!regexp.MustCompile(`(?m)^ak_\w+ +root +sak_… ?\S+ +all +\* `).MatchString(list) {
		t.Errorf("the list does not show both keys:\n%s", list)
	}
	if strings.Contains(list, key) {
		t.Error("the list shows the key")
	}

	r = run(t, "", "access", "revoke", m[1])
	if r.code != 0 || r.out != "" || !strings.Contains(r.err, "revoked access key "+m[1]) {
		t.Fatalf("revoke: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	if authenticates(t, db, key) {
		t.Error("the revoked key still authenticates")
	}
	if list := mustRun(t, "access", "list"); !regexp.MustCompile(m[1] + `.*\d\dZ\s*$`).MatchString(strings.Split(list, "\n")[2]) {
		t.Errorf("the list does not show the revocation:\n%s", list)
	}
}

func TestAccessRefusesBadInput(t *testing.T) {
	db := newServiceDB(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"an unknown scope is named, with the scopes there are", []string{"create", "--name", "x", "--scope", "keys:verify,keys:destroy"},
			[]string{`"keys:destroy" is not a scope`, strings.Join(access.AllScopes, ", ")}},
		{"a key without a name is refused", []string{"create", "--scope", "keys:verify"}, []string{"--name"}},
		{"a key without a scope is refused", []string{"create", "--name", "x"}, []string{"--scope"}},
		{"a bad namespace is refused", []string{"create", "--name", "x", "--scope", "keys:verify", "--namespace", strings.Repeat("n", 1000)}, []string{"--namespace"}},
		{"an unknown id is refused", []string{"revoke", "ak_nosuchkey"}, []string{"ak_nosuchkey"}},
		{"a key given to revoke is not repeated", []string{"revoke", "sak_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"}, []string{"looks like a key"}},
		{"revoke needs an id", []string{"revoke"}, []string{"ID"}},
		{"a database that does not exist is not made", []string{"list", "--db", filepath.Join(t.TempDir(), "typo.db")}, []string{"typo.db", "no such database"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"access"}, tc.args...)
			if !strings.Contains(strings.Join(tc.args, " "), "--db") {
				args = append(args, "--db", db)
			}
			r := run(t, "", args...)
			wantUsageError(t, r, tc.want...)
			if strings.Contains(r.err, "abcdefghijklmnop") {
				t.Errorf("the error repeats the key: %s", r.err)
			}
		})
	}
}
