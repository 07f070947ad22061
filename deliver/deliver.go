// Package deliver sends codes and links to their recipients through a
// transactional outbox: by e-mail over SMTP ([SMTP]) and by webhooks signed
// as the Standard Webhooks specification says ([Webhook]), for SMS, chat or
// any other provider.
//
// A code or token issued with a delivery ([Deliverer.Enqueue], which the
// token and code managers take as IssueOptions.Deliver) is stored in one
// transaction with its delivery job, so that neither exists without the
// other. The job holds the plaintext sealed with XChaCha20-Poly1305 under a
// key that is never in the database ([NewSealer]); the sealed plaintext is
// wiped from the database as soon as the job is sent, given up or expired.
//
// A [Dispatcher], in every instance of the service, claims due jobs (with
// FOR UPDATE SKIP LOCKED on PostgreSQL), sends them and records the
// outcome. Delivery is at least once: a job claimed by an instance that dies
// is claimed again when its lease ends, so a receiver may see one job twice
// and deduplicates by the webhook-id header or the Message-ID, which are the
// job's id on every attempt. Failed attempts are retried with exponential
// backoff and jitter, up to MaxAttempts (8 by default) and never after the
// secret's expiry; a refusal that means "never" (a webhook's 410, most 4xx,
// a mail server's permanent rejection) ends the job at once.
package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unguessable/secrets/store"
)

// Kinds of what is delivered.
const (
	KindCode = "code" // a one-time code (package code)
	KindLink = "link" // a one-time token, in a link (package token)
)

// Channels.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// Defaults and limits.
const (
	DefaultMaxAttempts = 8
	DefaultTemplate    = "default"
	DefaultLocale      = "en"
	MaxDataBytes       = 4 << 10
	MaxRecipientBytes  = 320
)

// Request says where and how to deliver a secret: the "deliver" member of
// POST /v1/codes and POST /v1/tokens.
type Request struct {
	Channel  string          // ChannelEmail or ChannelWebhook
	To       string          // an e-mail address; for a webhook, whatever the receiver routes by (a phone number, a user id)
	Template string          // default DefaultTemplate
	Locale   string          // default DefaultLocale
	Data     json.RawMessage // a JSON object for the templates and the webhook, or empty; never a secret
}

// Sender sends one message over a channel. An error that must not be
// retried is wrapped by [Permanent].
type Sender interface {
	Send(ctx context.Context, m *Message) error
}

// Message is what a Sender sends: one attempt of one job.
type Message struct {
	ID        string // the job's id, the same on every attempt: the webhook-id and the Message-ID
	Kind      string
	Purpose   string
	To        string
	Template  string
	Locale    string
	Code      string // KindCode: the code
	Link      string // KindLink: the link that carries the token, if the purpose has one
	Token     string // KindLink without a link (webhooks only): the token
	Subject   string // rendered templates
	Text      string
	HTML      string
	Data      json.RawMessage
	ExpiresAt time.Time
	Attempt   int
}

// PermanentError is a refusal that retrying cannot change.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as a refusal not to retry.
func Permanent(err error) error { return &PermanentError{Err: err} }

// Options configure a Deliverer.
type Options struct {
	// Key seals the plaintext of queued jobs: 32 bytes kept apart from the
	// database (the server keeps it in <db>.delivery-key). Required.
	Key []byte
	// Email and Webhook send over their channel; nil refuses requests for
	// it.
	Email   Sender
	Webhook Sender
	// Templates render messages; default Builtin().
	Templates *Templates
	// Links make the link of each purpose's tokens; a token delivered by
	// e-mail needs its purpose's link.
	Links Links
	// MaxAttempts bounds the attempts of a job; default DefaultMaxAttempts.
	MaxAttempts int
}

// Deliverer makes delivery jobs and the dispatchers that send them.
type Deliverer struct {
	sealer   *Sealer
	senders  map[string]Sender
	tpl      *Templates
	links    Links
	attempts int
}

// ErrConfig is returned by New for options that cannot work.
var ErrConfig = errors.New("deliver: bad configuration")

// New returns a Deliverer for opts.
func New(opts Options) (*Deliverer, error) {
	s, err := NewSealer(opts.Key)
	if err != nil {
		return nil, err
	}
	d := &Deliverer{sealer: s, senders: map[string]Sender{}, tpl: opts.Templates, links: opts.Links, attempts: opts.MaxAttempts}
	if opts.Email != nil {
		d.senders[ChannelEmail] = opts.Email
	}
	if opts.Webhook != nil {
		d.senders[ChannelWebhook] = opts.Webhook
	}
	if len(d.senders) == 0 {
		return nil, fmt.Errorf("%w: no channel: configure e-mail or a webhook", ErrConfig)
	}
	if d.tpl == nil {
		d.tpl = Builtin()
	}
	if d.attempts <= 0 {
		d.attempts = DefaultMaxAttempts
	}
	return d, nil
}

// invalid is the error of a bad request field.
func invalid(field, reason string) error {
	return &store.InvalidError{Package: "deliver", Field: "deliver." + field, Reason: reason}
}

// Enqueue checks r for a secret of kind (KindCode or KindLink) and purpose
// and returns the function that makes its job, for the managers'
// IssueOptions.Deliver. A bad request is a [*store.InvalidError] naming the
// field as the service's JSON does ("deliver.to"); nothing is queued then.
func (d *Deliverer) Enqueue(kind, purpose string, r Request) (store.Enqueue, error) {
	if kind != KindCode && kind != KindLink {
		panic("deliver: Enqueue of unknown kind " + kind)
	}
	if r.Channel == "" {
		return nil, invalid("channel", "is required (email or webhook)")
	}
	if r.Channel != ChannelEmail && r.Channel != ChannelWebhook {
		return nil, invalid("channel", fmt.Sprintf("%q is not a channel (email or webhook)", truncate(r.Channel)))
	}
	if d.senders[r.Channel] == nil {
		return nil, invalid("channel", fmt.Sprintf("%s delivery is not configured on this service", r.Channel))
	}
	if err := checkRecipient(r.Channel, r.To); err != nil {
		return nil, err
	}
	if r.Template == "" {
		r.Template = DefaultTemplate
	}
	if r.Locale == "" {
		r.Locale = DefaultLocale
	}
	if !d.tpl.has(kind, r.Template, "") {
		return nil, invalid("template", fmt.Sprintf("%q is not a template of %ss", truncate(r.Template), kind))
	}
	if !d.tpl.has(kind, r.Template, r.Locale) {
		return nil, invalid("locale", fmt.Sprintf("template %q has no locale %q", r.Template, truncate(r.Locale)))
	}
	if kind == KindLink && r.Channel == ChannelEmail && d.links[purpose] == nil {
		return nil, invalid("channel", fmt.Sprintf("tokens of purpose %q cannot be e-mailed: the service has no link for that purpose (--link %s=URL)", truncate(purpose), truncate(purpose)))
	}
	if len(r.Data) > 0 && string(r.Data) != "null" {
		if len(r.Data) > MaxDataBytes {
			return nil, invalid("data", fmt.Sprintf("is %d bytes, the most is %d", len(r.Data), MaxDataBytes))
		}
		var obj map[string]any
		if err := json.Unmarshal(r.Data, &obj); err != nil || obj == nil {
			return nil, invalid("data", "must be a JSON object")
		}
	} else {
		r.Data = nil
	}
	return func(secretID, plaintext string, createdAt, expiresAt time.Time) (store.Delivery, error) {
		id := store.NewID("dlv", createdAt)
		return store.Delivery{
			ID: id, SecretID: secretID, Kind: kind, Channel: r.Channel, Recipient: r.To, Purpose: purpose,
			Template: r.Template, Locale: r.Locale, Data: r.Data, Sealed: d.sealer.Seal(id, plaintext),
			Status: store.DeliveryQueued, MaxAttempts: d.attempts, CreatedAt: createdAt, NextAt: createdAt, ExpiresAt: expiresAt,
		}, nil
	}, nil
}

// checkRecipient checks the address of a channel.
func checkRecipient(channel, to string) error {
	if to == "" {
		return invalid("to", "is required")
	}
	if len(to) > MaxRecipientBytes || !utf8.ValidString(to) || strings.ContainsAny(to, "\x00\r\n") {
		return invalid("to", fmt.Sprintf("must be one line of UTF-8 text of at most %d bytes", MaxRecipientBytes))
	}
	if channel == ChannelEmail {
		a, err := mail.ParseAddress(to)
		if err != nil || a.Name != "" || a.Address != to || !strings.Contains(a.Address, "@") {
			return invalid("to", "must be a bare e-mail address, such as ana@example.com")
		}
	}
	return nil
}

// truncate shortens a value quoted in an error.
func truncate(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
