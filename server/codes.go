package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/internal/argcheck"
	"github.com/unguessable/secrets/otp"
	"github.com/unguessable/secrets/store"
)

var maxCodeSeconds = int64(code.MaxTTL / time.Second)

// minCodeDigits is the shortest code the service issues: 4 and 5 digits
// are for programs that bound guessing further themselves (package code
// says what they cost).
const minCodeDigits = 6

type issueCodeRequest struct {
	Purpose     string `json:"purpose"`
	Subject     string `json:"subject"`
	Digits      *int   `json:"digits"`
	ExpiresIn   *int64 `json:"expires_in"`
	MaxAttempts *int   `json:"max_attempts"`
	// MaxFailures and FailureWindow (seconds) are the failure budget of
	// the purpose and subject while this code is the latest.
	MaxFailures   *int   `json:"max_failures"`
	FailureWindow *int64 `json:"failure_window"`

	Deliver *deliverRequest `json:"deliver"` // send the code instead of answering it
}

type issueCodeResponse struct {
	ID           string    `json:"id"`
	Code         string    `json:"code,omitzero"` // omitted when delivered
	Purpose      string    `json:"purpose"`
	Subject      string    `json:"subject"`
	CreatedAt    timestamp `json:"created_at"`
	ExpiresAt    timestamp `json:"expires_at"`
	AttemptsLeft int       `json:"attempts_left"`

	Delivery *deliveryRef `json:"delivery,omitzero"`
}

func (s *Server) issueCode(w http.ResponseWriter, r *http.Request) error {
	var req issueCodeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := required("purpose", req.Purpose, "subject", req.Subject); err != nil {
		return err
	}
	var opts code.IssueOptions
	if req.Digits != nil {
		if *req.Digits < minCodeDigits || *req.Digits > otp.MaxDigits {
			return invalid("digits", "digits must be between %d and %d", minCodeDigits, otp.MaxDigits)
		}
		opts.Digits = *req.Digits
	}
	if req.ExpiresIn != nil {
		d, err := seconds("expires_in", *req.ExpiresIn, 1, maxCodeSeconds)
		if err != nil {
			return err
		}
		opts.TTL = d
	}
	if req.MaxAttempts != nil {
		if *req.MaxAttempts < 1 || *req.MaxAttempts > code.MaxMaxAttempts {
			return invalid("max_attempts", "max_attempts must be between 1 and %d", code.MaxMaxAttempts)
		}
		opts.MaxAttempts = *req.MaxAttempts
	}
	if req.MaxFailures != nil {
		if *req.MaxFailures < 1 || *req.MaxFailures > code.MaxMaxFailures {
			return invalid("max_failures", "max_failures must be between 1 and %d", code.MaxMaxFailures)
		}
		opts.MaxFailures = *req.MaxFailures
	}
	if req.FailureWindow != nil {
		d, err := seconds("failure_window", *req.FailureWindow, int64(code.MinFailureWindow/time.Second), int64(code.MaxFailureWindow/time.Second))
		if err != nil {
			return err
		}
		opts.FailureWindow = d
	}
	if req.Deliver != nil {
		var err error
		if opts.Deliver, err = s.enqueue(deliver.KindCode, req.Purpose, req.Deliver); err != nil {
			return err
		}
	}
	c, err := s.codes.Issue(r.Context(), req.Purpose, req.Subject, opts)
	if err != nil {
		return codeError(err)
	}
	if c.DeliveryID != "" {
		s.queued()
	}
	auditOf(r).target = c.ID
	writeJSON(w, http.StatusCreated, issueCodeResponse{ID: c.ID, Code: c.Code, Purpose: c.Purpose, Subject: c.Subject,
		CreatedAt: timestamp(c.CreatedAt), ExpiresAt: timestamp(c.ExpiresAt), AttemptsLeft: c.AttemptsLeft, Delivery: deliveryOf(c.DeliveryID)})
	return nil
}

type verifyCodeRequest struct {
	Purpose string `json:"purpose"`
	Subject string `json:"subject"`
	Code    string `json:"code"`
}

type verifyCodeResponse struct {
	Valid        bool        `json:"valid"`
	Status       code.Status `json:"status"`
	AttemptsLeft int         `json:"attempts_left"`
}

func (s *Server) verifyCode(w http.ResponseWriter, r *http.Request) error {
	var req verifyCodeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := required("purpose", req.Purpose, "subject", req.Subject, "code", req.Code); err != nil {
		return err
	}
	// A check is counted by its purpose as given: it must be a name the
	// store keeps.
	if err := argcheck.First(argcheck.Name("code", "purpose", req.Purpose, true), argcheck.Name("code", "subject", req.Subject, true)); err != nil {
		return codeError(err)
	}
	res, err := s.codes.Check(r.Context(), req.Purpose, req.Subject, req.Code)
	if err != nil {
		return codeError(err)
	}
	s.metrics.outcome("codes.verify", res.Status.String())
	s.analytics.RecordCode(req.Purpose, res.Status.String(), s.clock.Now())
	writeJSON(w, http.StatusOK, verifyCodeResponse{Valid: res.Valid(), Status: res.Status, AttemptsLeft: res.AttemptsLeft})
	return nil
}

// codeError maps the errors of package code: bad arguments to 400, the send
// throttle to 429 with Retry-After; anything else is internal.
func codeError(err error) error {
	var ie *store.InvalidError
	var te *code.ThrottledError
	switch {
	case errors.As(err, &ie):
		field := ie.Field
		if field == "ttl" {
			field = "expires_in"
		}
		return invalid(field, "%s %s", field, ie.Reason)
	case errors.As(err, &te):
		secs := max(int64((te.RetryAfter+time.Second-1)/time.Second), 1)
		return &apiError{Status: http.StatusTooManyRequests, Code: codeTooManyRequests, RetryAfter: secs,
			Message: "too many codes were sent to this subject for this purpose; retry after the time in Retry-After"}
	}
	return err
}
