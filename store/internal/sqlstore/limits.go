package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/unguessable/secrets/store"
)

// limitCols are the columns of a key's refill and named rate limits, which
// follow the other stored columns of KeyCols.
const limitCols = `, refill_interval, refill_amount, refill_day, refilled_at, ratelimits, ratelimit_windows`

// hasLimitsCol is read after the stored columns: whether the key has a
// refill or named rate limits, or its owner has named rate limits in its
// namespace. A key without an owner costs no probe of the owners' limits.
const hasLimitsCol = `, CASE WHEN refill_interval IS NOT NULL OR ratelimits IS NOT NULL THEN TRUE
	WHEN owner = '' THEN FALSE
	ELSE EXISTS (SELECT 1 FROM owner_ratelimits o WHERE o.namespace = api_keys.namespace AND o.owner = api_keys.owner) END`

// limitScan holds a key's limit columns as scanned, in the order of
// limitCols.
type limitScan struct {
	interval                *string
	amount, day, refilledAt *int64
	ratelimits, windows     *string
	ownerLimited            bool
}

// namedLimitJSON is one named rate limit as the ratelimits column holds it.
type namedLimitJSON struct {
	Name   string `json:"name"`
	Limit  int64  `json:"limit"`
	Window int64  `json:"window"` // milliseconds
}

// apply sets k's limits from what was scanned.
func (l *limitScan) apply(k *store.Key) error {
	if l.interval != nil && l.amount != nil {
		k.Refill = &store.Refill{Interval: *l.interval, Amount: *l.amount}
		if l.day != nil {
			k.Refill.Day = int(*l.day)
		}
	}
	k.RefilledAt = fromMillis(l.refilledAt)
	if l.ratelimits == nil {
		return nil
	}
	var cfg []namedLimitJSON
	if err := json.Unmarshal([]byte(*l.ratelimits), &cfg); err != nil {
		return fmt.Errorf("key %s: ratelimits: %w", k.ID, err)
	}
	windows := map[string][2]int64{}
	if l.windows != nil {
		if err := json.Unmarshal([]byte(*l.windows), &windows); err != nil {
			return fmt.Errorf("key %s: ratelimit_windows: %w", k.ID, err)
		}
	}
	k.RateLimits = make([]store.NamedRateLimit, len(cfg))
	for i, c := range cfg {
		w := windows[c.Name]
		k.RateLimits[i] = store.NamedRateLimit{Name: c.Name, Limit: c.Limit, Window: time.Duration(c.Window) * time.Millisecond,
			Start: fromMillis(&w[0]), Count: w[1]}
	}
	return nil
}

// limitArgs are the values of limitCols for k.
func limitArgs(k store.Key) []any {
	var interval, amount, day any
	if r := k.Refill; r != nil {
		interval, amount = r.Interval, r.Amount
		if r.Interval == store.RefillMonthly {
			day = int64(r.Day)
		}
	}
	return []any{interval, amount, day, millis(k.RefilledAt), limitsConfig(k.RateLimits), limitsWindows(k.RateLimits)}
}

// limitsConfig is the ratelimits column of ls: NULL for none.
func limitsConfig(ls []store.NamedRateLimit) any {
	if len(ls) == 0 {
		return nil
	}
	cfg := make([]namedLimitJSON, len(ls))
	for i, l := range ls {
		cfg[i] = namedLimitJSON{Name: l.Name, Limit: l.Limit, Window: l.Window.Milliseconds()}
	}
	b, _ := json.Marshal(cfg) // strings and numbers: cannot fail
	return string(b)
}

// limitsWindows is the ratelimit_windows column of ls: NULL for none.
func limitsWindows(ls []store.NamedRateLimit) any {
	w := map[string][2]int64{}
	for _, l := range ls {
		if !l.Start.IsZero() {
			w[l.Name] = [2]int64{l.Start.UnixMilli(), l.Count}
		}
	}
	if len(w) == 0 {
		return nil
	}
	b, _ := json.Marshal(w)
	return string(b)
}

// limitUpdates adds to an UpdateKey statement the changes of u to the
// refill and named rate limits; set adds an assignment whose %s is v's
// parameter.
func limitUpdates(u store.KeyUpdate, now time.Time, set func(assign string, v any)) {
	if u.SetRefill {
		args := limitArgs(store.Key{Refill: u.Refill})
		set("refill_interval = %s", args[0])
		set("refill_amount = %s", args[1])
		set("refill_day = %s", args[2])
		if u.Refill == nil {
			set("refilled_at = %s", nil)
		} else {
			// A key that had no refill counts from now; one that had
			// keeps its last refill, so that a refill due is not lost.
			set("refilled_at = COALESCE(refilled_at, %s)", now.UnixMilli())
			if !u.SetRemaining {
				// Credits that refill are counted: unlimited uses
				// become the amount.
				set("remaining = COALESCE(remaining, %s)", u.Refill.Amount)
			}
		}
	} else if u.SetRemaining && u.Remaining == nil {
		// Unlimited uses have nothing to refill.
		for _, col := range []string{"refill_interval", "refill_amount", "refill_day", "refilled_at"} {
			set(col+" = %s", nil)
		}
	}
	if u.SetRateLimits {
		set("ratelimits = %s", limitsConfig(u.RateLimits))
	}
}

// UseKeyLimits spends u from key id in one transaction: the key row that
// holds the counts is locked first, then the owner's rows in the order of
// their names, so that concurrent uses never deadlock.
func (c *Core) UseKeyLimits(ctx context.Context, id string, u store.KeyUse, now time.Time) (store.KeyUsed, error) {
	var out store.KeyUsed
	for try := 0; ; try++ {
		retry := false
		err := c.b.Tx(ctx, func(q Querier) error {
			out, retry = store.KeyUsed{}, false
			// The key's own row is read without a lock: a reroll of its
			// successor locks the successor, then the keys it replaced, and
			// locking in the other order could deadlock.
			k, err := c.ScanKey(q.QueryRow(ctx, keyByID, id))
			if err != nil {
				return err
			}
			ctrID := id
			if k.Successor != "" {
				ctrID = k.Successor
			}
			ctr, err := c.ScanKey(q.QueryRow(ctx, keyByID+c.d.ForUpdate, ctrID))
			if errors.Is(err, store.ErrNotFound) {
				if ctrID == id {
					return err // deleted in between
				}
				out.Key, out.Refused = k, store.RefusedState
				return nil // the successor is gone: nothing to spend
			}
			if err != nil {
				return err
			}
			if ctr.Successor != "" {
				retry = true // a reroll moved the counts on meanwhile
				return nil
			}
			if ctrID == id {
				k = ctr
			} else {
				k = withLimits(k, ctr)
			}
			owner, err := c.lockOwnerLimits(ctx, q, k.Namespace, k.Owner)
			if err != nil {
				return err
			}
			out = spend(k, owner, u, now)
			if !out.OK {
				return nil
			}
			return c.writeUse(ctx, q, ctrID, out, now)
		})
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return store.KeyUsed{}, err
			}
			return store.KeyUsed{}, c.errorf("use key", err)
		}
		if !retry {
			return out, nil
		}
		if try >= 3 {
			return store.KeyUsed{}, c.errorf("use key", errors.New("the key kept being rerolled"))
		}
	}
}

// withLimits returns k with the counts and limits of ctr, the key it
// spends from.
func withLimits(k, ctr store.Key) store.Key {
	k = withCounts(k, ctr)
	ctr = ctr.Clone()
	k.Refill, k.RefilledAt, k.RateLimits = ctr.Refill, ctr.RefilledAt, ctr.RateLimits
	return k
}

// spend decides a use of k and the owner's limits at now, as UseKeyLimits
// writes it.
func spend(k store.Key, owner []store.NamedRateLimit, u store.KeyUse, now time.Time) store.KeyUsed {
	out := store.KeyUsed{Key: k.Clone(), Owner: slices.Clone(owner)}
	ms := now.UnixMilli()
	if !k.Enabled || !k.RevokedAt.IsZero() || (!k.ExpiresAt.IsZero() && k.ExpiresAt.UnixMilli() <= ms) {
		out.Refused = store.RefusedState
		return out
	}
	// Each limit named, at its cost; nil: every one, at the request's.
	costOf := func(name string) (int64, bool) { return u.Cost, true }
	if u.Limits != nil {
		costs := make(map[string]int64, len(u.Limits))
		for _, l := range u.Limits {
			costs[l.Name] += l.Cost
		}
		for _, l := range u.Limits {
			known := slices.ContainsFunc(k.RateLimits, func(r store.NamedRateLimit) bool { return r.Name == l.Name }) ||
				slices.ContainsFunc(owner, func(r store.NamedRateLimit) bool { return r.Name == l.Name })
			if !known {
				out.Unknown = l.Name
				return out
			}
		}
		costOf = func(name string) (int64, bool) { c, ok := costs[name]; return c, ok }
	}
	if r := out.Key.Refill; r != nil {
		if at, due := r.Due(out.Key.RefilledAt, now); due {
			amount := r.Amount
			out.Key.Remaining, out.Key.RefilledAt = &amount, at
		}
	}
	// Spent on copies: a refusal reports the counts as they stand.
	key, ownerAfter := out.Key.Clone(), slices.Clone(out.Owner)
	if key.Remaining != nil && *key.Remaining < u.Cost {
		out.Refused = store.RefusedRemaining
		return out
	}
	if rl := key.RateLimit; rl != nil {
		single := store.NamedRateLimit{Limit: rl.Limit, Window: rl.Window, Start: key.RateStart, Count: key.RateCount}
		next, ok := single.Spend(u.Cost, now)
		if !ok {
			out.Refused = store.RefusedRateLimit
			return out
		}
		key.RateStart, key.RateCount = next.Start, next.Count
	}
	for _, set := range [][]store.NamedRateLimit{key.RateLimits, ownerAfter} {
		for i, l := range set {
			cost, ok := costOf(l.Name)
			if !ok {
				continue
			}
			next, fits := l.Spend(cost, now)
			if !fits {
				out.Refused = store.RefusedRateLimit
				return out
			}
			set[i] = next
		}
	}
	if key.Remaining != nil {
		r := *key.Remaining - u.Cost
		key.Remaining = &r
	}
	out.Key, out.Owner, out.OK = key, ownerAfter, true
	return out
}

// writeUse stores the counts of an admitted use on key row ctrID and the
// owner's rows.
func (c *Core) writeUse(ctx context.Context, q Querier, ctrID string, out store.KeyUsed, now time.Time) error {
	k := out.Key
	var remaining any
	if k.Remaining != nil {
		remaining = *k.Remaining
	}
	if _, err := q.Exec(ctx, `UPDATE api_keys SET remaining = $2, rl_start = $3, rl_count = $4, refilled_at = $5, ratelimit_windows = $6
		WHERE id = $1`, ctrID, remaining, k.RateStart.UnixMilli(), k.RateCount, millis(k.RefilledAt), limitsWindows(k.RateLimits)); err != nil {
		return err
	}
	for _, l := range out.Owner {
		if _, err := q.Exec(ctx, `UPDATE owner_ratelimits SET rl_start = $4, rl_count = $5
			WHERE namespace = $1 AND owner = $2 AND name = $3`, k.Namespace, k.Owner, l.Name, l.Start.UnixMilli(), l.Count); err != nil {
			return err
		}
	}
	return nil
}

// lockOwnerLimits reads, and locks in name order, the named rate limits of
// an owner.
func (c *Core) lockOwnerLimits(ctx context.Context, q Querier, namespace, owner string) ([]store.NamedRateLimit, error) {
	if owner == "" {
		return nil, nil
	}
	return c.scanOwnerLimits(q.Query(ctx, `SELECT name, rl_limit, rl_window, rl_start, rl_count FROM owner_ratelimits
		WHERE namespace = $1 AND owner = $2 ORDER BY name`+c.d.ForUpdate, namespace, owner))
}

func (c *Core) scanOwnerLimits(rows Rows, err error) ([]store.NamedRateLimit, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ls []store.NamedRateLimit
	for rows.Next() {
		var l store.NamedRateLimit
		var window, start int64
		if err := rows.Scan(&l.Name, &l.Limit, &window, &start, &l.Count); err != nil {
			return nil, err
		}
		l.Window, l.Start = time.Duration(window)*time.Millisecond, fromMillis(&start)
		ls = append(ls, l)
	}
	return ls, rows.Err()
}

// OwnerLimits returns the named rate limits of an owner.
func (c *Core) OwnerLimits(ctx context.Context, namespace, owner string) (store.OwnerLimits, error) {
	o := store.OwnerLimits{Namespace: namespace, Owner: owner}
	rows, err := c.w.Query(ctx, `SELECT name, rl_limit, rl_window, rl_start, rl_count FROM owner_ratelimits
		WHERE namespace = $1 AND owner = $2 ORDER BY name`, namespace, owner)
	ls, err := c.scanOwnerLimits(rows, err)
	if err != nil {
		return o, c.errorf("owner limits", err)
	}
	o.RateLimits = ls
	return o, nil
}

// SetOwnerLimits replaces the named rate limits of an owner, keeping the
// window of each name that stays.
func (c *Core) SetOwnerLimits(ctx context.Context, o store.OwnerLimits) (store.OwnerLimits, error) {
	err := c.b.Tx(ctx, func(q Querier) error {
		// Locks in the order verifications take them.
		old, err := c.lockOwnerLimits(ctx, q, o.Namespace, o.Owner)
		if err != nil {
			return err
		}
		for _, l := range old {
			if !slices.ContainsFunc(o.RateLimits, func(n store.NamedRateLimit) bool { return n.Name == l.Name }) {
				if _, err := q.Exec(ctx, `DELETE FROM owner_ratelimits WHERE namespace = $1 AND owner = $2 AND name = $3`,
					o.Namespace, o.Owner, l.Name); err != nil {
					return err
				}
			}
		}
		for _, l := range o.RateLimits {
			if _, err := q.Exec(ctx, `INSERT INTO owner_ratelimits (namespace, owner, name, rl_limit, rl_window, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (namespace, owner, name) DO UPDATE SET rl_limit = $4, rl_window = $5, updated_at = $6`,
				o.Namespace, o.Owner, l.Name, l.Limit, l.Window.Milliseconds(), o.UpdatedAt.UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return store.OwnerLimits{}, c.errorf("set owner limits", err)
	}
	return c.OwnerLimits(ctx, o.Namespace, o.Owner)
}
