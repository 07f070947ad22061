package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/internal/argcheck"
	"github.com/unguessable/secrets/store"

	"github.com/unguessable/secrets/token"
)

var maxTokenSeconds = int64(token.MaxTTL / time.Second)

type issueTokenRequest struct {
	Purpose      string         `json:"purpose"`
	Subject      string         `json:"subject"`
	ExpiresIn    *int64         `json:"expires_in"`
	Bytes        *int           `json:"bytes"`
	Meta         jsontext.Value `json:"meta"`
	KeepExisting bool           `json:"keep_existing"`

	Deliver *deliverRequest `json:"deliver"` // send the token instead of answering it
}

type issueTokenResponse struct {
	ID        string    `json:"id"`
	Token     string    `json:"token,omitzero"` // omitted when delivered
	Purpose   string    `json:"purpose"`
	Subject   string    `json:"subject"`
	Bits      int       `json:"bits"`
	CreatedAt timestamp `json:"created_at"`
	ExpiresAt timestamp `json:"expires_at"`

	Delivery *deliveryRef `json:"delivery,omitzero"`
}

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) error {
	var req issueTokenRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := required("purpose", req.Purpose, "subject", req.Subject); err != nil {
		return err
	}
	opts := token.IssueOptions{Meta: nullToNil(req.Meta), KeepExisting: req.KeepExisting}
	if req.ExpiresIn != nil {
		d, err := seconds("expires_in", *req.ExpiresIn, 1, maxTokenSeconds)
		if err != nil {
			return err
		}
		opts.TTL = d
	}
	if req.Bytes != nil {
		if *req.Bytes < token.MinBytes || *req.Bytes > token.MaxBytes {
			return invalid("bytes", "bytes must be between %d and %d", token.MinBytes, token.MaxBytes)
		}
		opts.Bytes = *req.Bytes
	}
	if req.Deliver != nil {
		var err error
		if opts.Deliver, err = s.enqueue(deliver.KindLink, req.Purpose, req.Deliver); err != nil {
			return err
		}
	}
	t, err := s.tokens.Issue(r.Context(), req.Purpose, req.Subject, opts)
	if err != nil {
		return tokenError(err)
	}
	if t.DeliveryID != "" {
		s.queued()
	}
	auditOf(r).target = t.ID
	writeJSON(w, http.StatusCreated, issueTokenResponse{ID: t.ID, Token: t.Token, Purpose: t.Purpose, Subject: t.Subject,
		Bits: t.Bits, CreatedAt: timestamp(t.CreatedAt), ExpiresAt: timestamp(t.ExpiresAt), Delivery: deliveryOf(t.DeliveryID)})
	return nil
}

type checkTokenRequest struct {
	Purpose string  `json:"purpose"`
	Token   *string `json:"token"` // nil: absent, a 400; "": NOT_FOUND, as any token that is not one
}

type checkTokenResponse struct {
	Valid     bool           `json:"valid"`
	Status    token.Status   `json:"status"`
	ID        string         `json:"id,omitzero"`
	Subject   string         `json:"subject,omitzero"`
	Meta      jsontext.Value `json:"meta,omitzero"`
	ExpiresAt *timestamp     `json:"expires_at,omitzero"`
}

func (s *Server) verifyToken(w http.ResponseWriter, r *http.Request) error {
	return s.checkToken(w, r, "tokens.verify", s.tokens.Verify)
}

func (s *Server) redeemToken(w http.ResponseWriter, r *http.Request) error {
	return s.checkToken(w, r, "tokens.redeem", s.tokens.Redeem)
}

type tokenCheck = func(ctx context.Context, purpose, token string) (token.Result, error)

func (s *Server) checkToken(w http.ResponseWriter, r *http.Request, op string, check tokenCheck) error {
	var req checkTokenRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := required("purpose", req.Purpose); err != nil {
		return err
	}
	// A redemption is counted by its purpose as given: it must be a name
	// the store keeps.
	if err := argcheck.Name("token", "purpose", req.Purpose, true); err != nil {
		return tokenError(err)
	}
	if req.Token == nil {
		return invalid("token", "token is required")
	}
	res, err := check(r.Context(), req.Purpose, *req.Token)
	if err != nil {
		return tokenError(err)
	}
	s.metrics.outcome(op, res.Status.String())
	if op == "tokens.redeem" {
		s.analytics.RecordToken(req.Purpose, res.Status.String(), s.clock.Now())
	}
	out := checkTokenResponse{Valid: res.Valid(), Status: res.Status, ID: res.ID, Subject: res.Subject, Meta: rawJSON(res.Meta)}
	if !res.ExpiresAt.IsZero() {
		t := timestamp(res.ExpiresAt)
		out.ExpiresAt = &t
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) revokeTokens(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "purpose", "subject")
	if err != nil {
		return err
	}
	if err := required("purpose", q["purpose"], "subject", q["subject"]); err != nil {
		return err
	}
	auditOf(r).target = q["purpose"] + "/" + q["subject"]
	n, err := s.tokens.RevokeSubject(r.Context(), q["purpose"], q["subject"])
	if err != nil {
		return tokenError(err)
	}
	writeJSON(w, http.StatusOK, map[string]int64{"revoked": n})
	return nil
}

// tokenError maps the errors of package token: bad arguments to 400 (the
// manager's "ttl" is the request's expires_in); anything else is internal.
func tokenError(err error) error {
	var ie *store.InvalidError
	if errors.As(err, &ie) {
		field := ie.Field
		if field == "ttl" {
			field = "expires_in"
		}
		return invalid(field, "%s %s", field, ie.Reason)
	}
	return err
}

// required returns a 400 for the first empty value of the name, value
// pairs.
func required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return invalid(pairs[i], "%s is required", pairs[i])
		}
	}
	return nil
}
