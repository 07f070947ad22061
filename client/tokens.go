package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// DeliverRequest asks the service to send what it issues instead of
// answering it: by e-mail or webhook (Channel), to To, with a template.
type DeliverRequest struct {
	Channel  string          `json:"channel"`
	To       string          `json:"to"`
	Template string          `json:"template,omitempty"`
	Locale   string          `json:"locale,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
}

// DeliveryRef names the delivery of an issued token or code.
type DeliveryRef struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// IssueTokenRequest is the body of POST /v1/tokens. ExpiresIn is in
// seconds.
type IssueTokenRequest struct {
	Purpose      string          `json:"purpose"`
	Subject      string          `json:"subject"`
	ExpiresIn    *int64          `json:"expires_in,omitempty"`
	Bytes        *int            `json:"bytes,omitempty"`
	Meta         json.RawMessage `json:"meta,omitempty"`
	KeepExisting bool            `json:"keep_existing,omitempty"`
	Deliver      *DeliverRequest `json:"deliver,omitempty"`
}

// IssueTokenResponse is the answer of POST /v1/tokens. Token is empty when
// the token was delivered.
type IssueTokenResponse struct {
	ID        string       `json:"id"`
	Token     string       `json:"token,omitempty"`
	Purpose   string       `json:"purpose"`
	Subject   string       `json:"subject"`
	Bits      int          `json:"bits"`
	CreatedAt time.Time    `json:"created_at"`
	ExpiresAt time.Time    `json:"expires_at"`
	Delivery  *DeliveryRef `json:"delivery,omitempty"`
}

// IssueToken issues a one-time token (scope tokens:issue). Not retried
// after a 503.
func (c *Client) IssueToken(ctx context.Context, req IssueTokenRequest) (IssueTokenResponse, error) {
	var t IssueTokenResponse
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/tokens", in: req, out: &t, want: http.StatusCreated, auth: true})
	return t, err
}

// CheckTokenRequest is the body of POST /v1/tokens/verify and
// POST /v1/tokens/redeem.
type CheckTokenRequest struct {
	Purpose string `json:"purpose"`
	Token   string `json:"token"`
}

// CheckTokenResponse is their answer. Status is one of VALID, NOT_FOUND,
// EXPIRED, USED, REVOKED (see package token).
type CheckTokenResponse struct {
	Valid     bool            `json:"valid"`
	Status    string          `json:"status"`
	ID        string          `json:"id,omitempty"`
	Subject   string          `json:"subject,omitempty"`
	Meta      json.RawMessage `json:"meta,omitempty"`
	ExpiresAt *time.Time      `json:"expires_at,omitempty"`
}

// VerifyToken checks a token without using it (scope tokens:verify). It
// spends nothing, so it is retried as GET is.
func (c *Client) VerifyToken(ctx context.Context, req CheckTokenRequest) (CheckTokenResponse, error) {
	var v CheckTokenResponse
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/tokens/verify", in: req, out: &v, want: http.StatusOK, safe: true, auth: true})
	return v, err
}

// RedeemToken uses a token: of any number of redemptions of one token,
// exactly one is valid (scope tokens:verify). Not retried after a 503.
func (c *Client) RedeemToken(ctx context.Context, req CheckTokenRequest) (CheckTokenResponse, error) {
	var v CheckTokenResponse
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/tokens/redeem", in: req, out: &v, want: http.StatusOK, auth: true})
	return v, err
}

// RevokeTokens revokes every live token of this purpose and subject (scope
// tokens:revoke) and returns how many it revoked.
func (c *Client) RevokeTokens(ctx context.Context, purpose, subject string) (int64, error) {
	var out struct {
		Revoked int64 `json:"revoked"`
	}
	q := url.Values{"purpose": {purpose}, "subject": {subject}}
	err := c.do(ctx, call{method: http.MethodDelete, path: "/v1/tokens", query: q, out: &out, want: http.StatusOK, safe: true, auth: true})
	return out.Revoked, err
}
