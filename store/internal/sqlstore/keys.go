package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/unguessable/secrets/store"
)

// KeyCols are the columns of an API key, in the order [Core.ScanKey] reads.
const KeyCols = keyStoredCols + hasLimitsCol

// KeyLookupCols are the columns of an API key that a lookup by hash reads,
// in the order [Core.ScanKeyLookup] reads: not the refill and named rate
// limits, which only a verification's transaction needs, but whether
// there are any.
const KeyLookupCols = keyBaseCols + hasLimitsCol

// keyBaseCols are the columns of an API key but its limits'.
const keyBaseCols = "id, hash, prefix, start, namespace, owner, name, meta, enabled, created_at, updated_at, expires_at, revoked_at, remaining, rl_limit, rl_window, rl_start, rl_count, successor, roles, permissions"

// keyStoredCols are the stored columns of an API key, as inserted.
const keyStoredCols = keyBaseCols + ", last_used_at" + limitCols

// ScanKey reads the columns of KeyCols; a row that matched nothing is
// store.ErrNotFound.
func (c *Core) ScanKey(row Row) (store.Key, error) {
	var k store.Key
	var meta, successor, roles, perms *string
	var created, updated, rlStart int64
	var expires, revoked, remaining, rlLimit, rlWindow, lastUsed *int64
	var lim limitScan
	if err := row.Scan(&k.ID, &k.Hash, &k.Prefix, &k.Start, &k.Namespace, &k.Owner, &k.Name, &meta, &k.Enabled,
		&created, &updated, &expires, &revoked, &remaining, &rlLimit, &rlWindow, &rlStart, &k.RateCount, &successor, &roles, &perms, &lastUsed,
		&lim.interval, &lim.amount, &lim.day, &lim.refilledAt, &lim.ratelimits, &lim.windows, &k.HasLimits); err != nil {
		return store.Key{}, c.row("key", err)
	}
	if err := lim.apply(&k); err != nil {
		return store.Key{}, c.errorf("key", err)
	}
	if err := rolesOf(&k, roles, perms); err != nil {
		return store.Key{}, c.errorf("key "+k.ID, err)
	}
	k.LastUsedAt = fromMillis(lastUsed)
	return c.keyOf(k, meta, successor, created, updated, rlStart, expires, revoked, remaining, rlLimit, rlWindow), nil
}

// ScanKeyLookup reads the columns of KeyLookupCols; a row that matched
// nothing is store.ErrNotFound.
func (c *Core) ScanKeyLookup(row Row) (store.Key, error) {
	var k store.Key
	var meta, successor *string
	var created, updated, rlStart int64
	var expires, revoked, remaining, rlLimit, rlWindow *int64
	var roles, perms *string
	if err := row.Scan(&k.ID, &k.Hash, &k.Prefix, &k.Start, &k.Namespace, &k.Owner, &k.Name, &meta, &k.Enabled,
		&created, &updated, &expires, &revoked, &remaining, &rlLimit, &rlWindow, &rlStart, &k.RateCount, &successor, &roles, &perms, &k.HasLimits); err != nil {
		return store.Key{}, c.row("key", err)
	}
	if err := rolesOf(&k, roles, perms); err != nil {
		return store.Key{}, c.errorf("key "+k.ID, err)
	}
	return c.keyOf(k, meta, successor, created, updated, rlStart, expires, revoked, remaining, rlLimit, rlWindow), nil
}

// keyOf completes a scanned key.
func (c *Core) keyOf(k store.Key, meta, successor *string, created, updated, rlStart int64, expires, revoked, remaining, rlLimit, rlWindow *int64) store.Key {
	k.Meta = bytesOf(meta)
	if successor != nil {
		k.Successor = *successor
	}
	k.CreatedAt, k.UpdatedAt = fromMillis(&created), fromMillis(&updated)
	k.ExpiresAt, k.RevokedAt = fromMillis(expires), fromMillis(revoked)
	k.Remaining = remaining
	if rlLimit != nil && rlWindow != nil {
		k.RateLimit = &store.RateLimit{Limit: *rlLimit, Window: time.Duration(*rlWindow) * time.Millisecond}
		k.RateStart = fromMillis(&rlStart)
	}
	return k
}

// ScanKeys reads every row of rows with ScanKey and closes rows.
func (c *Core) ScanKeys(rows Rows, op string) ([]store.Key, error) {
	return c.scanKeys(rows, op, c.ScanKey)
}

// ScanKeyLookups reads every row of rows with ScanKeyLookup and closes
// rows.
func (c *Core) ScanKeyLookups(rows Rows, op string) ([]store.Key, error) {
	return c.scanKeys(rows, op, c.ScanKeyLookup)
}

func (c *Core) scanKeys(rows Rows, op string, scan func(Row) (store.Key, error)) ([]store.Key, error) {
	defer rows.Close()
	var keys []store.Key
	for rows.Next() {
		k, err := scan(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, c.errorf(op, err)
	}
	return keys, nil
}

func keyArgs(k store.Key) []any {
	var limit, window, remaining, rlStart any = nil, nil, nil, int64(0)
	if k.RateLimit != nil {
		limit, window = k.RateLimit.Limit, k.RateLimit.Window.Milliseconds()
	}
	if k.Remaining != nil {
		remaining = *k.Remaining
	}
	if !k.RateStart.IsZero() {
		rlStart = k.RateStart.UnixMilli()
	}
	var successor any
	if k.Successor != "" {
		successor = k.Successor
	}
	return append([]any{k.ID, k.Hash, k.Prefix, k.Start, k.Namespace, k.Owner, k.Name, text(k.Meta), k.Enabled,
		k.CreatedAt.UnixMilli(), k.UpdatedAt.UnixMilli(), millis(k.ExpiresAt), millis(k.RevokedAt),
		remaining, limit, window, rlStart, k.RateCount, successor, optionalList(k.Roles), optionalList(k.Permissions), millis(k.LastUsedAt)}, limitArgs(k)...)
}

const insertKey = `INSERT INTO api_keys (` + keyStoredCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
	$20, $21, $22, $23, $24, $25, $26, $27, $28)`

// InsertKey stores k.
func (c *Core) InsertKey(ctx context.Context, k store.Key) error {
	return c.b.SecretTx(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, insertKey, keyArgs(k)...)
		return c.insertErr("insert key", err)
	})
}

const keyByID = `SELECT ` + KeyCols + ` FROM api_keys WHERE id = $1`

// KeyByID returns the key with this id.
func (c *Core) KeyByID(ctx context.Context, id string) (store.Key, error) {
	return c.ScanKey(c.r.QueryRow(ctx, keyByID, id))
}

// UseKey spends cost from the key's uses and rate-limit window atomically.
// A window starts at the first use after the last one ended (rl_start is
// its start) and counts the costs spent in it; a cost of 0 checks without
// starting one. A window only moves forward: a caller whose clock is
// behind the stored window (another instance, a little skewed) counts in
// it rather than starting another.
//
// A rerolled key's own state (enabled, revoked, expiry) decides whether it
// may be used, and its successor's row holds the uses and the window. The
// statement updates only a row without a successor: if a reroll moved the
// counts on between finding the successor and updating it, nothing is
// spent and the step is tried again.
func (c *Core) UseKey(ctx context.Context, id string, cost int64, now time.Time) (store.Key, bool, error) {
	const active = `CAST($3 AS BIGINT) < rl_start + rl_window`
	for try := 0; ; try++ {
		ctr, err := c.ScanKey(c.w.QueryRow(ctx, `UPDATE api_keys SET
			remaining = CASE WHEN remaining IS NULL THEN NULL ELSE remaining - CAST($2 AS BIGINT) END,
			rl_count = CASE WHEN rl_limit IS NULL THEN rl_count
				WHEN `+active+` THEN rl_count + CAST($2 AS BIGINT)
				WHEN CAST($2 AS BIGINT) = 0 THEN rl_count ELSE CAST($2 AS BIGINT) END,
			rl_start = CASE WHEN rl_limit IS NULL OR `+active+` OR CAST($2 AS BIGINT) = 0 THEN rl_start
				ELSE CAST($3 AS BIGINT) END
		WHERE id = (SELECT COALESCE(successor, id) FROM api_keys
				WHERE id = $1 AND enabled AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > CAST($3 AS BIGINT)))
			AND successor IS NULL
			AND enabled AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > CAST($3 AS BIGINT))
			AND (remaining IS NULL OR remaining >= CAST($2 AS BIGINT))
			AND (rl_limit IS NULL OR (CASE WHEN `+active+` THEN rl_count ELSE 0 END) + CAST($2 AS BIGINT) <= rl_limit)
		RETURNING `+KeyCols, id, cost, now.UnixMilli()))
		if err == nil && ctr.ID == id {
			return ctr, true, nil
		}
		if err != nil && err != store.ErrNotFound {
			return store.Key{}, false, err
		}
		k, err2 := c.ScanKey(c.w.QueryRow(ctx, keyByID, id))
		if err2 != nil || k.Successor == "" {
			return k, false, err2
		}
		if err == nil {
			return withCounts(k, ctr), true, nil
		}
		ctr, err = c.ScanKey(c.w.QueryRow(ctx, keyByID, k.Successor))
		if err == store.ErrNotFound {
			return k, false, nil // the successor is gone: nothing to spend
		}
		if err != nil {
			return store.Key{}, false, err
		}
		k = withCounts(k, ctr)
		if try < 3 && (ctr.Successor != "" || admits(k, cost, now)) {
			continue // a reroll moved the counts on meanwhile
		}
		return k, false, nil
	}
}

// withCounts returns k with the uses and rate-limit window of ctr, the key
// it spends from, and under ctr's state: revoked if ctr is, disabled if ctr
// is, and expiring no later than ctr. An old key works through its overlap
// only while the key that replaced it does, so that revoking, disabling or
// expiring the new key stops both.
func withCounts(k, ctr store.Key) store.Key {
	if k.RevokedAt.IsZero() {
		k.RevokedAt = ctr.RevokedAt
	}
	k.Enabled = k.Enabled && ctr.Enabled
	k.ExpiresAt = sooner(k.ExpiresAt, ctr.ExpiresAt)
	ctr = ctr.Clone()
	k.Remaining, k.RateLimit, k.RateStart, k.RateCount = ctr.Remaining, ctr.RateLimit, ctr.RateStart, ctr.RateCount
	return k
}

// admits reports whether UseKey's statement would spend cost from k at now.
func admits(k store.Key, cost int64, now time.Time) bool {
	ms := now.UnixMilli()
	if !k.Enabled || !k.RevokedAt.IsZero() || (!k.ExpiresAt.IsZero() && k.ExpiresAt.UnixMilli() <= ms) {
		return false
	}
	if k.Remaining != nil && *k.Remaining < cost {
		return false
	}
	if rl := k.RateLimit; rl != nil {
		used := int64(0)
		if ms < k.RateStart.UnixMilli()+rl.Window.Milliseconds() {
			used = k.RateCount
		}
		if used+cost > rl.Limit {
			return false
		}
	}
	return true
}

// ListKeys returns keys matching f in id order.
func (c *Core) ListKeys(ctx context.Context, f store.KeyFilter) ([]store.Key, error) {
	status, err := statusWhere(f.Status)
	if err != nil {
		return nil, err
	}
	rows, err := c.r.Query(ctx, `SELECT `+KeyCols+` FROM api_keys
		WHERE (CAST($1 AS TEXT) = '' OR owner = $1) AND (CAST($2 AS TEXT) = '' OR namespace = $2) AND id > $3
			AND substr(name, 1, length(CAST($5 AS TEXT))) = $5 AND `+status+`
		ORDER BY id LIMIT $4`, f.Owner, f.Namespace, f.After, f.Limit, f.NamePrefix, f.Now.UnixMilli())
	if err != nil {
		return nil, c.errorf("list keys", err)
	}
	return c.ScanKeys(rows, "list keys")
}

// statusWhere is the condition of ListKeys on a key's status, with the
// time as $6: the condition of keyStatusSQL, the one the dashboard's search
// uses. Every condition names $6, which PostgreSQL must be able to type
// even where the status does not need the time.
func statusWhere(s store.KeyStatus) (string, error) {
	if s == "" {
		return `CAST($6 AS BIGINT) = CAST($6 AS BIGINT)`, nil
	}
	cond, ok := keyStatusSQL[s]
	if !ok {
		return "", fmt.Errorf("list keys: no key status %q", s)
	}
	return strings.ReplaceAll(cond, "$1", "CAST($6 AS BIGINT)"), nil
}

// UpdateKey applies u to the key, unless it is revoked.
func (c *Core) UpdateKey(ctx context.Context, id string, u store.KeyUpdate, now time.Time) (store.Key, error) {
	set := []string{"updated_at = $2"}
	args := []any{id, now.UnixMilli()}
	assign := func(format string, v any) {
		args = append(args, v)
		set = append(set, fmt.Sprintf(format, fmt.Sprintf("$%d", len(args))))
	}
	add := func(col string, v any) { assign(col+" = %s", v) }
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
		add("expires_at", millis(u.ExpiresAt))
	}
	limitUpdates(u, now, assign)
	if u.Name != nil {
		add("name", *u.Name)
	}
	if u.Owner != nil {
		add("owner", *u.Owner)
	}
	if u.Roles != nil {
		add("roles", optionalList(*u.Roles))
	}
	if u.Permissions != nil {
		add("permissions", optionalList(*u.Permissions))
	}
	// A rerolled key spends from the key that replaced it: its own counts
	// are no longer read, so a change of them would do nothing.
	counts := u.SetRemaining || u.SetRefill || u.SetRateLimits
	where := ` AND revoked_at IS NULL`
	if counts {
		where += ` AND successor IS NULL`
	}
	k, err := c.ScanKey(c.w.QueryRow(ctx, `UPDATE api_keys SET `+strings.Join(set, ", ")+`
		WHERE id = $1`+where+` RETURNING `+KeyCols, args...))
	if err == store.ErrNotFound {
		// No such key, a revoked one, or (for its counts) a rerolled
		// one: revocation and rerolls are for good, so the answer cannot
		// go stale.
		var old store.Key
		if old, err = c.ScanKey(c.w.QueryRow(ctx, keyByID, id)); err == nil {
			err = store.ErrRevoked
			if old.RevokedAt.IsZero() && counts && old.Successor != "" {
				err = store.ErrRerolled
			}
		}
	}
	return k, err
}

// RevokeKey revokes the key.
func (c *Core) RevokeKey(ctx context.Context, id string, now time.Time) (store.Key, error) {
	return c.ScanKey(c.w.QueryRow(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2), updated_at = $2
		WHERE id = $1 RETURNING `+KeyCols, id, now.UnixMilli()))
}

// RerollKey stores nk in place of oldID, which expires at oldExpiresAt and
// spends from nk from now on, as do the keys it replaced.
func (c *Core) RerollKey(ctx context.Context, oldID string, nk store.Key, oldExpiresAt time.Time) (store.Key, error) {
	err := c.b.SecretTx(ctx, func(q Querier) error {
		// The lock on the old key's row serialises its rerolls; SQLite has
		// one writer.
		old, err := c.ScanKey(q.QueryRow(ctx, keyByID+c.d.ForUpdate, oldID))
		switch {
		case err != nil:
			return err
		case !old.RevokedAt.IsZero():
			return store.ErrRevoked
		case old.Successor != "":
			return store.ErrRerolled
		case !old.ExpiresAt.IsZero() && old.ExpiresAt.UnixMilli() <= nk.CreatedAt.UnixMilli():
			return store.ErrExpired
		}
		nk = inherit(nk, old)
		if _, err := q.Exec(ctx, insertKey, keyArgs(nk)...); err != nil {
			return c.insertErr("insert key", err)
		}
		if _, err := q.Exec(ctx, `UPDATE api_keys SET expires_at = $2, updated_at = $3, successor = $4 WHERE id = $1`,
			oldID, millis(sooner(old.ExpiresAt, oldExpiresAt)), nk.CreatedAt.UnixMilli(), nk.ID); err != nil {
			return c.errorf("expire old key", err)
		}
		if _, err := q.Exec(ctx, `UPDATE api_keys SET successor = $2 WHERE successor = $1`, oldID, nk.ID); err != nil {
			return c.errorf("pass on the counts", err)
		}
		return nil
	})
	return nk, err
}

// inherit returns nk with what a rerolled key carries over from old: its
// namespace, owner, name, metadata, enabled flag, expiry, remaining uses and
// rate limit with its current window, which the old key spends from too.
func inherit(nk, old store.Key) store.Key {
	old = old.Clone()
	nk.Namespace, nk.Owner, nk.Name, nk.Meta, nk.Enabled = old.Namespace, old.Owner, old.Name, old.Meta, old.Enabled
	nk.ExpiresAt, nk.RevokedAt = old.ExpiresAt, time.Time{}
	nk.Remaining, nk.RateLimit = old.Remaining, old.RateLimit
	nk.RateStart, nk.RateCount, nk.Successor = old.RateStart, old.RateCount, ""
	nk.Refill, nk.RefilledAt, nk.RateLimits = old.Refill, old.RefilledAt, old.RateLimits
	nk.Roles, nk.Permissions = old.Roles, old.Permissions
	return nk
}

// sooner returns the earlier of two expiry times, where zero means never.
func sooner(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case b.Before(a):
		return b
	}
	return a
}

// rolesOf sets k's roles and permissions from their stored JSON lists.
func rolesOf(k *store.Key, roles, perms *string) error {
	var err error
	if k.Roles, err = listOf(roles); err != nil {
		return fmt.Errorf("roles: %w", err)
	}
	if k.Permissions, err = listOf(perms); err != nil {
		return fmt.Errorf("permissions: %w", err)
	}
	return nil
}
