package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/server"
	"github.com/unguessable/secrets/store"
)

// deliverConfig is what secrets serve was asked to deliver, and how.
type deliverConfig struct {
	smtp, from, smtpCA  string
	webhook, secretFile string
	templatesDir        string
	links               []string
	keyFile             string
	attempts            int

	// Made by check, from the flags above.
	tpl     *deliver.Templates
	linkSet deliver.Links
	email   *deliver.SMTP
	hook    *deliver.Webhook
}

const deliverHelp = `
Delivery (docs/DELIVERY.md): with --smtp or --webhook, POST /v1/codes and
POST /v1/tokens take "deliver": {channel, to, template, locale, data} and
send the code or link themselves, through an outbox in the database, at
least once; the answer then omits the secret. --smtp smtp://user:pass@host:587
(STARTTLS required; ?insecure=1 for a loopback server without TLS) or
smtps://…:465, from --mail-from; SECRETS_SMTP_URL is its default, which
keeps the password off the command line. --smtp-ca-file FILE verifies the
mail server's certificate against the PEM authorities of FILE (a private
CA) instead of the system's. --webhook URL posts JSON signed
as Standard Webhooks with the whsec_… secret of --webhook-secret-file or
SECRETS_WEBHOOK_SECRET. --link purpose=URL makes the link of a purpose's
tokens (https://app.example.com/reset?token={{.Token}}); --templates DIR
overrides the messages (DIR/code/NAME.LOCALE.{subject.txt,txt,html}, and
DIR/link/…), checked at start. Queued secrets are sealed with the key in
--delivery-key-file (default <db>.delivery-key, made on the first start
with mode 0600), which every instance needs a copy of.`

func (c *deliverConfig) flags(f *pflag.FlagSet) {
	// Not the flag's default: --help would print the password.
	f.StringVar(&c.smtp, "smtp", "", "deliver e-mail through the mail server at this `URL`: smtp://user:pass@host:port or smtps://… (default $SECRETS_SMTP_URL)")
	f.StringVar(&c.smtpCA, "smtp-ca-file", "", "verify the mail server's certificate against the PEM certificate authorities of `FILE` instead of the system's")
	f.StringVar(&c.from, "mail-from", "", "the From `ADDRESS` of delivered e-mail (default $SECRETS_MAIL_FROM)")
	f.StringVar(&c.webhook, "webhook", "", "deliver by signed webhooks posted to this `URL`")
	f.StringVar(&c.secretFile, "webhook-secret-file", "", "the `FILE` holding the webhook signing secret, whsec_… (default $SECRETS_WEBHOOK_SECRET)")
	f.StringVar(&c.templatesDir, "templates", "", "override the delivered messages with the templates of `DIR`")
	f.StringArrayVar(&c.links, "link", nil, "the link of a purpose's delivered tokens, `purpose=URL` with {{.Token}} (repeatable)")
	f.StringVar(&c.keyFile, "delivery-key-file", "", "the `FILE` of the key that seals queued deliveries, made on the first start (default <db>.delivery-key)")
	f.IntVar(&c.attempts, "delivery-attempts", deliver.DefaultMaxAttempts, "attempts of a delivery before it is given up")
}

// on reports whether the service delivers.
func (c *deliverConfig) on() bool { return c.smtp != "" || c.webhook != "" }

// check refuses delivery flags that cannot work, and loads the templates
// and links, so that a bad one stops the start naming its file and line.
func (c *deliverConfig) check(db string) error {
	if c.smtp == "" {
		c.smtp = os.Getenv("SECRETS_SMTP_URL")
	}
	if c.from == "" {
		c.from = os.Getenv("SECRETS_MAIL_FROM")
	}
	if c.smtpCA != "" && c.smtp == "" {
		return usagef("--smtp-ca-file needs --smtp")
	}
	if !c.on() {
		if c.templatesDir != "" || len(c.links) > 0 {
			return usagef("--templates and --link need a channel: give --smtp or --webhook")
		}
		return nil
	}
	if c.smtp != "" && c.from == "" {
		return withHint(usagef("--smtp needs --mail-from"), "such as --mail-from 'Example <no-reply@example.com>'")
	}
	if c.attempts < 1 || c.attempts > 100 {
		return usagef("--delivery-attempts %d is outside [1, 100]", c.attempts)
	}
	c.linkSet = deliver.Links{}
	for _, l := range c.links {
		if err := c.linkSet.ParseLink(l); err != nil {
			return usagef("--link: %v", err)
		}
	}
	c.tpl = deliver.Builtin()
	if c.templatesDir != "" {
		t, err := deliver.LoadTemplates(c.templatesDir)
		if err != nil {
			return usagef("--templates: %v", err)
		}
		c.tpl = t
	}
	if c.keyFile == "" {
		c.keyFile = besideDB(db, ".delivery-key", "secrets.delivery-key")
	}
	if c.smtp != "" {
		var opts []deliver.SMTPOption
		if c.smtpCA != "" {
			pool, err := deliver.LoadSMTPRootCAs(c.smtpCA)
			if err != nil {
				return usagef("--smtp-ca-file: %v", err)
			}
			opts = append(opts, deliver.SMTPRootCAs(pool))
		}
		s, err := deliver.NewSMTP(c.smtp, c.from, 0, nil, opts...)
		if err != nil {
			return usagef("--smtp: %v", err)
		}
		c.email = s
	}
	if c.webhook != "" {
		secret := os.Getenv("SECRETS_WEBHOOK_SECRET")
		if c.secretFile != "" {
			b, err := os.ReadFile(c.secretFile)
			if err != nil {
				return usagef("--webhook-secret-file: %v", err)
			}
			secret = strings.TrimSpace(string(b))
		}
		if secret == "" {
			return withHint(usagef("--webhook needs its signing secret: --webhook-secret-file or SECRETS_WEBHOOK_SECRET"),
				"make one with: echo whsec_$(secrets bytes 32 | base64)")
		}
		w, err := deliver.NewWebhook(c.webhook, secret, 0, nil)
		if err != nil {
			return usagef("--webhook: %v", err)
		}
		c.hook = w
	}
	return nil
}

// deliverer makes the service's Deliverer, or nil if it delivers nothing.
func (c *deliverConfig) deliverer(ctx context.Context, log *slog.Logger, st store.Store) (*deliver.Deliverer, error) {
	if !c.on() {
		return nil, nil
	}
	opts := deliver.Options{Templates: c.tpl, Links: c.linkSet, MaxAttempts: c.attempts}
	if c.email != nil {
		opts.Email = c.email
	}
	if c.hook != nil {
		opts.Webhook = c.hook
	}
	key, generated, err := server.LoadDeliveryKey(ctx, st, c.keyFile)
	switch {
	case errors.Is(err, server.ErrDeliveryKeyMismatch), errors.Is(err, server.ErrDeliveryKeyFile):
		return nil, &usageError{err: err}
	case err != nil:
		return nil, err
	}
	if generated {
		log.Info("generated the key that seals queued deliveries, in a new file of mode 0600", logFile, c.keyFile)
	}
	opts.Key = key
	d, err := deliver.New(opts)
	if err != nil {
		return nil, fmt.Errorf("delivery: %w", err)
	}
	return d, nil
}
