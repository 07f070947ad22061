// Package postgres is the [store.Store] for many service instances sharing
// one PostgreSQL database, through pgx (github.com/jackc/pgx/v5).
//
// Every decision is one UPDATE … WHERE … RETURNING, whose row lock and
// re-check of the WHERE clause under READ COMMITTED make concurrent callers
// in any number of processes queue on the row; issuing a code, or a token
// that revokes the subject's others, takes a transaction-scoped advisory
// lock per purpose and subject, so the send throttle and the one live token
// hold across instances. Every connection runs at READ COMMITTED whatever
// the server's default: a stricter default would make these statements fail
// with serialization errors under load, and would let a transaction's
// snapshot predate the lock it waited for. Commits are durable (synchronous_commit
// as the server sets it, on by default). Migrations are embedded and applied
// on [Open] under a session advisory lock, so many instances may start at
// once.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unguessable/secrets/internal/coalesce"
	"github.com/unguessable/secrets/store"
)

var _ store.Store = (*Postgres)(nil)

// Postgres is a store.Store on a PostgreSQL database.
type Postgres struct {
	pool   *pgxpool.Pool
	byHash *coalesce.Coalescer[store.Key]
}

// Lookups of keys by hash are coalesced: under load, the callers that
// arrive while one lookup runs are served together by the next, one
// statement and one round trip for up to lookupBatch keys. lookupWorkers
// workers run the batches, beside the lone lookups of callers who find
// nothing in flight. One, measured on the 2-core benchmark machine once a
// batch cost the database what its index probes cost (keysByHash): under
// HTTP load (bench/serve-load.sh), where the cores are the limit, one
// worker filled batches of about 10 keys against 6 with two, and served
// 0.57-0.60x the HTTP ceiling against 0.49-0.63x; with 64 callers
// in-process (BenchmarkVerifyPlainKeyConcurrent) one did as well as two
// (3.4-4x the bare lookups' rate, against 3.3x). Before that fix, when
// each batch was planned afresh, one worker was bound by its round trips.
const (
	lookupWorkers = 1
	lookupBatch   = 64
)

// Open connects to the database at connString (a postgres:// URL or
// key=value string, as pgx accepts; search_path and other run-time
// parameters may be given in it) and applies any migrations it lacks.
func Open(ctx context.Context, connString string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgx's parse errors can quote the connection string, password and all.
		return nil, errors.New("postgres: the connection string does not parse")
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig is Open with a parsed pool configuration; cfg itself is left
// unchanged.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*Postgres, error) {
	cfg = cfg.Copy()
	cfg.ConnConfig.RuntimeParams["default_transaction_isolation"] = "read committed"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	p := &Postgres{pool: pool}
	p.byHash = coalesce.New(p.keysByHash, coalesce.Options[store.Key]{Workers: lookupWorkers, MaxBatch: lookupBatch, One: p.keyByHash, Copy: store.Key.Clone})
	return p, nil
}

// Close closes the pool.
func (p *Postgres) Close() error {
	p.byHash.Close()
	p.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (p *Postgres) Ping(ctx context.Context) error {
	if err := p.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Pool returns the connection pool, for benchmarks and tests that compare
// with raw queries.
func (p *Postgres) Pool() *pgxpool.Pool { return p.pool }

func nullMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func nullText(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

func fromNull(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.UnixMilli(*n).UTC()
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func (p *Postgres) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// Tokens.

const tokenCols = "id, hash, purpose, subject, meta, created_at, expires_at, used_at, revoked_at"

func scanToken(row pgx.Row) (store.Token, error) {
	var t store.Token
	var meta *string
	var created, expires int64
	var used, revoked *int64
	if err := row.Scan(&t.ID, &t.Hash, &t.Purpose, &t.Subject, &meta, &created, &expires, &used, &revoked); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return t, store.ErrNotFound
		}
		return t, fmt.Errorf("postgres: %w", err)
	}
	if meta != nil {
		t.Meta = []byte(*meta)
	}
	t.CreatedAt, t.ExpiresAt = store.FromMillis(created), store.FromMillis(expires)
	t.UsedAt, t.RevokedAt = fromNull(used), fromNull(revoked)
	return t, nil
}

// InsertToken stores t, revoking the subject's unused tokens first if asked.
func (p *Postgres) InsertToken(ctx context.Context, t store.Token, revokeOthers bool) error {
	return p.tx(ctx, func(tx pgx.Tx) error {
		if revokeOthers {
			// Serialise issues to one purpose and subject across every
			// instance, so that the revocation sees every earlier token
			// and one token stays live; the lock ends with the transaction.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(length($1)::text || ':' || $1 || $2, 8))`, t.Purpose, t.Subject); err != nil {
				return fmt.Errorf("postgres: lock subject: %w", err)
			}
			if _, err := tx.Exec(ctx, `UPDATE tokens SET revoked_at = $1
				WHERE purpose = $2 AND subject = $3 AND used_at IS NULL AND revoked_at IS NULL`,
				t.CreatedAt.UnixMilli(), t.Purpose, t.Subject); err != nil {
				return fmt.Errorf("postgres: revoke tokens: %w", err)
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO tokens (`+tokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL)`,
			t.ID, t.Hash, t.Purpose, t.Subject, nullText(t.Meta), t.CreatedAt.UnixMilli(), t.ExpiresAt.UnixMilli())
		if isUnique(err) {
			return store.ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("postgres: insert token: %w", err)
		}
		return nil
	})
}

// GetToken returns the token with this purpose and hash.
func (p *Postgres) GetToken(ctx context.Context, purpose string, hash []byte) (store.Token, error) {
	return scanToken(p.pool.QueryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = $1 AND purpose = $2`, hash, purpose))
}

// RedeemToken marks the token used if it is still redeemable at now.
func (p *Postgres) RedeemToken(ctx context.Context, purpose string, hash []byte, now time.Time) (store.Token, bool, error) {
	t, err := scanToken(p.pool.QueryRow(ctx, `UPDATE tokens SET used_at = $1
		WHERE hash = $2 AND purpose = $3 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1
		RETURNING `+tokenCols, now.UnixMilli(), hash, purpose))
	if err == nil {
		return t, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return t, false, err
	}
	t, err = p.GetToken(ctx, purpose, hash)
	return t, false, err
}

// RevokeTokens revokes the subject's unused tokens for purpose.
func (p *Postgres) RevokeTokens(ctx context.Context, purpose, subject string, now time.Time) (int64, error) {
	tag, err := p.pool.Exec(ctx, `UPDATE tokens SET revoked_at = $1
		WHERE purpose = $2 AND subject = $3 AND used_at IS NULL AND revoked_at IS NULL`, now.UnixMilli(), purpose, subject)
	if err != nil {
		return 0, fmt.Errorf("postgres: revoke tokens: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Codes.

const codeCols = "id, purpose, subject, mac, created_at, expires_at, attempts, max_attempts, approved_at, cancelled_at"

func scanCode(row pgx.Row) (store.Code, error) {
	var c store.Code
	var created, expires, attempts, maxAttempts int64
	var approved, cancelled *int64
	if err := row.Scan(&c.ID, &c.Purpose, &c.Subject, &c.MAC, &created, &expires, &attempts, &maxAttempts, &approved, &cancelled); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return c, store.ErrNotFound
		}
		return c, fmt.Errorf("postgres: %w", err)
	}
	c.Attempts, c.MaxAttempts = int(attempts), int(maxAttempts)
	c.CreatedAt, c.ExpiresAt = store.FromMillis(created), store.FromMillis(expires)
	c.ApprovedAt, c.CancelledAt = fromNull(approved), fromNull(cancelled)
	return c, nil
}

// InsertCode stores c unless the send throttle refuses, cancelling the
// subject's pending code.
func (p *Postgres) InsertCode(ctx context.Context, c store.Code, window time.Duration, maxSends int) (time.Time, error) {
	var retryAt time.Time
	err := p.tx(ctx, func(tx pgx.Tx) error {
		// Serialise sends to one purpose and subject across every instance;
		// the lock ends with the transaction.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(length($1)::text || ':' || $1 || $2, 7))`, c.Purpose, c.Subject); err != nil {
			return fmt.Errorf("postgres: lock subject: %w", err)
		}
		now := c.CreatedAt.UnixMilli()
		rows, err := tx.Query(ctx, `SELECT created_at FROM codes
			WHERE purpose = $1 AND subject = $2 AND created_at > $3
			ORDER BY created_at DESC LIMIT $4`, c.Purpose, c.Subject, now-window.Milliseconds(), maxSends)
		if err != nil {
			return fmt.Errorf("postgres: count codes: %w", err)
		}
		created, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("postgres: count codes: %w", err)
		}
		if len(created) >= maxSends {
			retryAt = store.FromMillis(created[len(created)-1]).Add(window)
			return store.ErrThrottled
		}
		// Approved codes are cancelled too, so that the subject has at most
		// one uncancelled code, even when two share a millisecond.
		if _, err := tx.Exec(ctx, `UPDATE codes SET cancelled_at = $1
			WHERE purpose = $2 AND subject = $3 AND cancelled_at IS NULL`, now, c.Purpose, c.Subject); err != nil {
			return fmt.Errorf("postgres: cancel codes: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO codes (`+codeCols+`) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, NULL, NULL)`,
			c.ID, c.Purpose, c.Subject, c.MAC, now, c.ExpiresAt.UnixMilli(), c.MaxAttempts)
		if isUnique(err) {
			return store.ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("postgres: insert code: %w", err)
		}
		return nil
	})
	return retryAt, err
}

const latestCode = `(SELECT id FROM codes WHERE purpose = $1 AND subject = $2 AND cancelled_at IS NULL
	ORDER BY created_at DESC, id DESC LIMIT 1)`

// CheckCode counts one attempt against the subject's current code.
func (p *Postgres) CheckCode(ctx context.Context, purpose, subject string, mac []byte, now time.Time) (store.Code, bool, bool, error) {
	c, err := scanCode(p.pool.QueryRow(ctx, `UPDATE codes SET attempts = attempts + 1,
			approved_at = CASE WHEN mac = $3 THEN $4::bigint ELSE NULL END
		WHERE id = `+latestCode+`
			AND cancelled_at IS NULL AND approved_at IS NULL AND expires_at > $4::bigint AND attempts < max_attempts
		RETURNING `+codeCols, purpose, subject, mac, now.UnixMilli()))
	if err == nil {
		return c, true, !c.ApprovedAt.IsZero(), nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return c, false, false, err
	}
	c, err = scanCode(p.pool.QueryRow(ctx, `SELECT `+codeCols+` FROM codes WHERE id = `+latestCode, purpose, subject))
	return c, false, false, err
}

// Keys.

const keyCols = "id, hash, prefix, start, namespace, owner, name, meta, enabled, created_at, updated_at, expires_at, revoked_at, remaining, rl_limit, rl_window, rl_start, rl_count"

func scanKey(row pgx.Row) (store.Key, error) {
	var k store.Key
	var meta *string
	var created, updated, rlStart int64
	var expires, revoked, remaining, rlLimit, rlWindow *int64
	if err := row.Scan(&k.ID, &k.Hash, &k.Prefix, &k.Start, &k.Namespace, &k.Owner, &k.Name, &meta, &k.Enabled,
		&created, &updated, &expires, &revoked, &remaining, &rlLimit, &rlWindow, &rlStart, &k.RateCount); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return k, store.ErrNotFound
		}
		return k, fmt.Errorf("postgres: %w", err)
	}
	if meta != nil {
		k.Meta = []byte(*meta)
	}
	k.CreatedAt, k.UpdatedAt = store.FromMillis(created), store.FromMillis(updated)
	k.ExpiresAt, k.RevokedAt = fromNull(expires), fromNull(revoked)
	k.Remaining = remaining
	if rlLimit != nil && rlWindow != nil {
		k.RateLimit = &store.RateLimit{Limit: *rlLimit, Window: time.Duration(*rlWindow) * time.Millisecond}
		k.RateStart = store.FromMillis(rlStart)
	}
	return k, nil
}

func keyArgs(k store.Key) []any {
	var limit, window any
	if k.RateLimit != nil {
		limit, window = k.RateLimit.Limit, k.RateLimit.Window.Milliseconds()
	}
	var remaining any
	if k.Remaining != nil {
		remaining = *k.Remaining
	}
	return []any{k.ID, k.Hash, k.Prefix, k.Start, k.Namespace, k.Owner, k.Name, nullText(k.Meta), k.Enabled,
		k.CreatedAt.UnixMilli(), k.UpdatedAt.UnixMilli(), nullMillis(k.ExpiresAt), nullMillis(k.RevokedAt),
		remaining, limit, window, store.Millis(k.RateStart), k.RateCount}
}

const insertKey = `INSERT INTO api_keys (` + keyCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`

// InsertKey stores k.
func (p *Postgres) InsertKey(ctx context.Context, k store.Key) error {
	_, err := p.pool.Exec(ctx, insertKey, keyArgs(k)...)
	if isUnique(err) {
		return store.ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("postgres: insert key: %w", err)
	}
	return nil
}

// KeyByHash returns the key with this hash: one indexed read, shared with
// the lookups running concurrently.
func (p *Postgres) KeyByHash(ctx context.Context, hash []byte) (store.Key, error) {
	k, ok, err := p.byHash.Get(ctx, string(hash))
	if errors.Is(err, coalesce.ErrClosed) {
		return store.Key{}, errors.New("postgres: key lookup: the store is closed")
	}
	if err != nil {
		return store.Key{}, err
	}
	if !ok {
		return store.Key{}, store.ErrNotFound
	}
	return k, nil
}

// keyByHash reads one key, when no other lookup is in flight, as the plain
// equality it is: an array parameter costs more to bind and plan. (Under
// load, that cost is what keeps batches full: a cheaper statement for
// batches of one made the 64-caller benchmark 40% slower.)
func (p *Postgres) keyByHash(ctx context.Context, hash string) (store.Key, bool, error) {
	k, err := scanKey(p.pool.QueryRow(ctx, `SELECT `+keyCols+` FROM api_keys WHERE hash = $1`, []byte(hash)))
	if errors.Is(err, store.ErrNotFound) {
		return k, false, nil
	}
	return k, err == nil, err
}

// keysByHash reads the keys with these hashes in one statement, one probe
// of the unique index on hash for each.
//
// The probes are spelled out: each hash drives its own subquery, which
// OFFSET 0 keeps the planner from merging into a join. Written as
// "hash = ANY($1)" or as a join on unnest($1), the statement was planned
// as a sequential scan of api_keys whenever the table held no more than a
// few thousand keys (PostgreSQL prices a random page read at 4 sequential
// ones, although these pages are in memory).
//
// The hashes are one parameter each, with one statement text per batch
// size, not one array parameter: the plan of a prepared statement then
// does not depend on its parameters' values, so PostgreSQL keeps its
// generic plan. For an array parameter it planned every execution afresh
// (a plan for the array's actual length looked cheaper than the generic
// plan's guess of 10 elements), which cost the database several times the
// lookup itself. See docs/BENCHMARKS-STORE.md.
func (p *Postgres) keysByHash(ctx context.Context, hashes []string) (map[string]store.Key, error) {
	if len(hashes) == 0 || len(hashes) > lookupBatch {
		return nil, fmt.Errorf("postgres: key lookup: %d hashes in one batch", len(hashes)) // the coalescer's bug
	}
	arg := make([]any, len(hashes))
	for i, h := range hashes {
		arg[i] = []byte(h)
	}
	rows, err := p.pool.Query(ctx, keysByHashSQL[len(hashes)], arg...)
	if err != nil {
		return nil, fmt.Errorf("postgres: key lookup: %w", err)
	}
	defer rows.Close()
	found := make(map[string]store.Key, len(hashes))
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		found[string(k.Hash)] = k
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: key lookup: %w", err)
	}
	return found, nil
}

// keysByHashSQL[n] is the statement of keysByHash for n hashes.
var keysByHashSQL = func() []string {
	stmts := make([]string, lookupBatch+1)
	var params strings.Builder
	for n := 1; n <= lookupBatch; n++ {
		if n > 1 {
			params.WriteString(", ")
		}
		fmt.Fprintf(&params, "$%d::bytea", n)
		stmts[n] = `SELECT k.* FROM unnest(ARRAY[` + params.String() + `]) AS h(hash)
	CROSS JOIN LATERAL (SELECT ` + keyCols + ` FROM api_keys WHERE api_keys.hash = h.hash OFFSET 0) AS k`
	}
	return stmts
}()

// KeyByID returns the key with this id.
func (p *Postgres) KeyByID(ctx context.Context, id string) (store.Key, error) {
	return scanKey(p.pool.QueryRow(ctx, `SELECT `+keyCols+` FROM api_keys WHERE id = $1`, id))
}

// UseKey spends cost from the key's uses and rate-limit window atomically.
// The window only moves forward: a caller whose clock is behind the stored
// window (another instance, a little skewed) counts in it rather than
// restarting an older one.
func (p *Postgres) UseKey(ctx context.Context, id string, cost int64, now time.Time) (store.Key, bool, error) {
	k, err := scanKey(p.pool.QueryRow(ctx, `UPDATE api_keys SET
			remaining = CASE WHEN remaining IS NULL THEN NULL ELSE remaining - $2::bigint END,
			rl_count = CASE WHEN rl_limit IS NULL THEN rl_count
				WHEN ($3::bigint / rl_window) * rl_window <= rl_start THEN rl_count + $2::bigint ELSE $2::bigint END,
			rl_start = CASE WHEN rl_limit IS NULL THEN rl_start ELSE GREATEST(rl_start, ($3::bigint / rl_window) * rl_window) END
		WHERE id = $1 AND enabled AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3::bigint)
			AND (remaining IS NULL OR remaining >= $2::bigint)
			AND (rl_limit IS NULL OR
				(CASE WHEN ($3::bigint / rl_window) * rl_window <= rl_start THEN rl_count ELSE 0 END) + $2::bigint <= rl_limit)
		RETURNING `+keyCols, id, cost, now.UnixMilli()))
	if err == nil {
		return k, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return k, false, err
	}
	k, err = p.KeyByID(ctx, id)
	return k, false, err
}

// ListKeys returns keys matching f in id order.
func (p *Postgres) ListKeys(ctx context.Context, f store.KeyFilter) ([]store.Key, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+keyCols+` FROM api_keys
		WHERE ($1::text = '' OR owner = $1) AND ($2::text = '' OR namespace = $2) AND id > $3
		ORDER BY id LIMIT $4`, f.Owner, f.Namespace, f.After, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list keys: %w", err)
	}
	defer rows.Close()
	var keys []store.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list keys: %w", err)
	}
	return keys, nil
}

// UpdateKey applies u to the key, unless it is revoked.
func (p *Postgres) UpdateKey(ctx context.Context, id string, u store.KeyUpdate, now time.Time) (store.Key, error) {
	set := []string{"updated_at = $2"}
	args := []any{id, now.UnixMilli()}
	add := func(col string, v any) {
		args = append(args, v)
		set = append(set, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	if u.Enabled != nil {
		add("enabled", *u.Enabled)
	}
	if u.Meta != nil {
		add("meta", string(u.Meta))
	}
	if u.SetRemaining {
		var v any
		if u.Remaining != nil {
			v = *u.Remaining
		}
		add("remaining", v)
	}
	if u.SetExpiry {
		add("expires_at", nullMillis(u.ExpiresAt))
	}
	k, err := scanKey(p.pool.QueryRow(ctx, `UPDATE api_keys SET `+strings.Join(set, ", ")+`
		WHERE id = $1 AND revoked_at IS NULL RETURNING `+keyCols, args...))
	if errors.Is(err, store.ErrNotFound) {
		// No such key, or a revoked one: revocation is for good, so the
		// answer cannot go stale.
		if _, err = p.KeyByID(ctx, id); err == nil {
			err = store.ErrRevoked
		}
	}
	return k, err
}

// RevokeKey revokes the key.
func (p *Postgres) RevokeKey(ctx context.Context, id string, now time.Time) (store.Key, error) {
	return scanKey(p.pool.QueryRow(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2), updated_at = $2
		WHERE id = $1 RETURNING `+keyCols, id, now.UnixMilli()))
}

// RerollKey stores nk in place of oldID, which expires at oldExpiresAt.
func (p *Postgres) RerollKey(ctx context.Context, oldID string, nk store.Key, oldExpiresAt time.Time) (store.Key, error) {
	err := p.tx(ctx, func(tx pgx.Tx) error {
		old, err := scanKey(tx.QueryRow(ctx, `SELECT `+keyCols+` FROM api_keys WHERE id = $1 FOR UPDATE`, oldID))
		if err != nil {
			return err
		}
		if !old.RevokedAt.IsZero() {
			return store.ErrRevoked
		}
		nk = store.Inherit(nk, old)
		if _, err := tx.Exec(ctx, insertKey, keyArgs(nk)...); err != nil {
			if isUnique(err) {
				return store.ErrDuplicate
			}
			return fmt.Errorf("postgres: insert key: %w", err)
		}
		exp := store.Sooner(old.ExpiresAt, oldExpiresAt)
		if _, err := tx.Exec(ctx, `UPDATE api_keys SET expires_at = $2, updated_at = $3 WHERE id = $1`,
			oldID, nullMillis(exp), nk.CreatedAt.UnixMilli()); err != nil {
			return fmt.Errorf("postgres: expire old key: %w", err)
		}
		return nil
	})
	return nk, err
}

// LoadOrStoreSetting returns the setting, storing value first if unset.
func (p *Postgres) LoadOrStoreSetting(ctx context.Context, name string, value []byte) ([]byte, error) {
	if _, err := p.pool.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return nil, fmt.Errorf("postgres: store setting: %w", err)
	}
	var v []byte
	if err := p.pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, fmt.Errorf("postgres: load setting: %w", err)
	}
	return v, nil
}

// Sweep deletes expired, used and revoked records older than cutoff.
func (p *Postgres) Sweep(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM tokens WHERE id IN (SELECT id FROM tokens
			WHERE expires_at < $1 OR used_at < $1 OR revoked_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		// Never a live code; created_at <= expires_at, so its term only
		// lets the codes_created index narrow the scan.
		`DELETE FROM codes WHERE id IN (SELECT id FROM codes WHERE created_at < $1 AND expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		`DELETE FROM api_keys WHERE id IN (SELECT id FROM api_keys
			WHERE expires_at < $1 OR revoked_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
	} {
		for {
			tag, err := p.pool.Exec(ctx, q, cutoff.UnixMilli(), batch)
			if err != nil {
				return total, fmt.Errorf("postgres: sweep: %w", err)
			}
			total += tag.RowsAffected()
			if tag.RowsAffected() < int64(batch) {
				break
			}
		}
	}
	return total, nil
}
