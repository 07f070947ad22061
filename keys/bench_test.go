package keys_test

import (
	"context"
	"crypto/sha256"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/store"
)

// The benchmarks run on every backend: SQLite, and PostgreSQL when
// SECRETS_TEST_POSTGRES_URL is set.

func BenchmarkVerifyPlainKey(b *testing.B) {
	backendtest.RunB(b, func(b *testing.B, be backendtest.Backend) {
		db := be.NewDB(b)
		benchVerifyPlainKey(b, db.Open(b), db.Bare(b))
	})
}

func BenchmarkVerifyPlainKeyConcurrent(b *testing.B) {
	backendtest.RunB(b, func(b *testing.B, be backendtest.Backend) {
		db := be.NewDB(b)
		benchVerifyPlainKeyConcurrent(b, db.Open(b), db.Bare(b))
	})
}

// BenchmarkVerifyLimitedKey times the verification of a key with a use
// count: one atomic write.
func BenchmarkVerifyLimitedKey(b *testing.B) {
	ctx := context.Background()
	backendtest.RunB(b, func(b *testing.B, be backendtest.Backend) {
		km := keys.New(be.NewDB(b).Open(b), keys.Options{})
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
func benchVerifyPlainKey(b *testing.B, st store.Store, bare func(context.Context, []byte) error) {
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

// concurrency is the number of concurrent callers in
// benchVerifyPlainKeyConcurrent: the connections of the service's load
// benchmark (bench/serve-load.sh).
const concurrency = 64

// BenchmarkVerifyPlainKeyConcurrent times keys.Manager.Verify of 1,000
// plain keys by concurrency callers at once, beside the bare lookup by as
// many callers, in sub-benchmarks of the same run: what a loaded service
// asks of the store.
func benchVerifyPlainKeyConcurrent(b *testing.B, st store.Store, bare func(context.Context, []byte) error) {
	ctx := context.Background()
	m, plain := plainKeys(b, st)
	n := len(plain)
	parallelism := max(1, concurrency/runtime.GOMAXPROCS(0))
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
