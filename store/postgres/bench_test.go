package postgres

import (
	"context"
	"testing"

	"github.com/unguessable/secrets/store/storetest"
)

// bareSelect is the baseline: one indexed read of the columns that a
// verification reports (id, namespace, owner, name, metadata, state, expiry,
// remaining uses, rate-limit window), with nothing around it.
const bareSelect = `SELECT id, namespace, owner, name, meta, enabled, expires_at, revoked_at, remaining, rl_limit, rl_window, rl_start, rl_count FROM api_keys WHERE hash = $1`

func bareLookup(st *Postgres) storetest.BareLookup {
	return func(ctx context.Context, hash []byte) error {
		var id, namespace, owner, name string
		var meta *string
		var enabled bool
		var expires, revoked, remaining, rlLimit, rlWindow *int64
		var rlStart, rlCount int64
		return st.pool.QueryRow(ctx, bareSelect, hash).
			Scan(&id, &namespace, &owner, &name, &meta, &enabled, &expires, &revoked, &remaining, &rlLimit, &rlWindow, &rlStart, &rlCount)
	}
}

func BenchmarkVerifyPlainKey(b *testing.B) {
	st := newSchema(b)(b).(*Postgres)
	storetest.BenchmarkVerifyPlainKey(b, st, bareLookup(st))
}

func BenchmarkVerifyPlainKeyConcurrent(b *testing.B) {
	st := newSchema(b)(b).(*Postgres)
	storetest.BenchmarkVerifyPlainKeyConcurrent(b, st, bareLookup(st))
}

func BenchmarkManagers(b *testing.B) {
	storetest.Benchmarks(b, newSchema(b)(b))
}
