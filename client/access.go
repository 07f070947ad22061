package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// AccessKey is an access key of the service. Key, the plaintext, is set
// only in the answer of CreateAccessKey.
type AccessKey struct {
	ID         string    `json:"id"`
	Key        string    `json:"key,omitempty"`
	Start      string    `json:"start"`
	Name       string    `json:"name"`
	Scopes     []string  `json:"scopes"`
	Namespaces []string  `json:"namespaces"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"` // zero: never used
	RevokedAt  time.Time `json:"revoked_at"`   // zero: not revoked
}

// CreateAccessKeyRequest is the body of POST /v1/access-keys. Namespaces
// is required: ["*"] for all.
type CreateAccessKeyRequest struct {
	Name       string   `json:"name"`
	Scopes     []string `json:"scopes"`
	Namespaces []string `json:"namespaces"`
}

// CreateAccessKey creates an access key (scope access:manage). Not retried
// after a 503.
func (c *Client) CreateAccessKey(ctx context.Context, req CreateAccessKeyRequest) (AccessKey, error) {
	var k AccessKey
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/access-keys", in: req, out: &k, want: http.StatusCreated, auth: true})
	return k, err
}

// PageOptions page through a list: at most Limit records (0: the service's
// default) after Cursor.
type PageOptions struct {
	Limit  int
	Cursor string
}

func (o PageOptions) query() url.Values {
	q := url.Values{}
	set(q, "cursor", o.Cursor)
	if o.Limit != 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	return q
}

// AccessKeyList is a page of access keys. Cursor is empty on the last
// page.
type AccessKeyList struct {
	AccessKeys []AccessKey `json:"access_keys"`
	Cursor     string      `json:"cursor"`
}

// ListAccessKeys returns a page of access keys (scope access:manage).
func (c *Client) ListAccessKeys(ctx context.Context, opts PageOptions) (AccessKeyList, error) {
	var l AccessKeyList
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/access-keys", query: opts.query(), out: &l, want: http.StatusOK, safe: true, auth: true})
	return l, err
}

// GetAccessKey returns the access key with this id (scope access:manage).
func (c *Client) GetAccessKey(ctx context.Context, id string) (AccessKey, error) {
	var k AccessKey
	p, err := idPath("/v1/access-keys/", id, "")
	if err != nil {
		return k, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, route: "/v1/access-keys/{id}", out: &k, want: http.StatusOK, safe: true, auth: true})
	return k, err
}

// RevokeAccessKey revokes the access key with this id (scope
// access:manage).
func (c *Client) RevokeAccessKey(ctx context.Context, id string) error {
	p, err := idPath("/v1/access-keys/", id, "")
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodDelete, path: p, route: "/v1/access-keys/{id}", want: http.StatusNoContent, safe: true, auth: true})
}

// AuditRecord is one record of the audit trail.
type AuditRecord struct {
	ID        string    `json:"id"`
	At        time.Time `json:"at"`
	ActorID   string    `json:"actor_id"`
	ActorName string    `json:"actor_name"`
	Action    string    `json:"action"`
	Target    string    `json:"target"`
	Namespace string    `json:"namespace"`
	Outcome   string    `json:"outcome"`
	RequestID string    `json:"request_id"`
}

// ListAuditOptions are the query of GET /v1/audit; zero members filter
// nothing.
type ListAuditOptions struct {
	Actor, Action, Target string
	From, To              time.Time
	Limit                 int
	Cursor                string
}

// AuditList is a page of the audit trail. Cursor is empty on the last
// page.
type AuditList struct {
	Records []AuditRecord `json:"records"`
	Cursor  string        `json:"cursor"`
}

// ListAudit returns a page of the audit trail (scope audit:read).
func (c *Client) ListAudit(ctx context.Context, opts ListAuditOptions) (AuditList, error) {
	q := PageOptions{Limit: opts.Limit, Cursor: opts.Cursor}.query()
	set(q, "actor", opts.Actor)
	set(q, "action", opts.Action)
	set(q, "target", opts.Target)
	if !opts.From.IsZero() {
		q.Set("from", opts.From.UTC().Format(time.RFC3339Nano))
	}
	if !opts.To.IsZero() {
		q.Set("to", opts.To.UTC().Format(time.RFC3339Nano))
	}
	var l AuditList
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/audit", query: q, out: &l, want: http.StatusOK, safe: true, auth: true})
	return l, err
}

// Delivery is the state of one delivery of a token or code.
type Delivery struct {
	ID        string     `json:"id"`
	Channel   string     `json:"channel"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
}

// GetDelivery returns the delivery with this id (scope deliveries:read).
func (c *Client) GetDelivery(ctx context.Context, id string) (Delivery, error) {
	var d Delivery
	p, err := idPath("/v1/deliveries/", id, "")
	if err != nil {
		return d, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, route: "/v1/deliveries/{id}", out: &d, want: http.StatusOK, safe: true, auth: true})
	return d, err
}
