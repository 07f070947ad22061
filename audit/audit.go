// Package audit keeps the service's audit trail: one record for every call
// that changes state (an API key created, updated, revoked or rerolled; a
// token issued or revoked; a code issued; an access key created or
// revoked), with its time, actor, action, target, namespace, outcome and
// request id. Records never hold a secret, a code or a token. They are
// append-only and kept for the audit retention (store.Sweeper), apart from
// the records they describe.
package audit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/unguessable/secrets/store"
)

// Record is one entry of the trail.
type Record = store.AuditRecord

// Actions recorded.
const (
	KeysCreate = "keys.create"
	KeysUpdate = "keys.update"
	KeysRevoke = "keys.revoke"
	KeysReroll = "keys.reroll"
	// OwnersRateLimits is the replacement of an owner's named rate limits.
	OwnersRateLimits = "owners.ratelimits"
	TokensIssue      = "tokens.issue"
	TokensRevoke     = "tokens.revoke"
	CodesIssue       = "codes.issue"
	AccessCreate     = "access.create"
	AccessRevoke     = "access.revoke"
	RolesPut         = "roles.put"
)

// Limits of a listing.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Log appends to and reads the trail of a store. It is safe for concurrent
// use.
type Log struct {
	st    store.Store
	clock store.Clock

	mu   sync.Mutex
	last time.Time // of the last record appended here
	seq  uint32    // records appended here at last
}

// New returns a Log on st; clock nil is the system clock.
func New(st store.Store, clock store.Clock) *Log {
	if clock == nil {
		clock = store.SystemClock{}
	}
	return &Log{st: st, clock: clock}
}

// Append records r, filling in its id and time.
func (l *Log) Append(ctx context.Context, r Record) error {
	r.At, r.ID = l.next()
	if r.Outcome == "" {
		r.Outcome = "ok"
	}
	if err := l.st.AppendAudit(ctx, r); err != nil {
		return fmt.Errorf("audit: append: %w", err)
	}
	return nil
}

// next returns the time and id of the next record: ids sort by time and,
// within one millisecond, in the order this Log appended them.
func (l *Log) next() (time.Time, string) {
	now := l.clock.Now().Truncate(time.Millisecond)
	l.mu.Lock()
	if now.After(l.last) {
		l.last, l.seq = now, 0
	} else {
		now = l.last // a clock that stepped back keeps the order
		l.seq++
	}
	seq := l.seq
	l.mu.Unlock()
	id := store.NewID("aud", now)
	// NewID is kind_<12 hex of the time><16 random hex>: the sequence
	// takes the first 8 of the random digits.
	cut := len("aud_") + 12
	return now, fmt.Sprintf("%s%08x%s", id[:cut], seq, id[cut+8:])
}

// List returns the records f selects, in time order; a Limit of 0 is
// DefaultLimit.
func (l *Log) List(ctx context.Context, f store.AuditFilter) ([]Record, error) {
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	if f.Limit < 1 || f.Limit > MaxLimit {
		return nil, &store.InvalidError{Package: "audit", Field: "limit", Reason: fmt.Sprintf("%d is outside [1, %d]", f.Limit, MaxLimit)}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, &store.InvalidError{Package: "audit", Field: "to", Reason: "must be after from"}
	}
	rs, err := l.st.ListAudit(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	return rs, nil
}
