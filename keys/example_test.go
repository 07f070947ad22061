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
