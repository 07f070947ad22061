package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/audit"
)

// auditKey is the context key of a request's audit entry.
type auditKey struct{}

// auditEntry is what a state-changing call records, filled in by its
// handler as it learns the target.
type auditEntry struct {
	action    string
	target    string
	namespace string
	requestID string
}

// auditOf returns r's audit entry, or a throwaway one for a call that
// records none.
func auditOf(r *http.Request) *auditEntry {
	if e, ok := r.Context().Value(auditKey{}).(*auditEntry); ok {
		return e
	}
	return &auditEntry{}
}

// newRequestID returns the id of a state-changing request: 16 random hex
// digits, in the X-Request-Id header of the answer and in its audit record.
func newRequestID() string { return "req_" + secrets.TokenHex(16) }

// audit appends the record of a call that err ended (nil: it succeeded);
// the outcome is the error's code. A failure to record is logged: the call
// itself already took effect.
func (s *Server) audit(r *http.Request, e *auditEntry, err error) {
	outcome := "ok"
	if err != nil {
		outcome = codeUnavailableStore
		var ae *apiError
		if errors.As(err, &ae) {
			outcome = ae.Code
		}
	}
	k := caller(r)
	rec := audit.Record{ActorID: k.ID, ActorName: k.Name, Action: e.action, Target: e.target, Namespace: e.namespace,
		Outcome: outcome, RequestID: e.requestID}
	if aerr := s.auditLog.Append(context.WithoutCancel(r.Context()), rec); aerr != nil {
		s.httpLog.Error("audit record not written", logKeyRoute, routeLabel(r), logKeyErr, aerr)
	}
}
