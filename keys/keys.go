// Package keys issues and verifies API keys in the format of package apikey:
// create, verify, list, update, revoke and reroll, with owners, namespaces,
// metadata, expiry, a use count, a rate limit, and permissions of their own
// and of named roles, like Unkey.
//
// A key's body holds 256 random bits, so the store keeps its plain SHA-256
// and a redacted start for display. [Manager.Verify] rejects a malformed key
// (bad prefix, length or checksum) without touching the database; a plain
// key (no use count, no rate limit) is then one indexed read, and a key with
// limits adds one atomic UPDATE … WHERE … RETURNING, so a burst of verifications
// in any number of processes never spends more uses or more of the rate
// limit than the key has. A verification may ask a permission query
// (package [github.com/unguessable/secrets/keys/permquery]); that adds a read
// of the key's roles, if it has any, and a key that lacks the permissions
// is InsufficientPermissions without spending anything. Outcomes are a
// [Status]; errors mean the system failed, never that a key was wrong.
//
// The key format itself (prefix, base62 body, checksum) is package
// [github.com/unguessable/secrets/apikey], which stores nothing.
package keys

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/unguessable/secrets/apikey"
	"github.com/unguessable/secrets/internal/argcheck"
	"github.com/unguessable/secrets/store"
)

// Limits and defaults.
const (
	DefaultNamespace = "default"
	DefaultPrefix    = "sk_"
	MaxMetaBytes     = 10 << 10
	MaxNameBytes     = store.MaxNameBytes // namespace, owner, name
	DefaultListLimit = 100
	MaxListLimit     = 1000
	MaxCost          = 1 << 30
	// MaxRateLimit is the largest rate limit per window: the uses counted
	// in a window plus the cost of one more must fit in an int64.
	MaxRateLimit = 1 << 62
	MaxLifetime  = 100 * 365 * 24 * time.Hour
	MaxWindow    = 366 * 24 * time.Hour
)

// Status is the outcome of verifying a key.
type Status int

// Statuses.
const (
	Valid         Status = iota + 1 // the key is good; its cost was spent
	Malformed                       // bad prefix, length, characters or checksum: no lookup was made
	NotFound                        // no such key (in this namespace)
	Expired                         // past its expiry
	Revoked                         // revoked
	Disabled                        // disabled by an update
	UsageExceeded                   // fewer remaining uses than the cost
	RateLimited                     // the cost does not fit in the current window
	// InsufficientPermissions: the key's permissions do not satisfy the
	// verification's permission query; no cost was spent.
	InsufficientPermissions
)

var statusNames = [...]string{Valid: "VALID", Malformed: "MALFORMED", NotFound: "NOT_FOUND", Expired: "EXPIRED",
	Revoked: "REVOKED", Disabled: "DISABLED", UsageExceeded: "USAGE_EXCEEDED", RateLimited: "RATE_LIMITED",
	InsufficientPermissions: "INSUFFICIENT_PERMISSIONS"}

// String returns the status in upper case: VALID, MALFORMED, NOT_FOUND,
// EXPIRED, REVOKED, DISABLED, USAGE_EXCEEDED, RATE_LIMITED or
// INSUFFICIENT_PERMISSIONS.
func (s Status) String() string {
	if s > 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// MarshalText encodes the status as its String.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Errors.
var (
	// ErrInvalid is returned when an argument is out of range; the error is
	// a [*store.InvalidError] naming the field.
	ErrInvalid = store.ErrInvalid
	// ErrNotFound is returned by Get, Update, Revoke and Reroll for an id
	// that names no key.
	ErrNotFound = errors.New("keys: no key with this id")
	// ErrRevoked is returned by Reroll and Update for a revoked key.
	ErrRevoked = errors.New("keys: the key is revoked")
	// ErrRerolled is returned by Reroll for a key that was rerolled
	// already, and by Update of the remaining uses, refill or named rate
	// limits of one (whose uses are spent from the key that replaced it):
	// reroll or update the key that replaced it.
	ErrRerolled = errors.New("keys: the key was rerolled already")
	// ErrExpired is returned by Reroll for a key past its expiry.
	ErrExpired = errors.New("keys: the key has expired")
)

// invalid is the [*store.InvalidError] of a bad argument.
func invalid(field, reason string) error {
	return &store.InvalidError{Package: "keys", Field: field, Reason: reason}
}

// Options configure a Manager.
type Options struct {
	Clock store.Clock // default store.SystemClock
}

// Manager creates and verifies keys on a store. It is safe for concurrent use.
type Manager struct {
	st    store.Store
	clock store.Clock
}

// New returns a Manager on st.
func New(st store.Store, opts Options) *Manager {
	if st == nil {
		panic("keys: New with a nil store")
	}
	if opts.Clock == nil {
		opts.Clock = store.SystemClock{}
	}
	return &Manager{st: st, clock: opts.Clock}
}

// CreateOptions describe a new key. Every field may be left zero: an empty
// Prefix or Namespace takes DefaultPrefix or DefaultNamespace, and any other
// field left zero means none (no owner, name, metadata or rate limit), never
// (no expiry) or unlimited (no limit on uses).
type CreateOptions struct {
	Prefix    string           // see apikey.CheckPrefix; default DefaultPrefix
	Namespace string           // default DefaultNamespace
	Owner     string           // who the key belongs to, for listing
	Name      string           // a label for people
	Meta      json.RawMessage  // a JSON object of at most MaxMetaBytes, returned on verify
	ExpiresAt time.Time        // zero: never
	Remaining *int64           // uses allowed; nil: unlimited
	RateLimit *store.RateLimit // nil: none
	// Refill resets Remaining to its amount daily or monthly; a key with a
	// refill and no Remaining starts with the amount.
	Refill *Refill
	// RateLimits are the key's named rate limits (at most MaxRateLimits).
	RateLimits []NamedRateLimit
	// Roles name roles of the key's namespace (see PutRole), at most
	// MaxRoles; Permissions are the key's own, at most MaxPermissions.
	Roles       []string
	Permissions []string
}

// Info describes a key without its secret.
type Info struct {
	ID         string
	Prefix     string
	Start      string // the redacted key, such as sk_live_…a1b2
	Namespace  string
	Owner      string
	Name       string
	Meta       json.RawMessage
	Enabled    bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	RevokedAt  time.Time // zero unless revoked
	Remaining  *int64    // nil: unlimited
	RateLimit  *store.RateLimit
	Refill     *Refill
	RefilledAt time.Time // the last refill time applied, or when the refill was set
	RateLimits []NamedRateLimit
	// Roles and Permissions are the key's roles and its own permissions,
	// sorted; nil: none.
	Roles       []string
	Permissions []string
	// LastUsedAt is when the key was last verified, as the service's
	// analytics last wrote it (up to a minute late); zero: never.
	LastUsedAt time.Time
}

// Created is a new key. Key is the plaintext, stored nowhere: hand it over
// and forget it. It has apikey.Bits bits of entropy.
type Created struct {
	Key string
	Info
}

// RateLimitState is a key's rate-limit window as of a verification.
type RateLimitState struct {
	Limit     int64
	Remaining int64     // uses left in the window
	Reset     time.Time // when the window ends (with no window running: now + the window)
}

// Result is the outcome of Verify. For any key that was found, the fields
// describe it whatever the status.
type Result struct {
	Status    Status
	ID        string
	Namespace string
	Owner     string
	Name      string
	Meta      json.RawMessage
	ExpiresAt time.Time
	Remaining *int64          // after this verification; nil: unlimited
	RateLimit *RateLimitState // nil: no rate limit
	// RateLimits are the key's named rate limits, then its owner's (for
	// a key whose verification read them: one that passed the checks of
	// its state).
	RateLimits []LimitState
	Refill     *RefillState // nil: no refill
	// Permissions are, when the verification asked permissions, the key's
	// effective permissions: its own and its roles', sorted, each once
	// (empty, not nil, for none). nil when it asked none: reading a key's
	// roles costs a read that a verification asking no permissions does
	// not make.
	Permissions []string
}

// Valid reports whether Status is Valid.
func (r Result) Valid() bool { return r.Status == Valid }

func checkExpiry(t, now time.Time) error {
	if !t.IsZero() && (!t.After(now) || t.Sub(now) > MaxLifetime) {
		return invalid("expires_at", "must be in the future, within 100 years")
	}
	return nil
}

func checkRemaining(r *int64) error {
	if r != nil && *r < 0 {
		return invalid("remaining", fmt.Sprintf("%d is negative", *r))
	}
	return nil
}

// Create makes a key and stores its hash. The plaintext is in the result
// only.
func (m *Manager) Create(ctx context.Context, opts CreateOptions) (Created, error) {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	now := m.clock.Now().Truncate(time.Millisecond)
	err := argcheck.First(
		prefixError(opts.Prefix),
		argcheck.Name("keys", "namespace", opts.Namespace, true),
		argcheck.Name("keys", "owner", opts.Owner, false),
		argcheck.Name("keys", "name", opts.Name, false),
		argcheck.Meta("keys", opts.Meta, MaxMetaBytes),
		checkExpiry(opts.ExpiresAt, now),
		checkRemaining(opts.Remaining),
		checkRefill(opts.Refill),
		checkRateLimits("ratelimits", opts.RateLimits),
	)
	if err != nil {
		return Created{}, err
	}
	if rl := opts.RateLimit; rl != nil && (rl.Limit < 1 || rl.Limit > MaxRateLimit || rl.Window < time.Millisecond || rl.Window > MaxWindow || rl.Window%time.Millisecond != 0) {
		return Created{}, invalid("ratelimit", "needs a limit from 1 to 2^62 and a window of whole milliseconds from 1ms to 366 days")
	}
	roles, perms, err := m.checkRoles(ctx, opts.Namespace, opts.Roles, opts.Permissions)
	if err != nil {
		return Created{}, err
	}
	plain, k := m.newKey(opts.Prefix, now)
	k.Roles, k.Permissions = roles, perms
	k.Namespace, k.Owner, k.Name, k.Meta, k.Enabled = opts.Namespace, opts.Owner, opts.Name, opts.Meta, true
	k.ExpiresAt = opts.ExpiresAt.Truncate(time.Millisecond)
	if opts.Remaining != nil {
		r := *opts.Remaining
		k.Remaining = &r
	}
	if opts.RateLimit != nil {
		rl := *opts.RateLimit
		k.RateLimit = &rl
	}
	if opts.Refill != nil {
		r := *opts.Refill
		if r.Interval == RefillMonthly && r.Day == 0 {
			r.Day = 1
		}
		k.Refill, k.RefilledAt = &r, now
		if k.Remaining == nil {
			a := r.Amount
			k.Remaining = &a
		}
	}
	k.RateLimits = storeLimits(opts.RateLimits)
	if err := m.st.InsertKey(ctx, k); err != nil {
		return Created{}, fmt.Errorf("keys: create: %w", err)
	}
	return Created{Key: plain, Info: info(k)}, nil
}

func prefixError(prefix string) error {
	if err := apikey.CheckPrefix(prefix); err != nil {
		return invalid("prefix", "must be letters, digits and '_', ending in '_', at most 32 characters")
	}
	return nil
}

func (m *Manager) newKey(prefix string, now time.Time) (string, store.Key) {
	plain := apikey.New(prefix)
	sum := sha256.Sum256([]byte(plain))
	return plain, store.Key{
		ID:        store.NewID("key", now),
		Hash:      sum[:],
		Prefix:    prefix,
		Start:     apikey.Redact(plain),
		CreatedAt: now,
		UpdatedAt: now,
	}
}

// Verify checks key in namespace ("" means DefaultNamespace) and spends cost
// (0 checks without spending) from its remaining uses and rate limit. A key
// of another namespace is NotFound. It is VerifyWith with only those
// options.
func (m *Manager) Verify(ctx context.Context, key, namespace string, cost int64) (Result, error) {
	return m.VerifyWith(ctx, key, VerifyOptions{Namespace: namespace, Cost: cost})
}

// VerifyOptions are what a verification asks beyond the key.
type VerifyOptions struct {
	// Namespace is the key's namespace; "" means DefaultNamespace. A key of
	// another namespace is NotFound.
	Namespace string
	// Cost is spent from the key's remaining uses and rate limit; 0 checks
	// without spending.
	Cost int64
	// RateLimits names the named rate limits to spend from, each at its
	// own cost, from the key's and its owner's limits of that name; the
	// limits it does not name are neither checked nor spent. Nil spends
	// Cost from every named limit of the key and its owner. A name that
	// neither has is an error (ErrUnknownRateLimit): nothing is spent.
	RateLimits []LimitCost
	// Permissions is a permission query (package permquery), such as
	// "docs.read AND (docs.write OR admin)", that the key's effective
	// permissions must satisfy; "" asks none. A malformed query is an
	// ErrInvalid naming the field "permissions" and the position. A key
	// that does not satisfy it is InsufficientPermissions, and spends no
	// cost: the permissions are checked after the key's own state
	// (revoked, expired, disabled) and before its uses and rate limit.
	Permissions string
}

// VerifyWith checks key as opts ask. A verification that asks no
// permissions reads nothing more than before there were permissions; one
// that asks them reads the key's roles too, if it has any (one indexed
// read).
func (m *Manager) VerifyWith(ctx context.Context, key string, opts VerifyOptions) (Result, error) {
	if opts.Permissions == "" {
		return m.verify(ctx, key, opts, nil)
	}
	query, err := parseQuery(opts.Permissions)
	if err != nil {
		return Result{}, err
	}
	var perms []string
	r, err := m.verify(ctx, key, opts, func(k store.Key, now time.Time) (bool, error) {
		var err error
		if perms, err = m.effective(ctx, k); err != nil {
			return false, err
		}
		return static(k, now) != Valid || allows(query, perms), nil
	})
	if err == nil && r.ID != "" {
		r.Permissions = perms
	}
	return r, err
}

// verify is VerifyWith, with allowed, if not nil, the permission check of
// a key that was found: false makes it InsufficientPermissions, before any
// cost is spent.
func (m *Manager) verify(ctx context.Context, key string, opts VerifyOptions, allowed func(store.Key, time.Time) (bool, error)) (Result, error) {
	namespace, cost := opts.Namespace, opts.Cost
	if cost < 0 || cost > MaxCost {
		return Result{}, invalid("cost", fmt.Sprintf("%d is outside [0, %d]", cost, MaxCost))
	}
	if err := checkLimitCosts(opts.RateLimits); err != nil {
		return Result{}, err
	}
	if namespace == "" {
		namespace = DefaultNamespace
	}
	if argcheck.Name("keys", "namespace", namespace, true) != nil {
		return Result{Status: NotFound}, nil
	}
	if _, err := apikey.Parse(key); err != nil {
		return Result{Status: Malformed}, nil
	}
	sum := sha256.Sum256([]byte(key))
	k, err := m.st.KeyByHash(ctx, sum[:])
	if errors.Is(err, store.ErrNotFound) {
		return Result{Status: NotFound}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("keys: verify: %w", err)
	}
	if subtle.ConstantTimeCompare(k.Hash, sum[:]) != 1 || k.Namespace != namespace {
		return Result{Status: NotFound}, nil
	}
	now := m.clock.Now()
	if allowed != nil {
		ok, err := allowed(k, now)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			return m.result(k, InsufficientPermissions, now), nil
		}
	}
	if s := static(k, now); s != Valid {
		return m.result(k, s, now), nil
	}
	if k.NamedLimited() {
		return m.verifyLimits(ctx, k, opts, now)
	}
	if len(opts.RateLimits) > 0 {
		return Result{}, unknownRateLimit(opts, opts.RateLimits[0].Name)
	}
	if !k.Limited() {
		return m.result(k, Valid, now), nil
	}
	// A refusal is explained by the key as read after it, unless an update
	// raised its counters in between (the read shows a key that would
	// pass): then the refusal is stale, and the use is tried again, so that
	// an answer never pairs a refusal with counters that allow the use.
	for range 3 {
		k, ok, err := m.st.UseKey(ctx, k.ID, cost, now)
		if errors.Is(err, store.ErrNotFound) {
			return Result{Status: NotFound}, nil // deleted in between
		}
		if err != nil {
			return Result{}, fmt.Errorf("keys: verify: %w", err)
		}
		if ok {
			return m.result(k, Valid, now), nil
		}
		if s := static(k, now); s != Valid {
			return m.result(k, s, now), nil
		}
		if k.Remaining != nil && *k.Remaining < cost {
			return m.result(k, UsageExceeded, now), nil
		}
		if rateFull(k, cost, now) {
			return m.result(k, RateLimited, now), nil
		}
	}
	return Result{}, errors.New("keys: verify: the key's counters kept changing")
}

// rateFull reports whether cost does not fit in k's rate-limit window at
// now, as the store's UseKey decides it.
func rateFull(k store.Key, cost int64, now time.Time) bool {
	rl := k.RateLimit
	if rl == nil {
		return false
	}
	used := int64(0)
	if !k.RateStart.IsZero() && now.UnixMilli() < k.RateStart.UnixMilli()+rl.Window.Milliseconds() {
		used = k.RateCount
	}
	return used+cost > rl.Limit
}

// static is the status a key has before its limits are counted.
func static(k store.Key, now time.Time) Status {
	switch {
	case !k.RevokedAt.IsZero():
		return Revoked
	case !k.ExpiresAt.IsZero() && now.UnixMilli() >= k.ExpiresAt.UnixMilli():
		return Expired
	case !k.Enabled:
		return Disabled
	}
	return Valid
}

func (m *Manager) result(k store.Key, s Status, now time.Time) Result {
	r := Result{Status: s, ID: k.ID, Namespace: k.Namespace, Owner: k.Owner, Name: k.Name,
		Meta: json.RawMessage(k.Meta), ExpiresAt: k.ExpiresAt, Remaining: k.Remaining}
	if rl := k.RateLimit; rl != nil {
		// The stored window counts while it lasts (for a clock behind
		// it too); after it, a window would start with the next use.
		start, used := now.UnixMilli(), int64(0)
		if rs := k.RateStart.UnixMilli(); !k.RateStart.IsZero() && now.UnixMilli() < rs+rl.Window.Milliseconds() {
			start, used = rs, k.RateCount
		}
		r.RateLimit = &RateLimitState{Limit: rl.Limit, Remaining: max(rl.Limit-used, 0), Reset: time.UnixMilli(start + rl.Window.Milliseconds()).UTC()}
	}
	r.RateLimits = limitStates(k.RateLimits, false, now)
	if rf := k.Refill; rf != nil {
		r.Refill = &RefillState{Refill: *rf, Next: rf.Next(now)}
	}
	return r
}

func info(k store.Key) Info {
	return Info{ID: k.ID, Prefix: k.Prefix, Start: k.Start, Namespace: k.Namespace, Owner: k.Owner, Name: k.Name,
		Meta: json.RawMessage(k.Meta), Enabled: k.Enabled, CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt,
		ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt, Remaining: k.Remaining, RateLimit: k.RateLimit,
		Refill: k.Refill, RefilledAt: k.RefilledAt, RateLimits: namedLimits(k.RateLimits), LastUsedAt: k.LastUsedAt,
		Roles: k.Roles, Permissions: k.Permissions}
}

func (m *Manager) wrap(op string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, store.ErrRevoked):
		return ErrRevoked
	case errors.Is(err, store.ErrRerolled):
		return ErrRerolled
	case errors.Is(err, store.ErrExpired):
		return ErrExpired
	}
	return fmt.Errorf("keys: %s: %w", op, err)
}

// Get returns the key with this id, or ErrNotFound.
func (m *Manager) Get(ctx context.Context, id string) (Info, error) {
	k, err := m.st.KeyByID(ctx, id)
	if err != nil {
		return Info{}, m.wrap("get", err)
	}
	return info(k), nil
}

// ListOptions select a page of keys.
type ListOptions struct {
	Owner     string // "" matches every owner
	Namespace string // "" matches every namespace
	// Status is "active", "expired", "revoked" or "disabled" (see
	// store.KeyStatus), or "" for any.
	Status     string
	NamePrefix string // "" matches every name; case-sensitive
	Limit      int    // default DefaultListLimit, at most MaxListLimit
	// Cursor is from the previous Page of the same filter; "" for the
	// first page. Another string, or a cursor of another filter, is an
	// ErrInvalid naming "cursor".
	Cursor string
}

// Page is one page of keys in creation order.
type Page struct {
	Keys   []Info
	Cursor string // pass to the next List; "" when this is the last page
}

// List returns keys by owner, namespace, status and name prefix, a page at
// a time.
func (m *Manager) List(ctx context.Context, opts ListOptions) (Page, error) {
	if opts.Limit == 0 {
		opts.Limit = DefaultListLimit
	}
	if opts.Limit < 1 || opts.Limit > MaxListLimit {
		return Page{}, invalid("limit", fmt.Sprintf("%d is outside [1, %d]", opts.Limit, MaxListLimit))
	}
	if err := argcheck.First(argcheck.Name("keys", "owner", opts.Owner, false), argcheck.Name("keys", "namespace", opts.Namespace, false),
		argcheck.Name("keys", "name_prefix", opts.NamePrefix, false), checkStatus(opts.Status)); err != nil {
		return Page{}, err
	}
	after, err := opts.decodeCursor()
	if err != nil {
		return Page{}, err
	}
	ks, err := m.st.ListKeys(ctx, store.KeyFilter{Owner: opts.Owner, Namespace: opts.Namespace, Status: store.KeyStatus(opts.Status),
		NamePrefix: opts.NamePrefix, Now: m.clock.Now(), After: after, Limit: opts.Limit + 1})
	if err != nil {
		return Page{}, m.wrap("list", err)
	}
	var p Page
	if len(ks) > opts.Limit {
		ks = ks[:opts.Limit]
		p.Cursor = opts.encodeCursor(ks[len(ks)-1].ID)
	}
	p.Keys = make([]Info, len(ks))
	for i, k := range ks {
		p.Keys[i] = info(k)
	}
	return p, nil
}

// Update is a change to a key; fields left unset are kept.
type Update struct {
	Enabled      *bool
	Meta         json.RawMessage // nil: unchanged; {} clears
	SetRemaining bool
	Remaining    *int64 // with SetRemaining: nil makes uses unlimited
	SetExpiry    bool
	ExpiresAt    time.Time // with SetExpiry: zero means never
	// SetRefill replaces the refill (nil removes it). A key that had one
	// keeps its last refill time, so a refill due is still applied; a key
	// with unlimited uses gets the amount. Making uses unlimited removes
	// the refill.
	SetRefill bool
	Refill    *Refill
	// SetRateLimits replaces the named rate limits; a limit whose name
	// stays keeps its current window.
	SetRateLimits bool
	RateLimits    []NamedRateLimit
	Name          *string   // nil: unchanged
	Owner         *string   // nil: unchanged
	Roles         *[]string // nil: unchanged; an empty list removes every role
	Permissions   *[]string // nil: unchanged; an empty list removes every permission
}

// Update changes a key's enabled flag, metadata, remaining uses, expiry,
// name, owner, roles or permissions. A change of the remaining uses,
// refill or named rate limits of a rerolled key returns ErrRerolled.
// A revoked key stays as it was revoked: Update returns ErrRevoked.
func (m *Manager) Update(ctx context.Context, id string, u Update) (Info, error) {
	now := m.clock.Now().Truncate(time.Millisecond)
	if err := argcheck.First(argcheck.Meta("keys", u.Meta, MaxMetaBytes), checkRemaining(u.Remaining), checkRefill(u.Refill),
		checkRateLimits("ratelimits", u.RateLimits)); err != nil {
		return Info{}, err
	}
	if u.SetRefill && u.Refill != nil && u.SetRemaining && u.Remaining == nil {
		return Info{}, invalid("remaining", "a key with a refill has a number of remaining uses, not unlimited ones")
	}
	var refill *Refill
	if u.SetRefill && u.Refill != nil {
		r := *u.Refill
		if r.Interval == RefillMonthly && r.Day == 0 {
			r.Day = 1
		}
		refill = &r
	}
	if u.SetExpiry {
		if err := checkExpiry(u.ExpiresAt, now); err != nil {
			return Info{}, err
		}
	}
	su := store.KeyUpdate{Enabled: u.Enabled, Meta: u.Meta, SetRemaining: u.SetRemaining,
		Remaining: u.Remaining, SetExpiry: u.SetExpiry, ExpiresAt: u.ExpiresAt.Truncate(time.Millisecond),
		SetRefill: u.SetRefill, Refill: refill, SetRateLimits: u.SetRateLimits, RateLimits: storeLimits(u.RateLimits)}
	if err := m.updateAccess(ctx, id, u, &su); err != nil {
		return Info{}, err
	}
	k, err := m.st.UpdateKey(ctx, id, su, now)
	if err != nil {
		return Info{}, m.wrap("update", err)
	}
	return info(k), nil
}

// Revoke revokes a key for good; revoking twice is not an error.
func (m *Manager) Revoke(ctx context.Context, id string) (Info, error) {
	k, err := m.st.RevokeKey(ctx, id, m.clock.Now().Truncate(time.Millisecond))
	if err != nil {
		return Info{}, m.wrap("revoke", err)
	}
	return info(k), nil
}

// Reroll replaces key id with a new key of the same prefix that carries over
// its namespace, owner, name, metadata, enabled flag, expiry, remaining uses
// and rate limit. The old key keeps working for overlap (0: it stops now),
// then expires; if it was to expire sooner, it still does. During the
// overlap both keys spend from one count of remaining uses and one rate
// limit, the new key's, so a reroll never adds uses. A key is rerolled once:
// Reroll returns ErrRerolled for a key that was rerolled already (of
// concurrent rerolls of one key, one succeeds), and ErrRevoked or
// ErrExpired for a key that is revoked or past its expiry.
func (m *Manager) Reroll(ctx context.Context, id string, overlap time.Duration) (Created, error) {
	if overlap < 0 || overlap > MaxLifetime {
		return Created{}, invalid("overlap", fmt.Sprintf("%v is negative or too long", overlap))
	}
	old, err := m.st.KeyByID(ctx, id)
	if err != nil {
		return Created{}, m.wrap("reroll", err)
	}
	now := m.clock.Now().Truncate(time.Millisecond)
	plain, nk := m.newKey(old.Prefix, now)
	nk, err = m.st.RerollKey(ctx, id, nk, now.Add(overlap))
	if err != nil {
		return Created{}, m.wrap("reroll", err)
	}
	return Created{Key: plain, Info: info(nk)}, nil
}
