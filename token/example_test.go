package token_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/unguessable/secrets/store/sqlite"
	"github.com/unguessable/secrets/token"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "token-example")
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "secrets.db"))
	if err != nil {
		panic(err)
	}
	defer st.Close()
	m := token.New(st, token.Options{})

	// Put iss.Token in the reset link; the database keeps only its hash.
	iss, err := m.Issue(ctx, "password-reset", "user-42", token.IssueOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(iss.Token), "characters,", iss.Bits, "bits")

	r, _ := m.Verify(ctx, "password-reset", iss.Token) // show the form
	fmt.Println(r.Status, r.Subject)
	r, _ = m.Redeem(ctx, "password-reset", iss.Token) // change the password
	fmt.Println(r.Status)
	r, _ = m.Redeem(ctx, "password-reset", iss.Token) // a replay
	fmt.Println(r.Status)
	// Output:
	// 43 characters, 256 bits
	// VALID user-42
	// VALID
	// USED
}
