package keys_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/sqlite"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "keys-example")
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "secrets.db"))
	if err != nil {
		panic(err)
	}
	defer st.Close()
	m := keys.New(st, keys.Options{})

	uses := int64(2)
	c, err := m.Create(ctx, keys.CreateOptions{Prefix: "sk_live_", Owner: "acct_7", Remaining: &uses,
		RateLimit: &store.RateLimit{Limit: 100, Window: time.Minute}})
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.HasPrefix(c.Start, "sk_live_…"), len(c.Key))

	for range 3 {
		r, _ := m.Verify(ctx, c.Key, "", 1)
		fmt.Println(r.Status, *r.Remaining)
	}
	typo := []byte(c.Key)
	typo[20] = map[bool]byte{true: 'y', false: 'x'}[typo[20] == 'x']
	r, _ := m.Verify(ctx, string(typo), "", 1) // a typo: no database work
	fmt.Println(r.Status)
	// Output:
	// true 57
	// VALID 1
	// VALID 0
	// USAGE_EXCEEDED 0
	// MALFORMED
}

// A key holds its own permissions and its roles'; a verification that asks
// a permission query the key does not satisfy spends nothing.
func ExampleManager_VerifyWith_permissions() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "keys-example")
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "secrets.db"))
	if err != nil {
		panic(err)
	}
	defer st.Close()
	m := keys.New(st, keys.Options{})

	if _, _, err := m.PutRole(ctx, keys.RoleOptions{Name: "editor", Permissions: []string{"docs.read", "docs.write"}}); err != nil {
		panic(err)
	}
	uses := int64(5)
	c, err := m.Create(ctx, keys.CreateOptions{Roles: []string{"editor"}, Permissions: []string{"billing.read"}, Remaining: &uses})
	if err != nil {
		panic(err)
	}
	for _, q := range []string{"docs.read AND (docs.write OR admin)", "admin"} {
		r, _ := m.VerifyWith(ctx, c.Key, keys.VerifyOptions{Cost: 1, Permissions: q})
		fmt.Println(r.Status, *r.Remaining, r.Permissions)
	}
	_, err = m.VerifyWith(ctx, c.Key, keys.VerifyOptions{Permissions: "docs.read AND"})
	fmt.Println(err)
	// Output:
	// VALID 4 [billing.read docs.read docs.write]
	// INSUFFICIENT_PERMISSIONS 4 [billing.read docs.read docs.write]
	// keys: permissions at position 14: expected a permission or "(", found the end of the query
}
