package store

import (
	"context"
	"time"
)

// Refill intervals.
const (
	RefillDaily   = "daily"
	RefillMonthly = "monthly"
)

// Refill resets a key's remaining uses to Amount at every refill time:
// daily at 00:00 UTC, or monthly at 00:00 UTC on day Day (1 to 31; a day
// past the end of a month means its last day). A refill is applied by the
// first verification after its time, from the key's stored last refill, so
// none is lost while no verification (or no service) runs, and refills
// missed in a row apply once: remaining uses are set, not added.
type Refill struct {
	Interval string // RefillDaily or RefillMonthly
	Amount   int64
	Day      int // RefillMonthly only: 1 to 31
}

// Next returns the first refill time after t.
func (r Refill) Next(t time.Time) time.Time {
	t = t.UTC()
	if r.Interval == RefillDaily {
		return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
	}
	y, m := t.Year(), t.Month()
	for {
		at := r.inMonth(y, m)
		if at.After(t) {
			return at
		}
		m++
		if m > time.December {
			y, m = y+1, time.January
		}
	}
}

// Last returns the latest refill time at or before t.
func (r Refill) Last(t time.Time) time.Time {
	t = t.UTC()
	if r.Interval == RefillDaily {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	y, m := t.Year(), t.Month()
	for {
		at := r.inMonth(y, m)
		if !at.After(t) {
			return at
		}
		m--
		if m < time.January {
			y, m = y-1, time.December
		}
	}
}

// inMonth is the refill time of month m of year y: day Day, or the
// month's last day if it has fewer.
func (r Refill) inMonth(y int, m time.Month) time.Time {
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return time.Date(y, m, min(max(r.Day, 1), last), 0, 0, 0, 0, time.UTC)
}

// Due reports whether a refill time passed after the last refill at
// refilledAt and at or before now; at is the latest such time.
func (r Refill) Due(refilledAt, now time.Time) (at time.Time, due bool) {
	at = r.Last(now)
	return at, at.After(refilledAt)
}

// NamedRateLimit is one of a key's or an owner's named rate limits: at most
// Limit uses (summed costs) in a window of Window that starts, as with
// [RateLimit], at the first use after the previous window ended. Start and
// Count are its current window and the uses counted in it.
type NamedRateLimit struct {
	Name   string
	Limit  int64
	Window time.Duration
	Start  time.Time
	Count  int64
}

// Used returns the uses counted in l's window at now: none once the
// window has ended.
func (l NamedRateLimit) Used(now time.Time) int64 {
	if !l.Start.IsZero() && now.UnixMilli() < l.Start.UnixMilli()+l.Window.Milliseconds() {
		return l.Count
	}
	return 0
}

// Reset returns when l's window ends, as of now: with no window running,
// now plus the window.
func (l NamedRateLimit) Reset(now time.Time) time.Time {
	start := now.UnixMilli()
	if l.Used(now) > 0 || (!l.Start.IsZero() && now.UnixMilli() < l.Start.UnixMilli()+l.Window.Milliseconds()) {
		start = l.Start.UnixMilli()
	}
	return time.UnixMilli(start + l.Window.Milliseconds()).UTC()
}

// Spend returns l after spending cost at now, and whether it fits: a
// window starts at the first use (cost > 0) after the previous one ended.
func (l NamedRateLimit) Spend(cost int64, now time.Time) (NamedRateLimit, bool) {
	used := l.Used(now)
	if used+cost > l.Limit {
		return l, false
	}
	running := !l.Start.IsZero() && now.UnixMilli() < l.Start.UnixMilli()+l.Window.Milliseconds()
	switch {
	case running:
		l.Count += cost
	case cost > 0:
		l.Start, l.Count = now.Truncate(time.Millisecond), cost
	}
	return l, true
}

// LimitCost names a rate limit to spend from and its cost.
type LimitCost struct {
	Name string
	Cost int64
}

// KeyUse is what UseKeyLimits spends.
type KeyUse struct {
	// Cost is spent from the remaining uses and the single rate limit.
	Cost int64
	// Limits are the named rate limits to spend from, each at its cost,
	// from every limit of that name, the key's and its owner's. Nil: every
	// one of them, at Cost.
	Limits []LimitCost
}

// Refusals: what refused a use in UseKeyLimits.
const (
	RefusedState     = "state"     // disabled, revoked or expired
	RefusedRemaining = "remaining" // fewer remaining uses than the cost
	RefusedRateLimit = "ratelimit" // the single rate limit, or a named one
)

// KeyUsed is the outcome of UseKeyLimits.
type KeyUsed struct {
	// Key is the key after the step, or as it stands if refused, with
	// the counts it spends from (its successor's, for a rerolled key).
	Key Key
	// Owner is the owner's named rate limits after the step.
	Owner []NamedRateLimit
	OK    bool
	// Refused says what refused the use: a Refused constant; "" if OK.
	Refused string
	// Unknown is a name in KeyUse.Limits that no limit of the key or its
	// owner has; nothing was spent.
	Unknown string
}

// OwnerLimits are the named rate limits shared by all keys of one owner in
// one namespace.
type OwnerLimits struct {
	Namespace  string
	Owner      string
	RateLimits []NamedRateLimit
	UpdatedAt  time.Time
}

// LimitStore is what a Store keeps for refills, named rate limits and the
// limits of owners. The SQL stores implement it.
type LimitStore interface {
	// UseKeyLimits spends u from key id at now in one transaction, if the
	// key is enabled, unrevoked and unexpired, after applying its refill if
	// one is due: the remaining uses, the single rate limit and the named
	// rate limits of the key and of its owner are all spent, or none is.
	// A rerolled key spends from its successor, as with UseKey.
	UseKeyLimits(ctx context.Context, id string, u KeyUse, now time.Time) (KeyUsed, error)
	// SetOwnerLimits replaces the named rate limits of an owner; the
	// window of a limit whose name stays is kept. No limits deletes them.
	SetOwnerLimits(ctx context.Context, o OwnerLimits) (OwnerLimits, error)
	// OwnerLimits returns the named rate limits of an owner (none if it
	// has none).
	OwnerLimits(ctx context.Context, namespace, owner string) (OwnerLimits, error)
}
