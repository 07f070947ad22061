package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// RateLimit is a key's rate limit: at most Limit verifications per Window
// seconds.
type RateLimit struct {
	Limit  int64 `json:"limit"`
	Window int64 `json:"window"`
}

// Key is an API key as the service describes it. Key, the plaintext, is set
// only in the answers of CreateKey and RerollKey, and only once.
type Key struct {
	ID        string          `json:"id"`
	Key       string          `json:"key,omitempty"`
	Start     string          `json:"start"`
	Prefix    string          `json:"prefix"`
	Namespace string          `json:"namespace"`
	Owner     string          `json:"owner"`
	Name      string          `json:"name"`
	Meta      json.RawMessage `json:"meta"`
	Enabled   bool            `json:"enabled"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	ExpiresAt time.Time       `json:"expires_at"` // zero: never
	RevokedAt time.Time       `json:"revoked_at"` // zero: not revoked
	Remaining *int64          `json:"remaining"`  // nil: unlimited uses
	RateLimit *RateLimit      `json:"ratelimit"`  // nil: none
	// LastUsedAt is when the key was last verified, up to a minute late;
	// zero: never.
	LastUsedAt time.Time `json:"last_used_at"`
	// Refill and RateLimits: see limits.go.
	Refill     *Refill          `json:"refill"`
	RateLimits []NamedRateLimit `json:"ratelimits"`
	// Roles and Permissions are the key's roles and its own permissions,
	// sorted.
	Roles       []string `json:"roles"`
	Permissions []string `json:"permissions"`
}

// CreateKeyRequest is the body of POST /v1/keys. Prefix is required;
// ExpiresIn (seconds) and ExpiresAt exclude each other.
type CreateKeyRequest struct {
	Prefix    string          `json:"prefix"`
	Namespace string          `json:"namespace,omitempty"`
	Owner     string          `json:"owner,omitempty"`
	Name      string          `json:"name,omitempty"`
	Meta      json.RawMessage `json:"meta,omitempty"`
	ExpiresIn *int64          `json:"expires_in,omitempty"`
	ExpiresAt *time.Time      `json:"expires_at,omitempty"`
	Remaining *int64          `json:"remaining,omitempty"`
	RateLimit *RateLimit      `json:"ratelimit,omitempty"`
	// Refill and RateLimits: see limits.go.
	Refill     *Refill          `json:"refill,omitempty"`
	RateLimits []NamedRateLimit `json:"ratelimits,omitempty"`
	// Roles name roles of the key's namespace (see PutRole); Permissions
	// are the key's own.
	Roles       []string `json:"roles,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
}

// CreateKey creates an API key (scope keys:create). The answer's Key is
// the plaintext, shown this once. Not retried after a 503 (see the package
// doc).
func (c *Client) CreateKey(ctx context.Context, req CreateKeyRequest) (Key, error) {
	var k Key
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/keys", in: req, out: &k, want: http.StatusCreated, auth: true})
	return k, err
}

// VerifyKeyRequest is the body of POST /v1/keys/verify. Cost, default 1,
// is the number of uses and rate-limit units the verification spends.
// Permissions is a query the key's permissions must satisfy, such as
// "docs.read AND (docs.write OR admin)"; a key that does not is answered
// INSUFFICIENT_PERMISSIONS and spends nothing, and a malformed query is an
// *Error with Field "permissions" whose message names the position.
type VerifyKeyRequest struct {
	Key       string `json:"key"`
	Namespace string `json:"namespace,omitempty"`
	Cost      *int64 `json:"cost,omitempty"`
	// Tags, up to 10 distinct "k=v" strings, count the verification in the
	// analytics under each.
	Tags []string `json:"tags,omitempty"`
	// RateLimits names the rate limits to spend from (limits.go); nil:
	// every named limit of the key and its owner, at Cost. A name that
	// neither has is a 400 error naming ratelimits[i].name.
	RateLimits  []LimitCost `json:"ratelimits,omitempty"`
	Permissions string      `json:"permissions,omitempty"`
}

// RateLimitState is a key's rate limit after a verification.
type RateLimitState struct {
	Limit     int64     `json:"limit"`
	Remaining int64     `json:"remaining"`
	Reset     time.Time `json:"reset"`
}

// VerifyKeyResponse is the answer of POST /v1/keys/verify. Status is one of
// VALID, NOT_FOUND, MALFORMED, EXPIRED, REVOKED, DISABLED,
// USAGE_EXCEEDED, RATE_LIMITED, INSUFFICIENT_PERMISSIONS (see package
// keys). Permissions are the key's effective permissions (its own and its
// roles'), for a key that was found, when the request asked Permissions.
type VerifyKeyResponse struct {
	Valid     bool            `json:"valid"`
	Status    string          `json:"status"`
	ID        string          `json:"id,omitempty"`
	Namespace string          `json:"namespace,omitempty"`
	Owner     string          `json:"owner,omitempty"`
	Name      string          `json:"name,omitempty"`
	Meta      json.RawMessage `json:"meta,omitempty"`
	ExpiresAt *time.Time      `json:"expires_at,omitempty"`
	Remaining *int64          `json:"remaining,omitempty"`
	RateLimit *RateLimitState `json:"ratelimit,omitempty"`
	// RateLimits and Refill: see limits.go.
	RateLimits  []LimitState `json:"ratelimits,omitempty"`
	Refill      *RefillState `json:"refill,omitempty"`
	Permissions []string     `json:"permissions,omitempty"`
}

// VerifyKey verifies an API key (scope keys:verify): a key that is not
// valid is an answer with Valid false, not an error. It spends uses and
// rate-limit units, so it is not retried after a 503.
func (c *Client) VerifyKey(ctx context.Context, req VerifyKeyRequest) (VerifyKeyResponse, error) {
	var v VerifyKeyResponse
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/keys/verify", in: req, out: &v, want: http.StatusOK, auth: true})
	return v, err
}

// GetKey returns the key with this id (scope keys:read).
func (c *Client) GetKey(ctx context.Context, id string) (Key, error) {
	var k Key
	p, err := idPath("/v1/keys/", id, "")
	if err != nil {
		return k, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, route: "/v1/keys/{id}", out: &k, want: http.StatusOK, safe: true, auth: true})
	return k, err
}

// ListKeysOptions are the query of GET /v1/keys. An access key limited to
// some namespaces must name one of them.
type ListKeysOptions struct {
	Owner     string
	Namespace string
	// Status is active, expired, revoked or disabled; "" for any.
	Status     string
	NamePrefix string
	Limit      int    // 0: the service's default
	Cursor     string // from the previous page
}

// KeyList is a page of keys. Cursor is empty on the last page.
type KeyList struct {
	Keys   []Key  `json:"keys"`
	Cursor string `json:"cursor"`
}

// ListKeys returns a page of keys (scope keys:read).
func (c *Client) ListKeys(ctx context.Context, opts ListKeysOptions) (KeyList, error) {
	q := url.Values{}
	set(q, "owner", opts.Owner)
	set(q, "namespace", opts.Namespace)
	set(q, "status", opts.Status)
	set(q, "name_prefix", opts.NamePrefix)
	set(q, "cursor", opts.Cursor)
	if opts.Limit != 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	var l KeyList
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/keys", query: q, out: &l, want: http.StatusOK, safe: true, auth: true})
	return l, err
}

// Null is the JSON null: in an UpdateKeyRequest, Remaining: Null makes
// uses unlimited and ExpiresAt: Null makes the key never expire.
var Null = json.RawMessage("null")

// UpdateKeyRequest is the body of PATCH /v1/keys/{id}; a nil member is left
// as it is. Meta is a JSON object ({} clears it); Remaining a whole number
// or [Null]; ExpiresAt an RFC 3339 time in JSON or [Null]: see [Int] and
// [Time].
type UpdateKeyRequest struct {
	Enabled   *bool           `json:"enabled,omitempty"`
	Meta      json.RawMessage `json:"meta,omitempty"`
	Remaining json.RawMessage `json:"remaining,omitempty"`
	ExpiresAt json.RawMessage `json:"expires_at,omitempty"`
	// Refill is [RefillJSON] or [Null]; RateLimits is [RateLimitsJSON].
	Refill     json.RawMessage `json:"refill,omitempty"`
	RateLimits json.RawMessage `json:"ratelimits,omitempty"`
	Name       *string         `json:"name,omitempty"`
	Owner      *string         `json:"owner,omitempty"`
	// Roles and Permissions replace the key's; a pointer to an empty list
	// removes them all.
	Roles       *[]string `json:"roles,omitempty"`
	Permissions *[]string `json:"permissions,omitempty"`
}

// Int is n in JSON, for UpdateKeyRequest.Remaining.
func Int(n int64) json.RawMessage { return json.RawMessage(strconv.FormatInt(n, 10)) }

// Time is t in JSON, for UpdateKeyRequest.ExpiresAt.
func Time(t time.Time) json.RawMessage {
	return json.RawMessage(strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
}

// UpdateKey changes the key with this id (scope keys:update) and returns it
// as it is now. It sets values, so it is retried as GET is.
func (c *Client) UpdateKey(ctx context.Context, id string, req UpdateKeyRequest) (Key, error) {
	var k Key
	p, err := idPath("/v1/keys/", id, "")
	if err != nil {
		return k, err
	}
	err = c.do(ctx, call{method: http.MethodPatch, path: p, route: "/v1/keys/{id}", in: req, out: &k, want: http.StatusOK, safe: true, auth: true})
	return k, err
}

// RevokeKey revokes the key with this id (scope keys:revoke). Revoking a
// revoked key changes nothing.
func (c *Client) RevokeKey(ctx context.Context, id string) error {
	p, err := idPath("/v1/keys/", id, "")
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodDelete, path: p, route: "/v1/keys/{id}", want: http.StatusNoContent, safe: true, auth: true})
}

// RerollKeyRequest is the body of POST /v1/keys/{id}/reroll: Overlap is how
// many seconds the old key keeps working (default 0: it stops now).
type RerollKeyRequest struct {
	Overlap *int64 `json:"overlap,omitempty"`
}

// RerollKey replaces the key with this id by a new one with the same
// settings (scope keys:create); the answer's Key is the new plaintext.
// Not retried after a 503: a second reroll would answer 409.
func (c *Client) RerollKey(ctx context.Context, id string, req RerollKeyRequest) (Key, error) {
	var k Key
	p, err := idPath("/v1/keys/", id, "/reroll")
	if err != nil {
		return k, err
	}
	err = c.do(ctx, call{method: http.MethodPost, path: p, route: "/v1/keys/{id}/reroll", in: req, out: &k, want: http.StatusCreated, auth: true})
	return k, err
}

func set(q url.Values, name, v string) {
	if v != "" {
		q.Set(name, v)
	}
}
