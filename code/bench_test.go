package code_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/internal/backendtest"
)

// BenchmarkCodes runs the code manager's benchmarks on every backend: SQLite,
// and PostgreSQL when SECRETS_TEST_POSTGRES_URL is set.
func BenchmarkCodes(b *testing.B) {
	ctx := context.Background()
	// Subjects are new in every run, as the benchmark framework runs each
	// function several times on one database and the send throttle counts.
	subject := func(i int) string { return secrets.TokenHex(4) + strconv.Itoa(i) }
	backendtest.RunB(b, func(b *testing.B, be backendtest.Backend) {
		st := be.NewDB(b).Open(b)
		codes, err := code.New(st, backendtest.Pepper, code.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run("code.Issue", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := codes.Issue(ctx, "bench", subject(i), code.IssueOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("code.Check", func(b *testing.B) {
			for i := range b.N {
				b.StopTimer()
				iss, err := codes.Issue(ctx, "bench", subject(i), code.IssueOptions{})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if r, err := codes.Check(ctx, "bench", iss.Subject, iss.Code); err != nil || r.Status != code.Approved {
					b.Fatalf("check: %v %v", r.Status, err)
				}
			}
		})
	})
}
