package store

import (
	"context"
	"time"
)

// The statuses of a [Delivery].
const (
	DeliveryQueued  = "queued"  // waiting for its next attempt
	DeliverySending = "sending" // claimed by a dispatcher until its lease ends
	DeliverySent    = "sent"    // handed to the mail server or webhook receiver
	DeliveryFailed  = "failed"  // given up: a permanent refusal, or the attempts are spent
	DeliveryExpired = "expired" // its secret expired, or was replaced, used or revoked, before it could be sent
)

// Delivery is a job of the outbox: a token or code that the service sends
// itself, by e-mail or webhook. It is inserted in the transaction that
// inserts its secret (Token.Delivery, Code.Delivery), so that neither is
// ever stored without the other.
//
// Sealed is the plaintext to send, encrypted by package deliver under a key
// that is never in the database; it is nil once the job is sent, failed or
// expired. Nothing else in a Delivery is secret.
type Delivery struct {
	ID          string
	SecretID    string // the token's or code's id
	Kind        string // "code" or "link"
	Channel     string // "email" or "webhook"
	Recipient   string
	Purpose     string
	Template    string
	Locale      string
	Data        []byte // a JSON object, or nil
	Sealed      []byte
	Status      string
	Attempts    int // attempts started (claims), including one under way
	MaxAttempts int
	LastError   string // never holds a secret
	CreatedAt   time.Time
	NextAt      time.Time // when the job is due
	ExpiresAt   time.Time // its secret's expiry: it is never sent after
	SentAt      time.Time // zero until sent
	Lease       string    // the claim under way, "" when none
	LeaseUntil  time.Time
}

// DeliveryResult is how a claimed delivery ended, for FinishDelivery.
type DeliveryResult struct {
	// Status is DeliveryQueued (try again at NextAt), DeliverySent,
	// DeliveryFailed or DeliveryExpired. Every status but DeliveryQueued
	// wipes Sealed.
	Status    string
	NextAt    time.Time
	SentAt    time.Time
	LastError string
}

// Outbox is the queue of deliveries. Both store backends implement it; a
// Store that does not cannot deliver.
type Outbox interface {
	// EndDeliveries ends, at now, the jobs that can no longer be sent
	// (expired: their secret's expiry has passed, or their code was
	// replaced or approved, or their token used or revoked; failed: a lease
	// ran out on their last attempt), wiping their Sealed. A job under a
	// live lease is left to its holder.
	// It returns the channel and new status of each job it ended.
	EndDeliveries(ctx context.Context, now time.Time) ([]EndedDelivery, error)
	// ClaimDeliveries claims, in one atomic step, at most limit due jobs
	// that can still be sent (queued and due at now, or sending under a
	// lease that ended; with attempts left, before their secret's expiry,
	// and whose code is still pending or whose token is still unused),
	// counting an attempt on each and leasing them to lease until
	// leaseUntil. A job is claimed by one caller at a time, however many
	// processes share the database. The jobs come in the order they fell
	// due. The jobs it passes over stay as they are until EndDeliveries.
	ClaimDeliveries(ctx context.Context, lease string, now, leaseUntil time.Time, limit int) ([]Delivery, error)
	// FinishDelivery records r on delivery id if lease still holds it, and
	// reports whether it did; a claim that lost its lease changes nothing.
	FinishDelivery(ctx context.Context, id, lease string, r DeliveryResult) (bool, error)
	// FinishDeliveries records, in one transaction, the result of each
	// delivery of rs (by id) that lease still holds, and returns the ids
	// of those it recorded, in no particular order.
	FinishDeliveries(ctx context.Context, lease string, rs map[string]DeliveryResult) ([]string, error)
	// DeliveryByID returns the delivery, or ErrNotFound.
	DeliveryByID(ctx context.Context, id string) (Delivery, error)
}

// EndedDelivery is a job that EndDeliveries ended: its channel and its new
// status (DeliveryExpired or DeliveryFailed).
type EndedDelivery struct{ Channel, Status string }

// Enqueue makes the delivery job of a secret being issued: the managers
// call it with the new secret's id, plaintext and times, and store the job
// in the transaction that stores the secret. Package deliver makes them.
type Enqueue func(secretID, plaintext string, createdAt, expiresAt time.Time) (Delivery, error)
