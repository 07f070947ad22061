package code_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/store/sqlite"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "code-example")
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "secrets.db"))
	if err != nil {
		panic(err)
	}
	defer st.Close()
	// The pepper is a server secret; keep it outside the database.
	pepper := make([]byte, 32)
	rand.Read(pepper)
	m, err := code.New(st, pepper, code.Options{})
	if err != nil {
		panic(err)
	}

	iss, err := m.Issue(ctx, "login", "+15550100", code.IssueOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(iss.Code), "digits,", iss.AttemptsLeft, "attempts")

	wrong := string('0'+(iss.Code[0]-'0'+1)%10) + iss.Code[1:] // another code of the same length
	r, _ := m.Check(ctx, "login", "+15550100", wrong)
	fmt.Println(r.Status, r.AttemptsLeft)
	r, _ = m.Check(ctx, "login", "+15550100", iss.Code)
	fmt.Println(r.Status)

	// The send throttle: five codes per subject in ten minutes.
	for range 5 {
		_, err = m.Issue(ctx, "login", "+15550100", code.IssueOptions{})
	}
	var te *code.ThrottledError
	fmt.Println(errors.As(err, &te), te.RetryAfter > 0)
	// Output:
	// 6 digits, 5 attempts
	// INVALID 4
	// APPROVED
	// true true
}
