// Package store defines the storage behind the token, code and key managers:
// the records they keep, the [Store] interface that a database backend
// implements, an injectable [Clock], and a background [Sweeper] of expired
// and used records.
//
// Records hold only digests, never a plaintext token, code or key. Every
// method that decides an outcome (redeem a token, count a code attempt,
// spend a key's uses or rate limit) is a single atomic step in the database,
// so any number of processes sharing one database never over-admit. The
// backends are store/sqlite and store/postgres; store/storetest holds the
// conformance suite that both pass.
package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/unguessable/secrets"
)

// Errors returned by every Store.
var (
	// ErrNotFound is returned when no record matches the id, hash or
	// purpose and subject asked for.
	ErrNotFound = errors.New("store: not found")
	// ErrThrottled is returned by InsertCode when the subject already had
	// the most codes allowed in the send window; no code was stored.
	ErrThrottled = errors.New("store: send limit reached")
	// ErrRevoked is returned by RerollKey and UpdateKey when the key is
	// revoked.
	ErrRevoked = errors.New("store: key is revoked")
	// ErrRerolled is returned by RerollKey when the key was rerolled
	// already (a key is replaced once), and by UpdateKey for a change of a
	// rerolled key's counts.
	ErrRerolled = errors.New("store: key was rerolled already")
	// ErrExpired is returned by RerollKey when the key has expired.
	ErrExpired = errors.New("store: key has expired")
	// ErrDuplicate is returned when an insert collides with an existing id
	// or hash, which for random values means a bug, not bad luck.
	ErrDuplicate = errors.New("store: duplicate id or hash")
)

// Token is a one-time token: its SHA-256 and what it is for.
type Token struct {
	ID        string
	Hash      []byte // SHA-256 of the plaintext token
	Purpose   string
	Subject   string
	Meta      []byte // a JSON object, or nil
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero while unused
	RevokedAt time.Time // zero unless revoked
	// Delivery, if set, is inserted with the token, in its transaction
	// (InsertToken only).
	Delivery *Delivery
}

// Code is a one-time numeric code: its HMAC under the server's pepper, and
// its attempt count.
type Code struct {
	ID          string
	Purpose     string
	Subject     string
	MAC         []byte // HMAC-SHA-256(pepper, purpose, subject, code)
	CreatedAt   time.Time
	ExpiresAt   time.Time
	Attempts    int // verification attempts made, right or wrong
	MaxAttempts int
	ApprovedAt  time.Time // zero until the right code was checked in time
	CancelledAt time.Time // zero unless a newer code replaced it
	PepperID    string    // which pepper keyed MAC; "" for codes from before peppers had ids
	Digits      int       // the code's length; 0 for codes from before lengths were kept (any length is checked)
	// BudgetLimit and BudgetWindow are the failure budget of the code's
	// purpose and subject while it is the latest: at most BudgetLimit wrong
	// attempts, across codes, in a window of BudgetWindow that starts at
	// the first failure after the previous window ended.
	BudgetLimit  int
	BudgetWindow time.Duration
	// Delivery, if set, is inserted with the code, in its transaction
	// (InsertCode only).
	Delivery *Delivery
}

// CodeAttempt is what CheckCode is given of a presented code.
type CodeAttempt struct {
	// MACs are the presented code's MAC under each pepper.
	MACs []PepperMAC
	// Digits is the presented code's length; 0 for input that is no code
	// (a letter, a length no code has), which counts nothing.
	Digits int
}

// CodeCheck is what CheckCode did.
type CodeCheck struct {
	Counted  bool // an attempt was counted against the code
	Approved bool // the counted attempt was the right code
	// Failures and BudgetEnd are the subject's failure budget after the
	// check: the wrong attempts counted in the window that ends at
	// BudgetEnd (none once it has ended).
	Failures  int
	BudgetEnd time.Time
}

// BudgetSpent reports whether c's failure budget, as check left it, refuses
// attempts at now.
func (c Code) BudgetSpent(check CodeCheck, now time.Time) bool {
	return now.UnixMilli() < check.BudgetEnd.UnixMilli() && check.Failures >= c.BudgetLimit
}

// PepperMAC is the MAC of a presented code under one pepper, for CheckCode.
type PepperMAC struct {
	PepperID string
	MAC      []byte
}

// AccessKey is a key of the service itself: it lets its holder make the
// calls its scopes name, on the API keys of its namespaces.
type AccessKey struct {
	ID         string
	Hash       []byte // SHA-256 of the plaintext key
	Start      string // the redacted key, for display
	Name       string
	Scopes     []string
	Namespaces []string // "*" is every namespace
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero unless revoked
}

// AuditRecord is one state-changing call, kept for the audit retention
// whatever becomes of its target. It never holds a secret.
type AuditRecord struct {
	ID        string // sorts by time
	At        time.Time
	ActorID   string // the access key's id
	ActorName string
	Action    string // such as "keys.create"
	Target    string // the id of what the call changed, if any
	Namespace string
	Outcome   string // "ok", or what refused the change
	RequestID string
}

// AuditFilter selects audit records for ListAudit: each field left empty
// matches any; From and To bound At (To excluded); records come in id
// order, after the id After, at most Limit.
type AuditFilter struct {
	Actor, Action, Target string
	// Namespaces, unless nil, keeps only the records of these namespaces
	// (and so none of a call that named no namespace).
	Namespaces []string
	From, To   time.Time
	After      string
	Limit      int
}

// Cutoffs say what Sweep deletes: tokens and codes finished, and code
// failure budgets whose window ended, before Records; API keys and access keys expired or revoked before Tombstones
// (a revoked key answers REVOKED for as long as the audit trail can name
// it); audit records older than Audit.
type Cutoffs struct {
	Records    time.Time
	Tombstones time.Time
	Audit      time.Time
}

// RateLimit admits at most Limit uses (summed costs) in a window of length
// Window that starts at the key's first use after the previous window
// ended, not at a boundary of the clock. Within one window no more than
// Limit is ever admitted, by any number of instances (a window only moves
// forward, so an instance whose clock is a little behind counts in the
// window another started). As with any windowed or token-bucket limit, a
// caller who spends the whole limit at the end of one window and again at
// the start of the next gets up to 2 x Limit within one span of Window.
type RateLimit struct {
	Limit  int64
	Window time.Duration
}

// Key is an API key: its SHA-256, its owner and its limits.
type Key struct {
	ID        string
	Hash      []byte // SHA-256 of the plaintext key
	Prefix    string
	Start     string // the redacted key, for display
	Namespace string
	Owner     string
	Name      string
	Meta      []byte // a JSON object, or nil
	Enabled   bool
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time // zero: never
	RevokedAt time.Time // zero unless revoked
	Remaining *int64    // nil: unlimited uses
	RateLimit *RateLimit
	// RateStart and RateCount are the current rate-limit window and the
	// uses counted in it.
	RateStart time.Time
	RateCount int64
	// Successor is, for a key that was rerolled, the id of the newest key
	// that replaced it (through any number of rerolls): while the old key
	// lasts, its uses are spent from the successor's remaining uses and
	// rate limit, and the old key's own are as they were at the reroll.
	// "" for a key that was never rerolled.
	Successor string
	// LastUsedAt is when the key was last verified, as the analytics flush
	// last recorded it (at most once a minute per key and instance: up to a
	// minute and a second late); zero: never.
	LastUsedAt time.Time
	// Refill, if set, resets Remaining at every refill time; RefilledAt
	// is the last refill time applied (or when the refill was set).
	Refill     *Refill
	RefilledAt time.Time
	// RateLimits are the key's named rate limits, with their windows.
	RateLimits []NamedRateLimit
	// HasLimits reports whether the key has a refill or named rate
	// limits, or its owner has named rate limits in its namespace (read
	// with the key; not stored with it). KeyByHash reads this alone, not
	// Refill, RefilledAt and RateLimits, which UseKeyLimits reads.
	HasLimits bool
	// Roles are the names of the roles (in the key's namespace) whose
	// permissions the key holds, and Permissions its own; nil: none.
	Roles       []string
	Permissions []string
}

// Clone returns a copy of k that shares no memory with it.
func (k Key) Clone() Key {
	k.Hash = bytes.Clone(k.Hash)
	k.Meta = bytes.Clone(k.Meta)
	if k.Remaining != nil {
		r := *k.Remaining
		k.Remaining = &r
	}
	if k.RateLimit != nil {
		rl := *k.RateLimit
		k.RateLimit = &rl
	}
	if k.Refill != nil {
		r := *k.Refill
		k.Refill = &r
	}
	if k.RateLimits != nil {
		k.RateLimits = append([]NamedRateLimit(nil), k.RateLimits...)
	}
	k.Roles = slices.Clone(k.Roles)
	k.Permissions = slices.Clone(k.Permissions)
	return k
}

// Limited reports whether verifying k must write: it has a use count or a
// rate limit, or was rerolled (its successor's limits are what count).
func (k Key) Limited() bool { return k.Remaining != nil || k.RateLimit != nil || k.Successor != "" }

// NamedLimited reports whether verifying k takes UseKeyLimits' transaction:
// it has a refill or named rate limits, its owner has named rate limits,
// or it was rerolled (its successor may have either).
func (k Key) NamedLimited() bool {
	return k.Refill != nil || len(k.RateLimits) > 0 || k.HasLimits || k.Successor != ""
}

// KeyFilter selects keys for ListKeys: by owner, namespace, status at Now
// and name prefix (each empty matches any), ordered by id, starting after
// the id After, at most Limit.
type KeyFilter struct {
	Owner     string
	Namespace string
	// Status is one of the KeyStatus values, or "" for any.
	Status     KeyStatus
	NamePrefix string
	Now        time.Time // the time Status is judged at
	After      string
	Limit      int
}

// KeyStatus is the state of a key for listing. Of the states that hold,
// the first of revoked, expired and disabled is the key's; a key in none
// is active.
type KeyStatus string

// Key statuses.
const (
	KeyActive   KeyStatus = "active"   // enabled, unrevoked, unexpired
	KeyExpired  KeyStatus = "expired"  // past its expiry, not revoked
	KeyRevoked  KeyStatus = "revoked"  // revoked
	KeyDisabled KeyStatus = "disabled" // disabled by an update, unrevoked and unexpired
)

// KeyUpdate is a change to a key; fields left unset are kept.
type KeyUpdate struct {
	Enabled      *bool
	Meta         []byte // nil: unchanged
	SetRemaining bool
	Remaining    *int64 // with SetRemaining: nil makes uses unlimited
	SetExpiry    bool
	ExpiresAt    time.Time // with SetExpiry: zero means never
	// SetRefill replaces the refill (nil: none); the last refill time
	// stays, so a refill due already is applied at the next verification.
	SetRefill bool
	Refill    *Refill
	// SetRateLimits replaces the named rate limits; the windows of the
	// names that stay are kept.
	SetRateLimits bool
	RateLimits    []NamedRateLimit
	Name          *string   // nil: unchanged
	Owner         *string   // nil: unchanged
	Roles         *[]string // nil: unchanged; an empty list removes every role
	Permissions   *[]string // nil: unchanged; an empty list removes every permission
}

// Store keeps tokens, codes, keys and settings. Implementations are safe for
// concurrent use by many goroutines and many processes on one database.
// Times are stored to the millisecond.
type Store interface {
	LimitStore
	RoleStore

	// InsertToken stores t. With revokeOthers, it first revokes, in the same
	// transaction, the unused tokens of t's subject with the same purpose:
	// one indexed step through the subject's live tokens, however many
	// used or revoked ones it has.
	InsertToken(ctx context.Context, t Token, revokeOthers bool) error
	// GetToken returns the token with this purpose and hash, or ErrNotFound.
	GetToken(ctx context.Context, purpose string, hash []byte) (Token, error)
	// RedeemToken marks the token with this purpose and hash used, in one
	// atomic step, if it is unused, unrevoked and unexpired at now; redeemed
	// reports whether this call did so. The token is returned either way;
	// ErrNotFound if there is none.
	RedeemToken(ctx context.Context, purpose string, hash []byte, now time.Time) (t Token, redeemed bool, err error)
	// RevokeTokens revokes the unused tokens of subject for purpose and
	// returns how many.
	RevokeTokens(ctx context.Context, purpose, subject string, now time.Time) (int64, error)

	// InsertCode stores c after, in one transaction serialised per purpose
	// and subject: refusing with ErrThrottled if maxSends codes were already
	// created within window before c.CreatedAt (retryAt is then when the
	// next one may be sent), and cancelling the subject's earlier codes, so
	// that at most one is uncancelled. The subject's failure budget carries
	// over from code to code.
	InsertCode(ctx context.Context, c Code, window time.Duration, maxSends int) (retryAt time.Time, err error)
	// CheckCode counts one attempt against the subject's latest uncancelled
	// code, in one transaction serialised per purpose and subject, if the
	// code is unapproved, unexpired at now, has attempts left and has
	// a.Digits digits (any, for a code of unknown length), and the
	// subject's failure budget is not spent (Code.BudgetSpent); a wrong
	// attempt is counted in the budget too, so that of any number of
	// concurrent checks in any number of processes, no more wrong
	// attempts are counted than the code's and the budget's limits. The
	// attempt is approved if one of a.MACs has the code's pepper id and its
	// MAC (a code with no pepper id matches any of them). The code is
	// returned after the attempt, or as it stands if none was counted;
	// ErrNotFound if the subject has none.
	CheckCode(ctx context.Context, purpose, subject string, a CodeAttempt, now time.Time) (Code, CodeCheck, error)

	// InsertKey stores k.
	InsertKey(ctx context.Context, k Key) error
	// KeyByHash returns the key with this hash, or ErrNotFound. It is one
	// indexed read, which reads whether the key has a refill or named rate
	// limits (Key.HasLimits) but not what they are.
	KeyByHash(ctx context.Context, hash []byte) (Key, error)
	// KeyByID returns the key with this id, or ErrNotFound.
	KeyByID(ctx context.Context, id string) (Key, error)
	// UseKey spends cost from key id's remaining uses and rate-limit window
	// in one atomic step, if the key is enabled, unrevoked, unexpired at now,
	// has cost uses left and cost fits in the window; ok reports whether it
	// did. A rerolled key spends from its successor's uses and window, the
	// ones its successor spends. The key is returned after the step, or as
	// it stands if refused, with the uses and window it spends from.
	UseKey(ctx context.Context, id string, cost int64, now time.Time) (k Key, ok bool, err error)
	// ListKeys returns keys matching f in id order.
	ListKeys(ctx context.Context, f KeyFilter) ([]Key, error)
	// UpdateKey applies u to key id and returns the result; ErrNotFound,
	// ErrRevoked for a revoked key, or ErrRerolled for a change of the
	// remaining uses, refill or named limits of a rerolled key (which
	// spends from its successor's), leaving the key as it is.
	UpdateKey(ctx context.Context, id string, u KeyUpdate, now time.Time) (Key, error)
	// RevokeKey revokes key id (idempotently) and returns it, or ErrNotFound.
	RevokeKey(ctx context.Context, id string, now time.Time) (Key, error)
	// RerollKey stores nk, which takes from key oldID its namespace, owner,
	// name, metadata, enabled flag, expiry, remaining uses and rate limit
	// (with its current window), makes the old key expire at oldExpiresAt
	// or its own expiry if sooner, and makes nk the successor of the old key
	// and of the keys the old key replaced, all in one transaction
	// serialised on the old key: of concurrent rerolls of one key, in any
	// number of processes, one succeeds. It returns the new key as stored;
	// ErrNotFound, ErrRevoked, ErrExpired (at nk.CreatedAt) or ErrRerolled
	// for an old key that cannot be rerolled.
	RerollKey(ctx context.Context, oldID string, nk Key, oldExpiresAt time.Time) (Key, error)

	// LoadOrStoreSetting returns the value of setting name, storing value
	// first if it has none; of concurrent callers, all see the first value.
	LoadOrStoreSetting(ctx context.Context, name string, value []byte) ([]byte, error)
	// Setting returns the value of setting name, or ErrNotFound.
	Setting(ctx context.Context, name string) ([]byte, error)
	// DeleteSetting deletes setting name, if there is one.
	DeleteSetting(ctx context.Context, name string) error

	// Sweep deletes, in batches of at most batch rows, what c says is
	// over: never a live token, code or key. It returns how many rows it
	// deleted.
	Sweep(ctx context.Context, c Cutoffs, batch int) (int64, error)

	// InsertAccessKey stores k.
	InsertAccessKey(ctx context.Context, k AccessKey) error
	// AccessKeyByHash returns the access key with this hash, revoked or
	// not, or ErrNotFound.
	AccessKeyByHash(ctx context.Context, hash []byte) (AccessKey, error)
	// AccessKeyByID returns the access key with this id, or ErrNotFound.
	AccessKeyByID(ctx context.Context, id string) (AccessKey, error)
	// ListAccessKeys returns access keys in id order after the id after, at
	// most limit.
	ListAccessKeys(ctx context.Context, after string, limit int) ([]AccessKey, error)
	// RevokeAccessKey revokes access key id (idempotently) and returns it,
	// or ErrNotFound.
	RevokeAccessKey(ctx context.Context, id string, now time.Time) (AccessKey, error)
	// TouchAccessKey records that access key id was used at now (a later
	// time only).
	TouchAccessKey(ctx context.Context, id string, now time.Time) error

	// AppendAudit appends r to the audit trail.
	AppendAudit(ctx context.Context, r AuditRecord) error
	// ListAudit returns the audit records f selects.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditRecord, error)

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Clock tells the time. Managers and the sweeper take one so that tests of
// expiry move time instead of waiting.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real time.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewID returns a record id: kind, '_', 12 hex digits of now in Unix
// milliseconds and 16 random hex digits (64 bits). Ids sort by creation
// time, which keeps list pages stable; they are not secrets.
func NewID(kind string, now time.Time) string {
	ms := uint64(now.UnixMilli())
	var b [6]byte
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	return kind + "_" + hex.EncodeToString(b[:]) + secrets.TokenHex(8)
}

// IsID reports whether id has the form NewID gives ids of this kind.
func IsID(kind, id string) bool {
	rest, ok := strings.CutPrefix(id, kind+"_")
	if !ok || len(rest) != 28 {
		return false
	}
	for _, c := range []byte(rest) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
