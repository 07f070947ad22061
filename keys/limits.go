package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/unguessable/secrets/internal/argcheck"
	"github.com/unguessable/secrets/store"
)

// Limits of refills and named rate limits.
const (
	// MaxRateLimits is the most named rate limits a key, or an owner, has.
	MaxRateLimits = 16
	// MaxRateLimitName is the longest name of a rate limit, in bytes.
	MaxRateLimitName = 64
	// MaxRefillAmount is the largest refill.
	MaxRefillAmount = 1 << 62
)

// Refill resets a key's remaining uses to Amount daily at 00:00 UTC, or
// monthly at 00:00 UTC on day Day (1 to 31; a month with fewer days refills
// on its last day). No process runs it: the first verification after a
// refill time applies it, from the key's stored last refill, so none is
// lost while the service is down, and several missed in a row refill once
// (remaining uses are set to Amount, not added to).
type Refill = store.Refill

// Refill intervals.
const (
	RefillDaily   = store.RefillDaily
	RefillMonthly = store.RefillMonthly
)

// NamedRateLimit is one named rate limit of a key or an owner: at most
// Limit uses (summed costs) in a window of Window, which starts at the first
// use after the previous window ended, as with [store.RateLimit].
type NamedRateLimit struct {
	Name   string
	Limit  int64
	Window time.Duration
}

// LimitCost asks a verification to spend Cost from every named rate limit
// called Name, the key's and its owner's.
type LimitCost = store.LimitCost

// LimitState is a named rate limit as of a verification.
type LimitState struct {
	Name      string
	Owner     bool // the owner's limit, shared by its keys; false: the key's own
	Limit     int64
	Window    time.Duration
	Remaining int64     // uses left in the window
	Reset     time.Time // when the window ends (with no window running: now + the window)
}

// RefillState is a key's refill as of a verification; the credits left
// are the Result's Remaining.
type RefillState struct {
	Refill
	Next time.Time // the next refill time
}

// OwnerLimits are the named rate limits that all keys of Owner in
// Namespace share.
type OwnerLimits struct {
	Namespace  string
	Owner      string
	RateLimits []LimitState
}

// ErrUnknownRateLimit is returned, wrapped in a [*store.InvalidError] that
// names the field, by VerifyWith when VerifyOptions.RateLimits names a
// limit that neither the key nor its owner has. Nothing was spent.
var ErrUnknownRateLimit = errors.New("keys: no rate limit of this name on the key or its owner")

// unknownLimit is the error of the i-th limit of a verification, unknown.
type unknownLimit struct {
	*store.InvalidError
}

func (u unknownLimit) Unwrap() []error { return []error{u.InvalidError, ErrUnknownRateLimit} }

func unknownRateLimit(opts VerifyOptions, name string) error {
	i := 0
	for j, l := range opts.RateLimits {
		if l.Name == name {
			i = j
			break
		}
	}
	return unknownLimit{&store.InvalidError{Package: "keys", Field: fmt.Sprintf("ratelimits[%d].name", i),
		Reason: fmt.Sprintf("%q names no rate limit of the key or its owner", name)}}
}

func checkRefill(r *Refill) error {
	if r == nil {
		return nil
	}
	switch {
	case r.Interval != RefillDaily && r.Interval != RefillMonthly:
		return invalid("refill.interval", fmt.Sprintf("%q is not daily or monthly", r.Interval))
	case r.Amount < 1 || r.Amount > MaxRefillAmount:
		return invalid("refill.amount", fmt.Sprintf("%d is outside [1, 2^62]", r.Amount))
	case r.Interval == RefillDaily && r.Day != 0:
		return invalid("refill.day", "is for a monthly refill only")
	case r.Interval == RefillMonthly && (r.Day < 0 || r.Day > 31):
		return invalid("refill.day", fmt.Sprintf("%d is outside [1, 31]", r.Day))
	}
	return nil
}

func checkRateLimits(field string, ls []NamedRateLimit) error {
	if len(ls) > MaxRateLimits {
		return invalid(field, fmt.Sprintf("%d rate limits, at most %d", len(ls), MaxRateLimits))
	}
	seen := map[string]bool{}
	for i, l := range ls {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := checkLimitName(f+".name", l.Name); err != nil {
			return err
		}
		if seen[l.Name] {
			return invalid(f+".name", fmt.Sprintf("%q is given twice", l.Name))
		}
		seen[l.Name] = true
		if l.Limit < 1 || l.Limit > MaxRateLimit {
			return invalid(f+".limit", fmt.Sprintf("%d is outside [1, 2^62]", l.Limit))
		}
		if l.Window < time.Millisecond || l.Window > MaxWindow || l.Window%time.Millisecond != 0 {
			return invalid(f+".window", "must be whole milliseconds from 1ms to 366 days")
		}
	}
	return nil
}

// checkLimitName accepts 1 to MaxRateLimitName letters, digits and . _ : -.
func checkLimitName(field, name string) error {
	ok := name != "" && len(name) <= MaxRateLimitName
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			ok = false
		}
	}
	if !ok {
		return invalid(field, fmt.Sprintf("a rate limit's name is 1 to %d letters, digits, '.', '_', ':' or '-'", MaxRateLimitName))
	}
	return nil
}

func checkLimitCosts(ls []LimitCost) error {
	if len(ls) > 2*MaxRateLimits {
		return invalid("ratelimits", fmt.Sprintf("%d rate limits, at most %d", len(ls), 2*MaxRateLimits))
	}
	seen := map[string]bool{}
	for i, l := range ls {
		f := fmt.Sprintf("ratelimits[%d]", i)
		if err := checkLimitName(f+".name", l.Name); err != nil {
			return err
		}
		if seen[l.Name] {
			return invalid(f+".name", fmt.Sprintf("%q is given twice", l.Name))
		}
		seen[l.Name] = true
		if l.Cost < 0 || l.Cost > MaxCost {
			return invalid(f+".cost", fmt.Sprintf("%d is outside [0, %d]", l.Cost, MaxCost))
		}
	}
	return nil
}

func storeLimits(ls []NamedRateLimit) []store.NamedRateLimit {
	if ls == nil {
		return nil
	}
	out := make([]store.NamedRateLimit, len(ls))
	for i, l := range ls {
		out[i] = store.NamedRateLimit{Name: l.Name, Limit: l.Limit, Window: l.Window}
	}
	return out
}

func namedLimits(ls []store.NamedRateLimit) []NamedRateLimit {
	if ls == nil {
		return nil
	}
	out := make([]NamedRateLimit, len(ls))
	for i, l := range ls {
		out[i] = NamedRateLimit{Name: l.Name, Limit: l.Limit, Window: l.Window}
	}
	return out
}

func limitStates(ls []store.NamedRateLimit, owner bool, now time.Time) []LimitState {
	var out []LimitState
	for _, l := range ls {
		out = append(out, LimitState{Name: l.Name, Owner: owner, Limit: l.Limit, Window: l.Window, Remaining: max(l.Limit-l.Used(now), 0), Reset: l.Reset(now)})
	}
	return out
}

// verifyLimits spends a verification from a key with a refill or named
// rate limits, an owner with named rate limits, or a successor, in the
// store's one transaction.
func (m *Manager) verifyLimits(ctx context.Context, k store.Key, opts VerifyOptions, now time.Time) (Result, error) {
	used, err := m.st.UseKeyLimits(ctx, k.ID, store.KeyUse{Cost: opts.Cost, Limits: opts.RateLimits}, now)
	if errors.Is(err, store.ErrNotFound) {
		return Result{Status: NotFound}, nil // deleted in between
	}
	if err != nil {
		return Result{}, fmt.Errorf("keys: verify: %w", err)
	}
	if used.Unknown != "" {
		return Result{}, unknownRateLimit(opts, used.Unknown)
	}
	s := Valid
	switch {
	case used.OK:
	case used.Refused == store.RefusedRemaining:
		s = UsageExceeded
	case used.Refused == store.RefusedRateLimit:
		s = RateLimited
	default:
		if s = static(used.Key, now); s == Valid {
			s = NotFound // a rerolled key whose successor is gone
		}
	}
	r := m.result(used.Key, s, now)
	r.RateLimits = append(r.RateLimits, limitStates(used.Owner, true, now)...)
	return r, nil
}

// SetOwnerRateLimits replaces the named rate limits shared by all keys of
// owner in namespace ("" means DefaultNamespace); a limit whose name stays
// keeps its current window. No limits removes them.
func (m *Manager) SetOwnerRateLimits(ctx context.Context, namespace, owner string, ls []NamedRateLimit) (OwnerLimits, error) {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	if err := argcheck.First(argcheck.Name("keys", "namespace", namespace, true), argcheck.Name("keys", "owner", owner, true),
		checkRateLimits("ratelimits", ls)); err != nil {
		return OwnerLimits{}, err
	}
	now := m.clock.Now().Truncate(time.Millisecond)
	o, err := m.st.SetOwnerLimits(ctx, store.OwnerLimits{Namespace: namespace, Owner: owner, RateLimits: storeLimits(ls), UpdatedAt: now})
	if err != nil {
		return OwnerLimits{}, fmt.Errorf("keys: set owner rate limits: %w", err)
	}
	return OwnerLimits{Namespace: namespace, Owner: owner, RateLimits: limitStates(o.RateLimits, true, m.clock.Now())}, nil
}

// OwnerRateLimits returns the named rate limits of owner in namespace ("":
// DefaultNamespace), with their current windows.
func (m *Manager) OwnerRateLimits(ctx context.Context, namespace, owner string) (OwnerLimits, error) {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	if err := argcheck.First(argcheck.Name("keys", "namespace", namespace, true), argcheck.Name("keys", "owner", owner, true)); err != nil {
		return OwnerLimits{}, err
	}
	o, err := m.st.OwnerLimits(ctx, namespace, owner)
	if err != nil {
		return OwnerLimits{}, fmt.Errorf("keys: owner rate limits: %w", err)
	}
	return OwnerLimits{Namespace: namespace, Owner: owner, RateLimits: limitStates(o.RateLimits, true, m.clock.Now())}, nil
}
