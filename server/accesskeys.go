package server

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/store"
)

// accessKeyJSON describes an access key; Key, the plaintext, is set only
// in the answer to its creation.
type accessKeyJSON struct {
	ID         string    `json:"id"`
	Key        string    `json:"key,omitzero"`
	Start      string    `json:"start"`
	Name       string    `json:"name"`
	Scopes     []string  `json:"scopes"`
	Namespaces []string  `json:"namespaces"`
	CreatedAt  timestamp `json:"created_at"`
	LastUsedAt timestamp `json:"last_used_at"`
	RevokedAt  timestamp `json:"revoked_at"`
}

func accessJSON(k access.Key, plaintext string) accessKeyJSON {
	return accessKeyJSON{ID: k.ID, Key: plaintext, Start: k.Start, Name: k.Name, Scopes: k.Scopes, Namespaces: k.Namespaces,
		CreatedAt: timestamp(k.CreatedAt), LastUsedAt: timestamp(k.LastUsedAt), RevokedAt: timestamp(k.RevokedAt)}
}

type createAccessKeyRequest struct {
	Name       string   `json:"name"`
	Scopes     []string `json:"scopes"`
	Namespaces []string `json:"namespaces"`
}

func (s *Server) createAccessKey(w http.ResponseWriter, r *http.Request) error {
	var req createAccessKeyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Namespaces == nil {
		return invalid("namespaces", `namespaces is required: the namespaces whose keys this access key may touch, or ["*"] for all`)
	}
	// An access key makes no key that could do more than itself: a key of
	// access:manage limited to some namespaces or scopes cannot widen them.
	if lacking, isNamespace, ok := caller(r).Covers(req.Scopes, req.Namespaces); !ok {
		if isNamespace {
			e := forbiddenNamespace(lacking)
			e.Field = "namespaces"
			e.Message = "this access key may not make a key for the namespace " + strconv.Quote(lacking) + ", which it may not touch itself"
			return e
		}
		e := forbidden(lacking)
		e.Field = "scopes"
		e.Message = "this access key may not make a key with the scope " + lacking + ", which it lacks itself"
		return e
	}
	created, err := s.access.Create(r.Context(), req.Name, req.Scopes, req.Namespaces)
	if err != nil {
		return accessError(err)
	}
	auditOf(r).target = created.ID
	writeJSON(w, http.StatusCreated, accessJSON(created.Key, created.Plaintext))
	return nil
}

type listAccessKeysResponse struct {
	AccessKeys []accessKeyJSON `json:"access_keys"`
	Cursor     *string         `json:"cursor"`
}

func (s *Server) listAccessKeys(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "limit", "cursor")
	if err != nil {
		return err
	}
	limit, err := limitParam(q, 100, 500)
	if err != nil {
		return err
	}
	if c := q["cursor"]; c != "" && !store.IsID("ak", c) {
		return invalid("cursor", "cursor is not a cursor of this list: pass the cursor of the previous page, or none to start again")
	}
	ks, err := s.access.List(r.Context(), q["cursor"], limit+1)
	if err != nil {
		return accessError(err)
	}
	out := listAccessKeysResponse{AccessKeys: []accessKeyJSON{}}
	if len(ks) > limit {
		ks = ks[:limit]
		out.Cursor = &ks[limit-1].ID
	}
	// The page holds the keys the caller manages; the cursor follows the
	// keys read, so a page may hold fewer than limit.
	for _, k := range ks {
		if manages(r, k) {
			out.AccessKeys = append(out.AccessKeys, accessJSON(k, ""))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// manages reports whether the caller may see and revoke k: only a key it
// could have made itself, no wider in scopes or namespaces, as a limited
// key of access:manage makes. The root key manages every key.
func manages(r *http.Request, k access.Key) bool {
	_, _, ok := caller(r).Covers(k.Scopes, k.Namespaces)
	return ok
}

// managedAccessKey is the access key of the path's id, or a 404, as for an
// id that does not exist, if the caller does not manage it.
func (s *Server) managedAccessKey(r *http.Request) (access.Key, error) {
	k, err := s.access.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return access.Key{}, accessError(err)
	}
	if !manages(r, k) {
		return access.Key{}, accessError(access.ErrNotFound)
	}
	return k, nil
}

func (s *Server) getAccessKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.managedAccessKey(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, accessJSON(k, ""))
	return nil
}

func (s *Server) revokeAccessKey(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.managedAccessKey(r); err != nil {
		return err
	}
	if _, err := s.access.Revoke(r.Context(), r.PathValue("id")); err != nil {
		return accessError(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// accessError maps the errors of package access.
func accessError(err error) error {
	var ie *store.InvalidError
	switch {
	case errors.As(err, &ie):
		return invalid(ie.Field, "%s %s", ie.Field, ie.Reason)
	case errors.Is(err, access.ErrNotFound):
		return notFound("no access key with this id")
	}
	return err
}

// limitParam is the query parameter limit, def when absent, checked
// against [1, most].
func limitParam(q map[string]string, def, most int) (int, error) {
	v, ok := q["limit"]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, invalid("limit", "limit must be a whole number from 1 to %d", most)
	}
	return n, nil
}

type auditRecordJSON struct {
	ID        string    `json:"id"`
	At        timestamp `json:"at"`
	ActorID   string    `json:"actor_id"`
	ActorName string    `json:"actor_name"`
	Action    string    `json:"action"`
	Target    string    `json:"target"`
	Namespace string    `json:"namespace"`
	Outcome   string    `json:"outcome"`
	RequestID string    `json:"request_id"`
}

type listAuditResponse struct {
	Records []auditRecordJSON `json:"records"`
	Cursor  *string           `json:"cursor"`
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "actor", "action", "target", "from", "to", "limit", "cursor")
	if err != nil {
		return err
	}
	limit, err := limitParam(q, 100, 500)
	if err != nil {
		return err
	}
	if c := q["cursor"]; c != "" && !store.IsID("aud", c) {
		return invalid("cursor", "cursor is not a cursor of this list: pass the cursor of the previous page, or none to start again")
	}
	f := store.AuditFilter{Actor: q["actor"], Action: q["action"], Target: q["target"], After: q["cursor"], Limit: limit + 1}
	// A key limited to some namespaces reads the records of those only:
	// not the calls on other namespaces' keys, nor those that name none
	// (access keys, tokens, codes).
	if ns := caller(r).Namespaces; !slices.Contains(ns, access.AllNamespaces) {
		f.Namespaces = ns
	}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v, ok := q[p.name]; ok {
			if *p.t, err = parseTime(p.name, v); err != nil {
				return err
			}
		}
	}
	recs, err := s.auditLog.List(r.Context(), f)
	if err != nil {
		return accessError(err)
	}
	out := listAuditResponse{Records: []auditRecordJSON{}}
	if len(recs) > limit {
		recs = recs[:limit]
		out.Cursor = &recs[limit-1].ID
	}
	for _, rec := range recs {
		out.Records = append(out.Records, auditRecordJSON{ID: rec.ID, At: timestamp(rec.At), ActorID: rec.ActorID, ActorName: rec.ActorName,
			Action: rec.Action, Target: rec.Target, Namespace: rec.Namespace, Outcome: rec.Outcome, RequestID: rec.RequestID})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
