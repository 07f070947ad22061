package sqlite

import (
	"context"
	"database/sql"
	"testing"

	"github.com/unguessable/secrets/store/storetest"
)

// bareSelect is the baseline: one indexed read of the columns that a
// verification reports (id, namespace, owner, name, metadata, state, expiry,
// remaining uses, rate-limit window), with nothing around it.
const bareSelect = `SELECT id, namespace, owner, name, meta, enabled, expires_at, revoked_at, remaining, rl_limit, rl_window, rl_start, rl_count FROM api_keys WHERE hash = $1`

// bareLookup runs bareSelect through database/sql, prepared once as the
// store's own statements are.
func bareLookup(b *testing.B, st *SQLite) storetest.BareLookup {
	bare, err := st.r.Prepare(bareSelect)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bare.Close() })
	return func(ctx context.Context, hash []byte) error {
		var id, namespace, owner, name string
		var meta sql.NullString
		var enabled bool
		var expires, revoked, remaining, rlLimit, rlWindow sql.NullInt64
		var rlStart, rlCount int64
		return bare.QueryRowContext(ctx, hash).
			Scan(&id, &namespace, &owner, &name, &meta, &enabled, &expires, &revoked, &remaining, &rlLimit, &rlWindow, &rlStart, &rlCount)
	}
}

func BenchmarkVerifyPlainKey(b *testing.B) {
	st := backend.NewDB(b)(b).(*SQLite)
	storetest.BenchmarkVerifyPlainKey(b, st, bareLookup(b, st))
}

func BenchmarkVerifyPlainKeyConcurrent(b *testing.B) {
	st := backend.NewDB(b)(b).(*SQLite)
	storetest.BenchmarkVerifyPlainKeyConcurrent(b, st, bareLookup(b, st))
}

func BenchmarkManagers(b *testing.B) {
	storetest.Benchmarks(b, backend.NewDB(b)(b))
}
