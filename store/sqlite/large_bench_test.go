//go:build unix

package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/unguessable/secrets/store"
)

// BenchmarkKeyByHashFilled reads keys by hash, from several goroutines, in
// a database that holds SECRETS_BENCH_KEYS filler keys (1,000 unless set)
// besides the 1,000 keys it reads, as a verification of a plain key does:
//
//	SECRETS_BENCH_KEYS=1000000 go test ./store/sqlite -run x -bench KeyByHashFilled
//
// The filler rows are made inside SQLite (a recursive query of
// randomblob(32) hashes), so a million take seconds.
func BenchmarkKeyByHashFilled(b *testing.B) {
	n := 1000
	if v := os.Getenv("SECRETS_BENCH_KEYS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			b.Fatalf("SECRETS_BENCH_KEYS=%q: want a count", v)
		}
	}
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "large.db")
	st, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := fillKeys(path, n); err != nil {
		b.Fatal(err)
	}
	hashes := make([][]byte, 1000)
	now := time.Now()
	for i := range hashes {
		sum := sha256.Sum256([]byte(fmt.Sprint("presented-", i)))
		hashes[i] = sum[:]
		k := store.Key{ID: store.NewID("key", now), Hash: sum[:], Prefix: "sk", Start: "sk_...", Namespace: "default",
			Enabled: true, CreatedAt: now, UpdatedAt: now}
		if err := st.InsertKey(ctx, k); err != nil {
			b.Fatal(err)
		}
	}
	start := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := st.KeyByHash(ctx, hashes[i%len(hashes)]); err != nil {
				b.Error(err)
				return
			}
			i += 7
		}
	})
	b.StopTimer()
	// CPU time (user and system, all threads) per read: on a machine that
	// other work loads, a steadier measure than the wall time per read.
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time the process has used, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// fillKeys adds n filler keys with random hashes to the database at path.
func fillKeys(path string, n int) error {
	if n == 0 {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
		INSERT INTO api_keys (id, hash, prefix, start, namespace, owner, name, enabled, created_at, updated_at)
		SELECT 'key_fill' || i, randomblob(32), 'sk', 'sk_...', 'default', 'owner' || (i % 1000), '', 1, 0, 0 FROM s`, n)
	return err
}
