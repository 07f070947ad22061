package server

import (
	"net/http"
	"time"

	"github.com/unguessable/secrets/keys"
)

// ownerRateLimitsRequest replaces an owner's named rate limits.
type ownerRateLimitsRequest struct {
	RateLimits *[]namedRateLimitJSON `json:"ratelimits"`
}

// ownerLimitState is one of an owner's named rate limits, with its window.
type ownerLimitState struct {
	Name      string    `json:"name"`
	Limit     int64     `json:"limit"`
	Window    int64     `json:"window"`
	Remaining int64     `json:"remaining"`
	Reset     timestamp `json:"reset"`
}

// ownerRateLimitsResponse is an owner's named rate limits.
type ownerRateLimitsResponse struct {
	Namespace  string            `json:"namespace"`
	Owner      string            `json:"owner"`
	RateLimits []ownerLimitState `json:"ratelimits"`
}

func ownerRateLimitsOut(o keys.OwnerLimits) ownerRateLimitsResponse {
	out := ownerRateLimitsResponse{Namespace: o.Namespace, Owner: o.Owner, RateLimits: make([]ownerLimitState, len(o.RateLimits))}
	for i, l := range o.RateLimits {
		out.RateLimits[i] = ownerLimitState{Name: l.Name, Limit: l.Limit, Window: int64(l.Window / time.Second), Remaining: l.Remaining, Reset: timestamp(l.Reset)}
	}
	return out
}

// ownerNamespace is the namespace of an owner's call (?namespace=, by
// default the default namespace), which the caller must see.
func ownerNamespace(r *http.Request) (string, error) {
	q, err := query(r, "namespace")
	if err != nil {
		return "", err
	}
	ns := q["namespace"]
	if ns == "" {
		ns = keys.DefaultNamespace
	}
	if !seesNamespace(r, ns) {
		return "", forbiddenNamespace(ns)
	}
	auditOf(r).namespace = ns
	return ns, nil
}

func (s *Server) putOwnerRateLimits(w http.ResponseWriter, r *http.Request) error {
	var req ownerRateLimitsRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.RateLimits == nil {
		return invalid("ratelimits", "ratelimits is required: an array of {\"name\", \"limit\", \"window\"}; [] removes the owner's limits")
	}
	ls, err := namedRateLimits("ratelimits", *req.RateLimits)
	if err != nil {
		return err
	}
	ns, err := ownerNamespace(r)
	if err != nil {
		return err
	}
	owner := r.PathValue("owner")
	auditOf(r).target = owner
	o, err := s.keys.SetOwnerRateLimits(r.Context(), ns, owner, ls)
	if err != nil {
		return keysError(err)
	}
	writeJSON(w, http.StatusOK, ownerRateLimitsOut(o))
	return nil
}

func (s *Server) getOwnerRateLimits(w http.ResponseWriter, r *http.Request) error {
	ns, err := ownerNamespace(r)
	if err != nil {
		return err
	}
	o, err := s.keys.OwnerRateLimits(r.Context(), ns, r.PathValue("owner"))
	if err != nil {
		return keysError(err)
	}
	writeJSON(w, http.StatusOK, ownerRateLimitsOut(o))
	return nil
}
