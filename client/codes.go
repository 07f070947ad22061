package client

import (
	"context"
	"net/http"
	"time"
)

// IssueCodeRequest is the body of POST /v1/codes. ExpiresIn and
// FailureWindow are in seconds.
type IssueCodeRequest struct {
	Purpose       string          `json:"purpose"`
	Subject       string          `json:"subject"`
	Digits        *int            `json:"digits,omitempty"`
	ExpiresIn     *int64          `json:"expires_in,omitempty"`
	MaxAttempts   *int            `json:"max_attempts,omitempty"`
	MaxFailures   *int            `json:"max_failures,omitempty"`
	FailureWindow *int64          `json:"failure_window,omitempty"`
	Deliver       *DeliverRequest `json:"deliver,omitempty"`
}

// IssueCodeResponse is the answer of POST /v1/codes. Code is empty when
// the code was delivered.
type IssueCodeResponse struct {
	ID           string       `json:"id"`
	Code         string       `json:"code,omitempty"`
	Purpose      string       `json:"purpose"`
	Subject      string       `json:"subject"`
	CreatedAt    time.Time    `json:"created_at"`
	ExpiresAt    time.Time    `json:"expires_at"`
	AttemptsLeft int          `json:"attempts_left"`
	Delivery     *DeliveryRef `json:"delivery,omitempty"`
}

// IssueCode issues a one-time code (scope codes:issue). Not retried after
// a 503.
func (c *Client) IssueCode(ctx context.Context, req IssueCodeRequest) (IssueCodeResponse, error) {
	var r IssueCodeResponse
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/codes", in: req, out: &r, want: http.StatusCreated, auth: true})
	return r, err
}

// VerifyCodeRequest is the body of POST /v1/codes/verify.
type VerifyCodeRequest struct {
	Purpose string `json:"purpose"`
	Subject string `json:"subject"`
	Code    string `json:"code"`
}

// VerifyCodeResponse is its answer. Status is one of APPROVED, INVALID,
// EXPIRED, MAX_ATTEMPTS, NOT_FOUND (see package code).
type VerifyCodeResponse struct {
	Valid        bool   `json:"valid"`
	Status       string `json:"status"`
	AttemptsLeft int    `json:"attempts_left"`
}

// VerifyCode checks a code (scope codes:verify); every check counts an
// attempt, so it is not retried after a 503.
func (c *Client) VerifyCode(ctx context.Context, req VerifyCodeRequest) (VerifyCodeResponse, error) {
	var r VerifyCodeResponse
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/codes/verify", in: req, out: &r, want: http.StatusOK, auth: true})
	return r, err
}
