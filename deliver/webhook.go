package deliver

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/unguessable/secrets/store"
)

// SecretPrefix begins a Standard Webhooks signing secret: whsec_ and the
// secret's bytes in base64.
const SecretPrefix = "whsec_"

// Webhook sends each message as a JSON POST to one URL, signed as the
// Standard Webhooks specification says: the headers webhook-id (the job's
// id, the same on every attempt), webhook-timestamp (Unix seconds) and
// webhook-signature ("v1," and the base64 HMAC-SHA-256 of
// id.timestamp.body under the secret). A receiver verifies it with the
// specification's reference libraries and deduplicates by webhook-id.
//
// A 2xx answer is success. Any other 4xx but 408, 409, 425 and 429 means
// "never" (a 410 Gone, a 400, a 404) and ends the job; 3xx answers (not
// followed), the others, and timeouts are retried.
type Webhook struct {
	url    string
	secret []byte
	client *http.Client
	clock  store.Clock
}

// NewWebhook returns a Webhook that posts to rawURL, an absolute http or
// https URL, signing with secret (whsec_ and base64, as the specification
// writes secrets, at least 24 bytes). clock tells the webhook-timestamp;
// nil is the system clock. Each attempt waits at most timeout (default 10s).
func NewWebhook(rawURL, secret string, timeout time.Duration, clock store.Clock) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: the webhook URL is not an absolute http or https URL", ErrConfig)
	}
	b64, ok := strings.CutPrefix(secret, SecretPrefix)
	key, err := base64.StdEncoding.DecodeString(b64)
	if !ok || err != nil || len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("%w: the webhook secret must be %s and 24 to 64 bytes in base64 (make one with: echo %s$(secrets bytes 32 | base64))", ErrConfig, SecretPrefix, SecretPrefix)
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if clock == nil {
		clock = store.SystemClock{}
	}
	client := &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	return &Webhook{url: rawURL, secret: key, client: client, clock: clock}, nil
}

// Sign returns the webhook-signature of body sent as id at ts under key.
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	h := hmac.New(sha256.New, key)
	fmt.Fprintf(h, "%s.%d.", id, ts.Unix())
	h.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// payload is the JSON body of a webhook, in the specification's shape:
// type, timestamp and data.
type payload struct {
	Type      string      `json:"type"`
	Timestamp string      `json:"timestamp"`
	Data      payloadData `json:"data"`
}

type payloadData struct {
	DeliveryID string          `json:"delivery_id"`
	Kind       string          `json:"kind"`
	Purpose    string          `json:"purpose"`
	To         string          `json:"to"`
	Template   string          `json:"template"`
	Locale     string          `json:"locale"`
	Code       string          `json:"code,omitempty"`
	Link       string          `json:"link,omitempty"`
	Token      string          `json:"token,omitempty"`
	Text       string          `json:"text"`
	ExpiresAt  string          `json:"expires_at"`
	Attempt    int             `json:"attempt"`
	Data       json.RawMessage `json:"data,omitempty"`
}

// Send posts m.
func (w *Webhook) Send(ctx context.Context, m *Message) error {
	now := w.clock.Now()
	body, err := json.Marshal(payload{
		Type:      "delivery." + m.Kind,
		Timestamp: now.UTC().Format(time.RFC3339),
		Data: payloadData{DeliveryID: m.ID, Kind: m.Kind, Purpose: m.Purpose, To: m.To, Template: m.Template, Locale: m.Locale,
			Code: m.Code, Link: m.Link, Token: m.Token, Text: m.Text, ExpiresAt: m.ExpiresAt.UTC().Format(time.RFC3339), Attempt: m.Attempt, Data: m.Data},
	})
	if err != nil {
		return Permanent(fmt.Errorf("webhook: encode: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return Permanent(errors.New("webhook: bad request"))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "secrets-deliver")
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", Sign(w.secret, m.ID, now, body))
	resp, err := w.client.Do(req)
	if err != nil {
		// The error of Do quotes the URL, which may hold a credential of
		// the receiver's; say only what failed.
		var ue *url.Error
		if errors.As(err, &ue) {
			if ue.Timeout() {
				return errors.New("webhook: no answer in time")
			}
			err = ue.Err
		}
		return fmt.Errorf("webhook: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 400 && c < 500 && c != 408 && c != 409 && c != 425 && c != 429:
		return Permanent(fmt.Errorf("webhook: the receiver answered %d: not retried", c))
	default:
		return fmt.Errorf("webhook: the receiver answered %d", c)
	}
}
