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

func BenchmarkVerifyPlainKey(b *testing.B) {
	st := backend.NewDB(b)(b).(*SQLite)
	// The baseline is prepared once too, as the store's own lookup is.
	bare, err := st.r.Prepare(bareSelect)
	if err != nil {
		b.Fatal(err)
	}
	defer bare.Close()
	storetest.BenchmarkVerifyPlainKey(b, st, func(ctx context.Context, hash []byte) error {
		var id, namespace, owner, name string
		var meta sql.NullString
		var enabled bool
		var expires, revoked, remaining, rlLimit, rlWindow sql.NullInt64
		var rlStart, rlCount int64
		return bare.QueryRowContext(ctx, hash).
			Scan(&id, &namespace, &owner, &name, &meta, &enabled, &expires, &revoked, &remaining, &rlLimit, &rlWindow, &rlStart, &rlCount)
	})
}

func BenchmarkManagers(b *testing.B) {
	storetest.Benchmarks(b, backend.NewDB(b)(b))
}

func BenchmarkVerifyPlainKeyConcurrent(b *testing.B) {
	st := backend.NewDB(b)(b).(*SQLite)
	bare, err := st.r.Prepare(bareSelect)
	if err != nil {
		b.Fatal(err)
	}
	defer bare.Close()
	storetest.BenchmarkVerifyPlainKeyConcurrent(b, st, func(ctx context.Context, hash []byte) error {
		var id, namespace, owner, name string
		var meta sql.NullString
		var enabled bool
		var expires, revoked, remaining, rlLimit, rlWindow sql.NullInt64
		var rlStart, rlCount int64
		return bare.QueryRowContext(ctx, hash).
			Scan(&id, &namespace, &owner, &name, &meta, &enabled, &expires, &revoked, &remaining, &rlLimit, &rlWindow, &rlStart, &rlCount)
	})
}
