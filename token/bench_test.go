package token_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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

// history gives subject n revoked tokens for purpose, written by one
// statement straight into the database of db: the history a subject builds
// up by asking for a token again and again, within the retention.
func history(b *testing.B, be backendtest.Backend, db backendtest.DB, purpose, subject string, n int) {
	ctx := context.Background()
	now := time.Now().UnixMilli()
	args := []any{purpose, subject, now - 1000, now + time.Hour.Milliseconds(), now - 500, n}
	switch be.Name {
	case "SQLite":
		raw, err := sql.Open("sqlite", db.DSN)
		if err != nil {
			b.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $6)
			INSERT INTO tokens (id, hash, purpose, subject, created_at, expires_at, revoked_at)
			SELECT 'hist_' || $2 || '_' || i, randomblob(32), $1, $2, $3, $4, $5 FROM n`, args...); err != nil {
			b.Fatal(err)
		}
	default:
		raw, err := pgx.Connect(ctx, db.DSN)
		if err != nil {
			b.Fatal(err)
		}
		defer raw.Close(ctx)
		if _, err := raw.Exec(ctx, `INSERT INTO tokens (id, hash, purpose, subject, created_at, expires_at, revoked_at)
			SELECT 'hist_' || $2 || '_' || i, sha256(convert_to($2 || '_' || i, 'UTF8')), $1, $2, $3, $4, $5
			FROM generate_series(1, $6::bigint) AS i`, args...); err != nil {
			b.Fatal(err)
		}
		if _, err := raw.Exec(ctx, `ANALYZE tokens`); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssueWithHistory issues tokens to a subject that already holds
// 10, 1,000 or 100,000 revoked tokens of the purpose: the issue revokes the
// subject's live token through an index of live tokens alone, so its time
// does not grow with the history. Compare the ns/op of one run:
//
//	go test -run '^$' -bench IssueWithHistory -benchtime 2000x ./token
func BenchmarkIssueWithHistory(b *testing.B) {
	ctx := context.Background()
	backendtest.RunB(b, func(b *testing.B, be backendtest.Backend) {
		for _, n := range []int{10, 1000, 100_000} {
			b.Run(fmt.Sprintf("history=%d", n), func(b *testing.B) {
				db := be.NewDB(b)
				st := db.Open(b)
				subject := "user" + secrets.TokenHex(4)
				history(b, be, db, "reset", subject, n)
				tokens := token.New(st, token.Options{})
				for b.Loop() {
					if _, err := tokens.Issue(ctx, "reset", subject, token.IssueOptions{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// BenchmarkVerifyDuringIssueFlood measures the p99 of verifying other
// subjects' tokens, first on a quiet store, then while one subject with
// 100,000 tokens of history is issued tokens back to back by another
// goroutine, and reports both p99s and their ratio (flood/quiet):
//
//	go test -run '^$' -bench VerifyDuringIssueFlood -benchtime 20000x ./token
func BenchmarkVerifyDuringIssueFlood(b *testing.B) {
	ctx := context.Background()
	backendtest.RunB(b, func(b *testing.B, be backendtest.Backend) {
		db := be.NewDB(b)
		st := db.Open(b)
		tokens := token.New(st, token.Options{})
		history(b, be, db, "reset", "flooded", 100_000)
		others := make([]string, 1000)
		for i := range others {
			others[i] = backendtest.Must[token.Issued](b)(tokens.Issue(ctx, "reset", fmt.Sprint("other", i), token.IssueOptions{})).Token
		}
		p99 := func(b *testing.B) time.Duration {
			lat := make([]time.Duration, b.N)
			for i := range b.N {
				start := time.Now()
				r, err := tokens.Verify(ctx, "reset", others[i%len(others)])
				lat[i] = time.Since(start)
				if err != nil || r.Status != token.Valid {
					b.Fatalf("verify: %v %v", r.Status, err)
				}
			}
			slices.Sort(lat)
			return lat[len(lat)*99/100]
		}
		b.ResetTimer()
		quiet := p99(b)
		stop := make(chan struct{})
		issued := make(chan int)
		go func() {
			n := 0
			defer func() { issued <- n }()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := tokens.Issue(ctx, "reset", "flooded", token.IssueOptions{}); err != nil {
					b.Error(err)
					return
				}
				n++
			}
		}()
		flood := p99(b)
		close(stop)
		n := <-issued
		b.ReportMetric(float64(quiet.Microseconds()), "quiet-p99-µs")
		b.ReportMetric(float64(flood.Microseconds()), "flood-p99-µs")
		b.ReportMetric(float64(flood)/float64(max(quiet, 1)), "p99-ratio")
		b.ReportMetric(float64(n), "flood-issues")
	})
}
