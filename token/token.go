// Package token issues and redeems one-time tokens: password-reset links,
// e-mail verification, magic links, invitations.
//
// [Manager.Issue] returns a URL-safe token of 32 random bytes (256 bits) by
// default, exactly once, and stores only its SHA-256 with the purpose,
// subject, expiry and optional metadata. [Manager.Verify] checks a token
// without consuming it (to show a reset form); [Manager.Redeem] consumes it
// in one atomic database step, so of any number of concurrent redemptions,
// in any number of processes, exactly one is [Valid]. Outcomes are a
// [Status]; errors mean the system failed, never that a token was wrong.
//
// The tokens are drawn by [github.com/unguessable/secrets.TokenURLSafe];
// a program that stores tokens itself needs only that. The store behind
// the managers is package [github.com/unguessable/secrets/store].
package token

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/internal/argcheck"
	"github.com/unguessable/secrets/store"
)

// Limits and defaults.
const (
	DefaultTTL   = time.Hour
	MaxTTL       = 365 * 24 * time.Hour
	DefaultBytes = secrets.DefaultEntropy // 256 bits
	MinBytes     = 16                     // 128 bits
	MaxBytes     = 1024
	MaxMetaBytes = 10 << 10
	MaxNameBytes = store.MaxNameBytes // purpose and subject
)

// maxTokenLen is the longest input worth hashing: a token of MaxBytes.
const maxTokenLen = (MaxBytes*4 + 2) / 3

// Status is the outcome of verifying or redeeming a token.
type Status int

// Statuses.
const (
	Valid    Status = iota + 1 // the token is live (and, for Redeem, now used)
	NotFound                   // no such token for this purpose
	Expired                    // past its expiry
	Used                       // already redeemed
	Revoked                    // revoked by a newer token or RevokeSubject
)

var statusNames = [...]string{Valid: "VALID", NotFound: "NOT_FOUND", Expired: "EXPIRED", Used: "USED", Revoked: "REVOKED"}

// String returns the status in upper case: VALID, NOT_FOUND, EXPIRED, USED
// or REVOKED.
func (s Status) String() string {
	if s > 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// MarshalText encodes the status as its String.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ErrInvalid is returned when an argument is out of range; the error is a
// [*store.InvalidError] naming the field. It is store.ErrInvalid.
var ErrInvalid = store.ErrInvalid

// invalid is the [*store.InvalidError] of a bad argument.
func invalid(field, reason string) error {
	return &store.InvalidError{Package: "token", Field: field, Reason: reason}
}

// Options configure a Manager.
type Options struct {
	Clock store.Clock // default store.SystemClock
}

// Manager issues, verifies and redeems tokens on a store. It is safe for
// concurrent use.
type Manager struct {
	st    store.Store
	clock store.Clock
}

// New returns a Manager on st.
func New(st store.Store, opts Options) *Manager {
	if st == nil {
		panic("token: New with a nil store")
	}
	if opts.Clock == nil {
		opts.Clock = store.SystemClock{}
	}
	return &Manager{st: st, clock: opts.Clock}
}

// IssueOptions are the optional settings of a token.
type IssueOptions struct {
	TTL          time.Duration   // lifetime; default DefaultTTL, at most MaxTTL
	Bytes        int             // random bytes; default DefaultBytes, at least MinBytes
	Meta         json.RawMessage // a JSON object of at most MaxMetaBytes, returned on verify
	KeepExisting bool            // keep the subject's earlier unused tokens for this purpose
	// Deliver, if set, makes a delivery job of the token that is stored
	// with it, in its transaction (package deliver); Issued.Token is then
	// empty: the token goes to its recipient only.
	Deliver store.Enqueue
}

// Issued is a new token. Token is the plaintext, which is stored nowhere:
// hand it to the user and forget it.
type Issued struct {
	ID        string
	Token     string
	Purpose   string
	Subject   string
	Bits      int // entropy of Token: 8 x Bytes
	CreatedAt time.Time
	ExpiresAt time.Time
	// DeliveryID is the id of the delivery job, with IssueOptions.Deliver.
	DeliveryID string
}

// Result is the outcome of Verify or Redeem. Subject and Meta are set
// whenever the token was found, whatever its status.
type Result struct {
	Status    Status
	ID        string
	Subject   string
	Meta      json.RawMessage
	ExpiresAt time.Time
}

// Valid reports whether Status is Valid.
func (r Result) Valid() bool { return r.Status == Valid }

// Issue creates a token for subject and purpose. Unless opts.KeepExisting,
// the subject's earlier unused tokens for the purpose are revoked in the same
// transaction. The token has 8 x opts.Bytes bits of entropy (256 by default).
func (m *Manager) Issue(ctx context.Context, purpose, subject string, opts IssueOptions) (Issued, error) {
	if err := argcheck.First(argcheck.Name("token", "purpose", purpose, true), argcheck.Name("token", "subject", subject, true), argcheck.Meta("token", opts.Meta, MaxMetaBytes)); err != nil {
		return Issued{}, err
	}
	if opts.TTL == 0 {
		opts.TTL = DefaultTTL
	}
	if opts.TTL < time.Second || opts.TTL > MaxTTL {
		return Issued{}, invalid("ttl", fmt.Sprintf("%v is outside [1s, %v]", opts.TTL, MaxTTL))
	}
	if opts.Bytes == 0 {
		opts.Bytes = DefaultBytes
	}
	if opts.Bytes < MinBytes || opts.Bytes > MaxBytes {
		return Issued{}, invalid("bytes", fmt.Sprintf("%d is outside [%d, %d]", opts.Bytes, MinBytes, MaxBytes))
	}
	now := m.clock.Now().Truncate(time.Millisecond)
	plain := secrets.TokenURLSafe(opts.Bytes)
	t := store.Token{
		ID:        store.NewID("tok", now),
		Hash:      digest(plain),
		Purpose:   purpose,
		Subject:   subject,
		Meta:      opts.Meta,
		CreatedAt: now,
		ExpiresAt: now.Add(opts.TTL),
	}
	var deliveryID string
	if opts.Deliver != nil {
		d, err := opts.Deliver(t.ID, plain, now, t.ExpiresAt)
		if err != nil {
			return Issued{}, fmt.Errorf("token: deliver: %w", err)
		}
		t.Delivery, deliveryID, plain = &d, d.ID, ""
	}
	if err := m.st.InsertToken(ctx, t, !opts.KeepExisting); err != nil {
		return Issued{}, fmt.Errorf("token: issue: %w", err)
	}
	return Issued{ID: t.ID, Token: plain, Purpose: purpose, Subject: subject, Bits: 8 * opts.Bytes, CreatedAt: now, ExpiresAt: t.ExpiresAt, DeliveryID: deliveryID}, nil
}

// Verify reports the status of presented for purpose without consuming it.
func (m *Manager) Verify(ctx context.Context, purpose, presented string) (Result, error) {
	if !plausible(purpose, presented) {
		return Result{Status: NotFound}, nil
	}
	t, err := m.st.GetToken(ctx, purpose, digest(presented))
	if errors.Is(err, store.ErrNotFound) {
		return Result{Status: NotFound}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("token: verify: %w", err)
	}
	return result(t, classify(t, m.clock.Now(), Valid)), nil
}

// Redeem consumes presented, a token, for purpose: Valid exactly once,
// then Used.
func (m *Manager) Redeem(ctx context.Context, purpose, presented string) (Result, error) {
	if !plausible(purpose, presented) {
		return Result{Status: NotFound}, nil
	}
	t, redeemed, err := m.st.RedeemToken(ctx, purpose, digest(presented), m.clock.Now())
	if errors.Is(err, store.ErrNotFound) {
		return Result{Status: NotFound}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("token: redeem: %w", err)
	}
	if redeemed {
		return result(t, Valid), nil
	}
	// Refused: the row says why. A row that looks live lost a race at the
	// millisecond of expiry, or was just used; it is not valid either way.
	return result(t, classify(t, m.clock.Now(), Used)), nil
}

// RevokeSubject revokes every unused token of subject for purpose ("the
// password changed: kill every reset link") and returns how many.
func (m *Manager) RevokeSubject(ctx context.Context, purpose, subject string) (int64, error) {
	if err := argcheck.First(argcheck.Name("token", "purpose", purpose, true), argcheck.Name("token", "subject", subject, true)); err != nil {
		return 0, err
	}
	n, err := m.st.RevokeTokens(ctx, purpose, subject, m.clock.Now())
	if err != nil {
		return 0, fmt.Errorf("token: revoke: %w", err)
	}
	return n, nil
}

func plausible(purpose, presented string) bool {
	return purpose != "" && argcheck.NameOK(purpose) && presented != "" && len(presented) <= maxTokenLen
}

func digest(presented string) []byte {
	sum := sha256.Sum256([]byte(presented))
	return sum[:]
}

func classify(t store.Token, now time.Time, live Status) Status {
	switch {
	case !t.UsedAt.IsZero():
		return Used
	case !t.RevokedAt.IsZero():
		return Revoked
	case now.UnixMilli() >= t.ExpiresAt.UnixMilli():
		return Expired
	}
	return live
}

func result(t store.Token, s Status) Result {
	return Result{Status: s, ID: t.ID, Subject: t.Subject, Meta: json.RawMessage(t.Meta), ExpiresAt: t.ExpiresAt}
}
