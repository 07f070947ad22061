package token_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/token"
)

// BenchmarkTokens runs the token manager's benchmarks on every backend: SQLite,
// and PostgreSQL when SECRETS_TEST_POSTGRES_URL is set.
func BenchmarkTokens(b *testing.B) {
	ctx := context.Background()
	// Subjects are new in every run, as the benchmark framework runs each
	// function several times on one database and the send throttle counts.
	subject := func(i int) string { return secrets.TokenHex(4) + strconv.Itoa(i) }
	backendtest.RunB(b, func(b *testing.B, be backendtest.Backend) {
		st := be.NewDB(b).Open(b)
		tokens := token.New(st, token.Options{})
		b.Run("token.Issue", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := tokens.Issue(ctx, "bench", subject(i), token.IssueOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("token.Redeem", func(b *testing.B) {
			for i := range b.N {
				b.StopTimer()
				iss, err := tokens.Issue(ctx, "bench", subject(i), token.IssueOptions{})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if r, err := tokens.Redeem(ctx, "bench", iss.Token); err != nil || r.Status != token.Valid {
					b.Fatalf("redeem: %v %v", r.Status, err)
				}
			}
		})
	})
}
