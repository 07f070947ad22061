package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Refill sets a key's remaining uses to Amount daily at 00:00 UTC, or
// monthly at 00:00 UTC on Day (1 to 31, default 1; a day past a month's end
// means its last day). The first verification after a refill time applies
// it, so none is lost while the service is down.
type Refill struct {
	Interval string `json:"interval"` // "daily" or "monthly"
	Amount   int64  `json:"amount"`
	Day      int    `json:"day,omitempty"` // monthly only
}

// NamedRateLimit is a named rate limit of a key or an owner: at most Limit
// uses per Window seconds.
type NamedRateLimit struct {
	Name   string `json:"name"`
	Limit  int64  `json:"limit"`
	Window int64  `json:"window"`
}

// LimitCost names a rate limit for a verification to spend from; a nil
// Cost spends the verification's cost.
type LimitCost struct {
	Name string `json:"name"`
	Cost *int64 `json:"cost,omitempty"`
}

// LimitState is a named rate limit after a verification. Scope is "key" for
// the key's own limit, "owner" for its owner's.
type LimitState struct {
	Name      string    `json:"name"`
	Scope     string    `json:"scope"`
	Limit     int64     `json:"limit"`
	Remaining int64     `json:"remaining"`
	Reset     time.Time `json:"reset"`
}

// RefillState is a key's refill after a verification: the credits left and
// the next refill time.
type RefillState struct {
	Interval     string    `json:"interval"`
	Amount       int64     `json:"amount"`
	Day          int       `json:"day,omitempty"`
	Remaining    int64     `json:"remaining"`
	NextRefillAt time.Time `json:"next_refill_at"`
}

// RefillJSON is r in JSON, for UpdateKeyRequest.Refill ([Null] removes
// the refill).
func RefillJSON(r Refill) json.RawMessage {
	b, _ := json.Marshal(r) // strings and numbers: cannot fail
	return b
}

// RateLimitsJSON is ls in JSON, for UpdateKeyRequest.RateLimits (none, or
// [Null], removes them).
func RateLimitsJSON(ls []NamedRateLimit) json.RawMessage {
	if ls == nil {
		ls = []NamedRateLimit{}
	}
	b, _ := json.Marshal(ls)
	return b
}

// OwnerLimit is one of an owner's named rate limits with its current
// window.
type OwnerLimit struct {
	Name      string    `json:"name"`
	Limit     int64     `json:"limit"`
	Window    int64     `json:"window"`
	Remaining int64     `json:"remaining"`
	Reset     time.Time `json:"reset"`
}

// OwnerRateLimits are the named rate limits shared by all keys of Owner in
// Namespace.
type OwnerRateLimits struct {
	Namespace  string       `json:"namespace"`
	Owner      string       `json:"owner"`
	RateLimits []OwnerLimit `json:"ratelimits"`
}

type setOwnerRateLimitsRequest struct {
	RateLimits []NamedRateLimit `json:"ratelimits"`
}

func ownerPath(owner, namespace string) (string, url.Values, error) {
	p, err := idPath("/v1/owners/", owner, "/ratelimits")
	q := url.Values{}
	set(q, "namespace", namespace)
	return p, q, err
}

// SetOwnerRateLimits replaces the named rate limits shared by the keys of
// owner in namespace ("": the default namespace) (scope keys:update); none
// removes them. A limit whose name stays keeps its window. It sets values,
// so it is retried as GET is.
func (c *Client) SetOwnerRateLimits(ctx context.Context, namespace, owner string, ls []NamedRateLimit) (OwnerRateLimits, error) {
	var o OwnerRateLimits
	p, q, err := ownerPath(owner, namespace)
	if err != nil {
		return o, err
	}
	if ls == nil {
		ls = []NamedRateLimit{}
	}
	err = c.do(ctx, call{method: http.MethodPut, path: p, query: q, route: "/v1/owners/{owner}/ratelimits", in: setOwnerRateLimitsRequest{ls},
		out: &o, want: http.StatusOK, safe: true, auth: true})
	return o, err
}

// OwnerRateLimits returns the named rate limits of owner in namespace
// ("": the default namespace) (scope keys:read).
func (c *Client) OwnerRateLimits(ctx context.Context, namespace, owner string) (OwnerRateLimits, error) {
	var o OwnerRateLimits
	p, q, err := ownerPath(owner, namespace)
	if err != nil {
		return o, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, query: q, route: "/v1/owners/{owner}/ratelimits", out: &o, want: http.StatusOK, safe: true, auth: true})
	return o, err
}
