package storetest

import (
	"context"
	"crypto/sha256"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/token"
)

// BareLookup is the baseline for key verification: the least a hand-written
// verifier does, one SELECT of the row with this hash.
type BareLookup func(ctx context.Context, hash []byte) error

// plainKeys creates the 1,000 plain keys (no use count, no rate limit)
// that the verify benchmarks cycle through.
func plainKeys(b *testing.B, st store.Store) (*keys.Manager, []string) {
	m := keys.New(st, keys.Options{})
	plain := make([]string, 1000)
	for i := range plain {
		c, err := m.Create(context.Background(), keys.CreateOptions{Owner: "o" + strconv.Itoa(i)})
		if err != nil {
			b.Fatal(err)
		}
		plain[i] = c.Key
	}
	return m, plain
}

// BenchmarkVerifyPlainKey times keys.Manager.Verify of plain keys (no use
// count, no rate limit) and, in the same benchmark on the same database, a
// loop of the bare lookup (SHA-256 of the key, then SELECT … WHERE hash = ?),
// and reports the rate of Verify as a fraction of the bare loop's in the
// metric "verify/bare".
func BenchmarkVerifyPlainKey(b *testing.B, st store.Store, bare BareLookup) {
	ctx := context.Background()
	m, plain := plainKeys(b, st)
	n := len(plain)
	verify := func(key string) error {
		r, err := m.Verify(ctx, key, "", 1)
		if err == nil && r.Status != keys.Valid {
			b.Fatalf("verify: %v", r.Status)
		}
		return err
	}
	lookup := func(key string) error {
		sum := sha256.Sum256([]byte(key))
		return bare(ctx, sum[:])
	}
	timed := func(f func(string) error, key string) time.Duration {
		start := time.Now()
		if err := f(key); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	// The two are interleaved call by call, so that the load of a shared
	// machine falls on both alike.
	tv := make([]time.Duration, b.N)
	tb := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			tv[i] = timed(verify, plain[i%n])
			tb[i] = timed(lookup, plain[(i+1)%n])
		} else {
			tb[i] = timed(lookup, plain[i%n])
			tv[i] = timed(verify, plain[(i+1)%n])
		}
	}
	b.StopTimer()
	sum := func(d []time.Duration) (s time.Duration) {
		for _, x := range d {
			s += x
		}
		return s
	}
	median := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[len(d)/2]
	}
	sv, sb := sum(tv), sum(tb)
	mv, mb := median(tv), median(tb)
	b.ReportMetric(float64(sv.Nanoseconds())/float64(b.N), "verify-ns/op")
	b.ReportMetric(float64(sb.Nanoseconds())/float64(b.N), "bare-ns/op")
	// Rates: verifications per second over bare lookups per second.
	b.ReportMetric(float64(sb)/float64(sv), "verify/bare")
	b.ReportMetric(float64(mb)/float64(mv), "median-verify/bare")
}

// Benchmarks runs the manager benchmarks on st: token issue and redeem, code
// issue and check, and verification of a key with a use count (one atomic
// write).
func Benchmarks(b *testing.B, st store.Store) {
	ctx := context.Background()
	tokens := token.New(st, token.Options{})
	codes, err := code.New(st, Pepper, code.Options{})
	if err != nil {
		b.Fatal(err)
	}
	km := keys.New(st, keys.Options{})
	// Subjects are new in every run, as the benchmark framework runs each
	// function several times on one database and the send throttle counts.
	subject := func(i int) string { return secrets.TokenHex(4) + strconv.Itoa(i) }
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
	b.Run("keys.Verify with remaining uses", func(b *testing.B) {
		n := int64(1 << 40)
		c, err := km.Create(ctx, keys.CreateOptions{Remaining: &n})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if r, err := km.Verify(ctx, c.Key, "", 1); err != nil || r.Status != keys.Valid {
				b.Fatalf("verify: %v %v", r.Status, err)
			}
		}
	})
}

// Concurrency is the number of concurrent callers in
// BenchmarkVerifyPlainKeyConcurrent: the connections of the service's load
// benchmark (bench/serve-load.sh).
const Concurrency = 64

// BenchmarkVerifyPlainKeyConcurrent times keys.Manager.Verify of 1,000
// plain keys by Concurrency callers at once, beside the bare lookup by as
// many callers, in sub-benchmarks of the same run: what a loaded service
// asks of the store.
func BenchmarkVerifyPlainKeyConcurrent(b *testing.B, st store.Store, bare BareLookup) {
	ctx := context.Background()
	m, plain := plainKeys(b, st)
	n := len(plain)
	parallelism := max(1, Concurrency/runtime.GOMAXPROCS(0))
	b.Run("bare lookup", func(b *testing.B) {
		b.SetParallelism(parallelism)
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				sum := sha256.Sum256([]byte(plain[next.Add(1)%int64(n)]))
				if err := bare(ctx, sum[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("keys.Verify", func(b *testing.B) {
		b.SetParallelism(parallelism)
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				key := plain[next.Add(1)%int64(n)]
				if r, err := m.Verify(ctx, key, "", 1); err != nil || r.Status != keys.Valid {
					b.Fatalf("verify: %v %v", r.Status, err)
				}
			}
		})
	})
}
