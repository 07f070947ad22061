// Package access holds the keys of the service itself: each caller of
// `secrets serve` holds an access key whose scopes name the calls it may
// make and whose namespaces name the API keys it may touch, so that an app
// that only verifies keys cannot mint login codes or reroll customer keys.
//
// An access key has the format of package apikey with the prefix "sak_"
// (a checksum rejects a mistyped key without a database read) and 256
// random bits; the store keeps its SHA-256. [Manager.Authenticate] reads it
// on every call; a revocation holds at once on the instance that made it
// and within [Options.CacheTTL] (1 second by default) on every other.
package access

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/unguessable/secrets/apikey"
	"github.com/unguessable/secrets/internal/argcheck"
	"github.com/unguessable/secrets/store"
)

// Prefix begins every access key.
const Prefix = "sak_"

// The scopes. Each names one kind of call; AllScopes lists them.
const (
	KeysCreate   = "keys:create"
	KeysRead     = "keys:read"
	KeysUpdate   = "keys:update"
	KeysRevoke   = "keys:revoke"
	KeysVerify   = "keys:verify"
	TokensIssue  = "tokens:issue"
	TokensVerify = "tokens:verify" // verify and redeem
	TokensRevoke = "tokens:revoke"
	CodesIssue   = "codes:issue"
	CodesVerify  = "codes:verify"
	AuditRead    = "audit:read"
	MetricsRead  = "metrics:read"
	AccessManage = "access:manage"
	// DeliveriesRead reads the status of deliveries (GET /v1/deliveries/{id}).
	DeliveriesRead = "deliveries:read"
	// AnalyticsRead reads the usage analytics (GET /v1/analytics/…).
	AnalyticsRead = "analytics:read"
)

// AllScopes is every scope, as a root key holds them.
var AllScopes = []string{KeysCreate, KeysRead, KeysUpdate, KeysRevoke, KeysVerify, TokensIssue, TokensVerify,
	TokensRevoke, CodesIssue, CodesVerify, AuditRead, MetricsRead, AccessManage, DeliveriesRead, AnalyticsRead}

// AllNamespaces, as a key's only namespace, lets it touch API keys of every
// namespace.
const AllNamespaces = "*"

// Limits of a key's description.
const (
	MaxNamespaces = 100
	DefaultTTL    = time.Second
)

// Errors.
var (
	// ErrInvalid is returned when an argument is out of range, as a
	// [*store.InvalidError] naming the field.
	ErrInvalid = store.ErrInvalid
	// ErrNotFound is returned by Get and Revoke for an id that names no
	// access key.
	ErrNotFound = errors.New("access: no access key with this id")
	// ErrUnauthenticated is returned by Authenticate for a key that is
	// malformed, unknown or revoked; it never says which.
	ErrUnauthenticated = errors.New("access: not a valid access key")
)

// Key is an access key as the service sees it: never the plaintext.
type Key struct {
	ID         string
	Start      string // the redacted key
	Name       string
	Scopes     []string
	Namespaces []string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used; updated at most once a minute
	RevokedAt  time.Time
}

// Allows reports whether k holds scope.
func (k Key) Allows(scope string) bool { return slices.Contains(k.Scopes, scope) }

// SeesNamespace reports whether k may touch API keys of namespace ns.
func (k Key) SeesNamespace(ns string) bool {
	return slices.Contains(k.Namespaces, AllNamespaces) || slices.Contains(k.Namespaces, ns)
}

// Covers reports whether k holds every scope of scopes and sees every
// namespace of namespaces ("*" only if k sees them all), so that a key it
// makes can do nothing k cannot. If not, it returns the first scope or
// namespace that k lacks, and whether that is a namespace.
func (k Key) Covers(scopes, namespaces []string) (lacking string, namespace, ok bool) {
	for _, s := range scopes {
		// A scope that is none is left to Create, which refuses it as such.
		if slices.Contains(AllScopes, s) && !k.Allows(s) {
			return s, false, false
		}
	}
	for _, ns := range namespaces {
		if ns == AllNamespaces && !slices.Contains(k.Namespaces, AllNamespaces) || !k.SeesNamespace(ns) {
			return ns, true, false
		}
	}
	return "", false, true
}

// Root is the key of SECRETS_ADMIN_KEY and of the first start: every scope,
// every namespace. It is not stored.
func Root(name string) Key {
	return Key{ID: "root", Name: name, Scopes: slices.Clone(AllScopes), Namespaces: []string{AllNamespaces}}
}

// Created is a new access key; Key is its plaintext, shown once.
type Created struct {
	Key
	Plaintext string
}

// Options configure a Manager.
type Options struct {
	Clock store.Clock // default store.SystemClock
	// CacheTTL is how long Authenticate trusts what it read of a key;
	// default DefaultTTL. A negative value caches nothing. On the system
	// clock, Revoke waits this long before it returns, so that no instance
	// still trusts the key by then.
	CacheTTL time.Duration
}

// Manager creates, lists, revokes and authenticates access keys. It is safe
// for concurrent use.
type Manager struct {
	st    store.Store
	clock store.Clock
	ttl   time.Duration

	mu      sync.RWMutex
	cache   map[[32]byte]*cached
	revokes uint64   // revocations made here: a read begun before one is not cached
	touched sync.Map // key id → *atomic.Int64: when last_used_at was last written, Unix ms
}

type cached struct {
	k      store.AccessKey
	found  bool
	readAt time.Time
}

// New returns a Manager on st.
func New(st store.Store, opts Options) *Manager {
	if st == nil {
		panic("access: New with a nil store")
	}
	if opts.Clock == nil {
		opts.Clock = store.SystemClock{}
	}
	if opts.CacheTTL == 0 {
		opts.CacheTTL = DefaultTTL
	}
	return &Manager{st: st, clock: opts.Clock, ttl: opts.CacheTTL, cache: map[[32]byte]*cached{}}
}

func invalid(field, reason string) error {
	return &store.InvalidError{Package: "access", Field: field, Reason: reason}
}

// CheckScopes returns an error for an empty list or one that names a scope
// that does not exist.
func CheckScopes(scopes []string) error {
	if len(scopes) == 0 {
		return invalid("scopes", "must name at least one scope")
	}
	for _, s := range scopes {
		if !slices.Contains(AllScopes, s) {
			return invalid("scopes", fmt.Sprintf("%q is not a scope (the scopes are %s)", truncate(s), strings.Join(AllScopes, ", ")))
		}
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// CheckNamespaces returns an error for an empty list, too many namespaces,
// or one that is not a name.
func CheckNamespaces(namespaces []string) error {
	if len(namespaces) == 0 || len(namespaces) > MaxNamespaces {
		return invalid("namespaces", fmt.Sprintf("must name 1 to %d namespaces, or \"*\" for all", MaxNamespaces))
	}
	for _, ns := range namespaces {
		if err := argcheck.Name("access", "namespaces", ns, true); err != nil {
			return err
		}
	}
	return nil
}

// Create makes an access key named name with these scopes and namespaces
// and stores its hash. The plaintext is in the result and nowhere else.
func (m *Manager) Create(ctx context.Context, name string, scopes, namespaces []string) (Created, error) {
	if err := argcheck.First(argcheck.Name("access", "name", name, true), CheckScopes(scopes), CheckNamespaces(namespaces)); err != nil {
		return Created{}, err
	}
	now := m.clock.Now().Truncate(time.Millisecond)
	plain := apikey.New(Prefix)
	sum := sha256.Sum256([]byte(plain))
	k := store.AccessKey{ID: store.NewID("ak", now), Hash: sum[:], Start: apikey.Redact(plain), Name: name,
		Scopes: dedupe(scopes), Namespaces: dedupe(namespaces), CreatedAt: now}
	if err := m.st.InsertAccessKey(ctx, k); err != nil {
		return Created{}, fmt.Errorf("access: create: %w", err)
	}
	return Created{Key: fromStore(k), Plaintext: plain}, nil
}

func dedupe(v []string) []string {
	out := slices.Clone(v)
	slices.Sort(out)
	return slices.Compact(out)
}

func fromStore(k store.AccessKey) Key {
	return Key{ID: k.ID, Start: k.Start, Name: k.Name, Scopes: k.Scopes, Namespaces: k.Namespaces,
		CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// Get returns the access key with this id, or ErrNotFound.
func (m *Manager) Get(ctx context.Context, id string) (Key, error) {
	k, err := m.st.AccessKeyByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Key{}, ErrNotFound
	}
	if err != nil {
		return Key{}, fmt.Errorf("access: get: %w", err)
	}
	return fromStore(k), nil
}

// List returns up to limit access keys after the id after, in creation
// order.
func (m *Manager) List(ctx context.Context, after string, limit int) ([]Key, error) {
	if limit < 1 || limit > 1000 {
		return nil, invalid("limit", fmt.Sprintf("%d is outside [1, 1000]", limit))
	}
	ks, err := m.st.ListAccessKeys(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("access: list: %w", err)
	}
	out := make([]Key, len(ks))
	for i, k := range ks {
		out[i] = fromStore(k)
	}
	return out, nil
}

// Revoke revokes the access key with this id. It holds at once for this
// Manager; on the system clock Revoke returns only after the cache's
// lifetime has passed since the revocation was written, so that from then
// on no instance on the same database authenticates the key either: every
// instance's cached copy was read before the write, and has expired. If
// ctx ends during that wait, the key is revoked and Revoke returns the
// key with ctx's error.
func (m *Manager) Revoke(ctx context.Context, id string) (Key, error) {
	k, err := m.st.RevokeAccessKey(ctx, id, m.clock.Now())
	if errors.Is(err, store.ErrNotFound) {
		return Key{}, ErrNotFound
	}
	if err != nil {
		return Key{}, fmt.Errorf("access: revoke: %w", err)
	}
	written := time.Now()
	m.mu.Lock()
	m.revokes++
	clear(m.cache)
	m.mu.Unlock()
	// A test's clock moves when the test says; only real time can be
	// waited out.
	if _, real := m.clock.(store.SystemClock); real && m.ttl > 0 {
		t := time.NewTimer(m.ttl - time.Since(written))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return fromStore(k), fmt.Errorf("access: revoked, but other instances may trust the key for up to %v more: %w", m.ttl, ctx.Err())
		}
	}
	return fromStore(k), nil
}

// touchEvery is how often a key's last_used_at is written at most.
const touchEvery = time.Minute

// Authenticate returns the live access key whose plaintext is presented,
// or ErrUnauthenticated. A malformed key costs no database read.
func (m *Manager) Authenticate(ctx context.Context, presented string) (Key, error) {
	return m.AuthenticateDigest(ctx, presented, sha256.Sum256([]byte(presented)))
}

// AuthenticateDigest is Authenticate for a caller that has already computed
// sum, the SHA-256 of presented.
func (m *Manager) AuthenticateDigest(ctx context.Context, presented string, sum [32]byte) (Key, error) {
	if !strings.HasPrefix(presented, Prefix) {
		return Key{}, ErrUnauthenticated
	}
	now := m.clock.Now()
	m.mu.RLock()
	c, ok := m.cache[sum]
	revokes := m.revokes
	m.mu.RUnlock()
	if !ok || m.ttl < 0 || now.Sub(c.readAt) >= m.ttl || now.Before(c.readAt) {
		// Only a key of the right format is worth a read.
		if _, err := apikey.Parse(presented); err != nil {
			return Key{}, ErrUnauthenticated
		}
		k, err := m.st.AccessKeyByHash(ctx, sum[:])
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return Key{}, fmt.Errorf("access: authenticate: %w", err)
		}
		c = &cached{k: k, found: err == nil, readAt: now}
		// A revocation here since the read began cleared the cache before
		// this answer came: cached, the answer would bring the revoked key
		// back on this instance for a TTL.
		if m.ttl > 0 {
			m.mu.Lock()
			if m.revokes == revokes {
				if len(m.cache) >= 10000 {
					clear(m.cache) // a flood of made-up keys cannot grow it
				}
				m.cache[sum] = c
			}
			m.mu.Unlock()
		}
	}
	if !c.found || !c.k.RevokedAt.IsZero() {
		return Key{}, ErrUnauthenticated
	}
	m.touch(ctx, c.k.ID, now)
	return fromStore(c.k), nil
}

// touch writes the key's last use, at most once per touchEvery.
func (m *Manager) touch(ctx context.Context, id string, now time.Time) {
	v, ok := m.touched.Load(id)
	if !ok {
		v, _ = m.touched.LoadOrStore(id, new(atomic.Int64))
	}
	last := v.(*atomic.Int64)
	prev := last.Load()
	due := prev == 0 || now.UnixMilli()-prev >= touchEvery.Milliseconds()
	if due && last.CompareAndSwap(prev, now.UnixMilli()) {
		// A failed write loses a last-use time, never an authentication.
		_ = m.st.TouchAccessKey(context.WithoutCancel(ctx), id, now)
	}
}
