// Package code issues and checks one-time numeric codes sent by e-mail or
// SMS, like Twilio Verify.
//
// A code has digits x log2(10) bits of entropy (19.9 bits for the default 6
// digits), far too few to survive an offline attack on a plain hash, so the
// store keeps only HMAC-SHA-256 under a server-side pepper. Online guessing
// is bounded by a short lifetime (10 minutes by default), an attempt limit
// per code (5 by default), a failure budget per subject and purpose that
// new codes do not refill (10 wrong attempts an hour by default), both
// counted in one atomic database step, and a send throttle (5 codes per
// subject and purpose in 10 minutes). A new code cancels the pending one.
// Outcomes are a [Status]; errors mean the system failed or the send
// throttle refused.
//
// With the defaults, a guesser gets at most 10 wrong attempts an hour, 250
// in any day, per subject and purpose, whatever the number of codes sent:
// a 6-digit code falls to such a guesser with probability at most
// 250/10^6 = 1 in 4,000 a day.
//
// The codes are drawn by [github.com/unguessable/secrets/otp.Code]; TOTP
// for authenticator apps is in package otp too.
package code

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode"

	"github.com/unguessable/secrets/internal/argcheck"
	"github.com/unguessable/secrets/otp"
	"github.com/unguessable/secrets/store"
)

// Limits and defaults.
const (
	DefaultDigits      = 6
	DefaultTTL         = 10 * time.Minute
	MaxTTL             = 24 * time.Hour
	DefaultMaxAttempts = 5
	MaxMaxAttempts     = 100
	// The failure budget: wrong attempts per subject and purpose, across
	// codes, in a window.
	DefaultMaxFailures   = 10
	MaxMaxFailures       = 100
	DefaultFailureWindow = time.Hour
	MinFailureWindow     = 10 * time.Minute
	MaxFailureWindow     = 24 * time.Hour
	DefaultSendWindow    = 10 * time.Minute
	DefaultMaxSends      = 5
	MinPepperBytes       = 32
	MaxNameBytes         = store.MaxNameBytes // purpose and subject
)

// Status is the outcome of checking a code.
type Status int

// Statuses.
const (
	Approved    Status = iota + 1 // the right code, in time; it is now spent
	Invalid                       // a wrong code; AttemptsLeft says how many remain
	Expired                       // the pending code is past its expiry
	MaxAttempts                   // the code's attempts, or the subject's failure budget, are spent: right or wrong, the code is refused
	NotFound                      // no pending code for this purpose and subject
)

var statusNames = [...]string{Approved: "APPROVED", Invalid: "INVALID", Expired: "EXPIRED", MaxAttempts: "MAX_ATTEMPTS", NotFound: "NOT_FOUND"}

// String returns the status in upper case: APPROVED, INVALID, EXPIRED,
// MAX_ATTEMPTS or NOT_FOUND.
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
	// ErrThrottled is returned by Issue when the subject was sent the most
	// codes allowed in the send window; the error is a [*ThrottledError]
	// that says when to retry.
	ErrThrottled = errors.New("code: too many codes sent")
	// ErrPepper is returned by New for a pepper shorter than MinPepperBytes.
	ErrPepper = errors.New("code: the pepper must be at least 32 bytes")
)

// invalid is the [*store.InvalidError] of a bad argument.
func invalid(field, reason string) error {
	return &store.InvalidError{Package: "code", Field: field, Reason: reason}
}

// ThrottledError is the send throttle's refusal.
type ThrottledError struct {
	RetryAfter time.Duration // until the next code may be sent, rounded up to a second
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("code: too many codes sent: retry in %v", e.RetryAfter)
}
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// Options configure a Manager.
type Options struct {
	Clock      store.Clock   // default store.SystemClock
	SendWindow time.Duration // default DefaultSendWindow
	MaxSends   int           // codes per subject and purpose in SendWindow; default DefaultMaxSends
	// OldPeppers still check the codes they keyed, until those expire;
	// new codes are keyed by the pepper given to New. Each code records
	// which pepper keyed it (PepperID).
	OldPeppers [][]byte
}

// peppered is a pepper and its id.
type peppered struct {
	id  string
	key []byte
}

// PepperID is the id a code records of the pepper that keyed it: the first
// 8 bytes of the pepper's SHA-256, in hex, which say nothing of the pepper.
func PepperID(pepper []byte) string {
	sum := sha256.Sum256(pepper)
	return "pep_" + hex.EncodeToString(sum[:8])
}

// Manager issues and checks codes on a store. It is safe for concurrent use.
type Manager struct {
	st      store.Store
	peppers []peppered // the first keys new codes
	opts    Options
}

// New returns a Manager on st that keys code HMACs with pepper, a server
// secret of at least MinPepperBytes random bytes kept apart from the
// database: a copy of the database and the pepper together give every
// pending code in a second.
// Changing the pepper invalidates pending codes and nothing else, unless
// the old one is among opts.OldPeppers.
func New(st store.Store, pepper []byte, opts Options) (*Manager, error) {
	if st == nil {
		panic("code: New with a nil store")
	}
	var peppers []peppered
	for _, p := range append([][]byte{pepper}, opts.OldPeppers...) {
		if len(p) < MinPepperBytes {
			return nil, ErrPepper
		}
		peppers = append(peppers, peppered{PepperID(p), bytes.Clone(p)})
	}
	opts.OldPeppers = nil
	if opts.Clock == nil {
		opts.Clock = store.SystemClock{}
	}
	if opts.SendWindow <= 0 {
		opts.SendWindow = DefaultSendWindow
	}
	if opts.MaxSends <= 0 {
		opts.MaxSends = DefaultMaxSends
	}
	return &Manager{st: st, peppers: peppers, opts: opts}, nil
}

// IssueOptions are the optional settings of a code.
type IssueOptions struct {
	// Digits is the code's length: default DefaultDigits, otp.MinDigits
	// (4) to otp.MaxDigits (10). Each digit fewer makes a guess ten times
	// likelier to succeed: under the default failure budget (at most 250
	// wrong attempts a day), a guesser takes a 4-digit code with
	// probability up to 250/10^4 = 1 in 40 a day, a 5-digit one 1 in 400,
	// against 1 in 4,000 for 6 digits. The service (secrets serve) refuses
	// fewer than 6.
	Digits      int
	TTL         time.Duration // default DefaultTTL, at most MaxTTL
	MaxAttempts int           // per code: default DefaultMaxAttempts, at most MaxMaxAttempts
	// MaxFailures and FailureWindow are the failure budget of the subject
	// and purpose while this code is the latest: after MaxFailures wrong
	// attempts (across codes) in a window of FailureWindow, which starts at
	// the first wrong attempt after the previous window ended, every check
	// is MaxAttempts until the window ends. Default DefaultMaxFailures (1
	// to MaxMaxFailures) in DefaultFailureWindow (MinFailureWindow to
	// MaxFailureWindow).
	MaxFailures   int
	FailureWindow time.Duration
	// Deliver, if set, makes a delivery job of the code that is stored
	// with it, in its transaction (package deliver); Issued.Code is then
	// empty: the code goes to its recipient only.
	Deliver store.Enqueue
}

// Issued is a new code. Code is the plaintext, stored nowhere: send it and
// forget it.
type Issued struct {
	ID           string
	Code         string
	Purpose      string
	Subject      string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	AttemptsLeft int
	// DeliveryID is the id of the delivery job, with IssueOptions.Deliver.
	DeliveryID string
}

// Result is the outcome of Check.
type Result struct {
	Status       Status
	ID           string // the code checked against, when there was one
	AttemptsLeft int
}

// Valid reports whether Status is Approved.
func (r Result) Valid() bool { return r.Status == Approved }

// Issue creates a code for subject and purpose, cancelling the pending one,
// unless the send throttle refuses with a *ThrottledError. The code is
// uniform over 10^Digits values (otp.Code).
func (m *Manager) Issue(ctx context.Context, purpose, subject string, opts IssueOptions) (Issued, error) {
	if err := argcheck.Name("code", "purpose", purpose, true); err != nil {
		return Issued{}, err
	}
	if err := argcheck.Name("code", "subject", subject, true); err != nil {
		return Issued{}, err
	}
	if opts.Digits == 0 {
		opts.Digits = DefaultDigits
	}
	if opts.Digits < otp.MinDigits || opts.Digits > otp.MaxDigits {
		return Issued{}, invalid("digits", fmt.Sprintf("%d is outside [%d, %d]", opts.Digits, otp.MinDigits, otp.MaxDigits))
	}
	if opts.TTL == 0 {
		opts.TTL = DefaultTTL
	}
	if opts.TTL < time.Second || opts.TTL > MaxTTL {
		return Issued{}, invalid("ttl", fmt.Sprintf("%v is outside [1s, %v]", opts.TTL, MaxTTL))
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.MaxAttempts < 1 || opts.MaxAttempts > MaxMaxAttempts {
		return Issued{}, invalid("max_attempts", fmt.Sprintf("%d is outside [1, %d]", opts.MaxAttempts, MaxMaxAttempts))
	}
	if opts.MaxFailures == 0 {
		opts.MaxFailures = DefaultMaxFailures
	}
	if opts.MaxFailures < 1 || opts.MaxFailures > MaxMaxFailures {
		return Issued{}, invalid("max_failures", fmt.Sprintf("%d is outside [1, %d]", opts.MaxFailures, MaxMaxFailures))
	}
	if opts.FailureWindow == 0 {
		opts.FailureWindow = DefaultFailureWindow
	}
	if opts.FailureWindow < MinFailureWindow || opts.FailureWindow > MaxFailureWindow || opts.FailureWindow%time.Millisecond != 0 {
		return Issued{}, invalid("failure_window", fmt.Sprintf("%v is outside [%v, %v] or not whole milliseconds", opts.FailureWindow, MinFailureWindow, MaxFailureWindow))
	}
	now := m.opts.Clock.Now().Truncate(time.Millisecond)
	plain := otp.Code(opts.Digits)
	c := store.Code{
		ID:          store.NewID("code", now),
		Purpose:     purpose,
		Subject:     subject,
		MAC:         mac(m.peppers[0].key, purpose, subject, plain),
		PepperID:    m.peppers[0].id,
		CreatedAt:   now,
		ExpiresAt:   now.Add(opts.TTL),
		MaxAttempts: opts.MaxAttempts,
		Digits:      opts.Digits,

		BudgetLimit:  opts.MaxFailures,
		BudgetWindow: opts.FailureWindow,
	}
	var deliveryID string
	if opts.Deliver != nil {
		d, err := opts.Deliver(c.ID, plain, now, c.ExpiresAt)
		if err != nil {
			return Issued{}, fmt.Errorf("code: deliver: %w", err)
		}
		c.Delivery, deliveryID, plain = &d, d.ID, ""
	}
	retryAt, err := m.st.InsertCode(ctx, c, m.opts.SendWindow, m.opts.MaxSends)
	if errors.Is(err, store.ErrThrottled) {
		wait := max(retryAt.Sub(now), 0)
		return Issued{}, &ThrottledError{RetryAfter: (wait + time.Second - 1).Truncate(time.Second)}
	}
	if err != nil {
		return Issued{}, fmt.Errorf("code: issue: %w", err)
	}
	return Issued{ID: c.ID, Code: plain, Purpose: purpose, Subject: subject, CreatedAt: now, ExpiresAt: c.ExpiresAt, AttemptsLeft: c.MaxAttempts, DeliveryID: deliveryID}, nil
}

// Check compares presented with the subject's pending code, counting one
// attempt whether right or wrong, and a wrong one against the subject's
// failure budget. Spaces and hyphens in presented are ignored ("123 456",
// "123-456"); input of another length than the code's, or with anything
// but digits, is Invalid and counts nothing. The comparison is of HMACs,
// inside the atomic step that counts the attempt, so a burst of guesses
// never gets more than the attempts and the budget allow.
func (m *Manager) Check(ctx context.Context, purpose, subject, presented string) (Result, error) {
	if argcheck.Name("code", "purpose", purpose, true) != nil || argcheck.Name("code", "subject", subject, true) != nil {
		return Result{Status: NotFound}, nil
	}
	presented, digits := normalize(presented)
	a := store.CodeAttempt{Digits: digits, MACs: make([]store.PepperMAC, len(m.peppers))}
	for i, p := range m.peppers {
		a.MACs[i] = store.PepperMAC{PepperID: p.id, MAC: mac(p.key, purpose, subject, presented)}
	}
	// A refusal of a code that looks checkable means a new code replaced it
	// between the two statements; check again against the new one.
	for range 3 {
		now := m.opts.Clock.Now()
		c, res, err := m.st.CheckCode(ctx, purpose, subject, a, now)
		if errors.Is(err, store.ErrNotFound) {
			return Result{Status: NotFound}, nil
		}
		if err != nil {
			return Result{}, fmt.Errorf("code: check: %w", err)
		}
		left := max(c.MaxAttempts-c.Attempts, 0)
		if budget := max(c.BudgetLimit-res.Failures, 0); now.UnixMilli() < res.BudgetEnd.UnixMilli() && budget < left {
			left = budget
		}
		switch {
		case res.Counted && res.Approved:
			return Result{Status: Approved, ID: c.ID, AttemptsLeft: left}, nil
		case res.Counted:
			return Result{Status: Invalid, ID: c.ID, AttemptsLeft: left}, nil
		case !c.ApprovedAt.IsZero() || !c.CancelledAt.IsZero():
			return Result{Status: NotFound}, nil
		case c.Attempts >= c.MaxAttempts || c.BudgetSpent(res, now):
			return Result{Status: MaxAttempts, ID: c.ID}, nil
		case now.UnixMilli() >= c.ExpiresAt.UnixMilli():
			return Result{Status: Expired, ID: c.ID, AttemptsLeft: left}, nil
		case digits == 0 || (c.Digits != 0 && c.Digits != digits):
			return Result{Status: Invalid, ID: c.ID, AttemptsLeft: left}, nil
		}
	}
	return Result{}, errors.New("code: check: the pending code kept changing")
}

// normalize returns presented without spaces and hyphens, and its length if
// it is then a code's (otp.MinDigits to otp.MaxDigits decimal digits), or
// 0.
func normalize(presented string) (string, int) {
	if len(presented) > 4*otp.MaxDigits {
		return presented, 0
	}
	b := make([]byte, 0, otp.MaxDigits)
	digits := true
	for _, r := range presented {
		switch {
		case r == '-' || unicode.IsSpace(r):
		case r >= '0' && r <= '9':
			b = append(b, byte(r))
		default:
			digits = false
		}
	}
	if !digits || len(b) < otp.MinDigits || len(b) > otp.MaxDigits {
		return presented, 0
	}
	return string(b), len(b)
}

// mac is HMAC-SHA-256 under pepper of purpose, subject and the code
// presented, each length-prefixed so that no two different triples share
// an input.
func mac(pepper []byte, purpose, subject, presented string) []byte {
	h := hmac.New(sha256.New, pepper)
	for _, s := range []string{purpose, subject, presented} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	return h.Sum(nil)
}
