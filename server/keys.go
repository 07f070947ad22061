package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/analytics"
	"github.com/unguessable/secrets/apikey"
	"github.com/unguessable/secrets/internal/argcheck"
	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/store"
)

// maxSeconds is the longest duration in seconds a request may give: the
// longest a key may live.
var maxKeySeconds = int64(keys.MaxLifetime / time.Second)

// maxWindowSeconds is the longest rate-limit window.
var maxWindowSeconds = int64(keys.MaxWindow / time.Second)

// rateLimitJSON is a rate limit: at most limit uses per window seconds.
type rateLimitJSON struct {
	Limit  int64 `json:"limit"`
	Window int64 `json:"window"`
}

// keyJSON describes a key; Key, the plaintext, is set only when the key was
// just created or rerolled.
type keyJSON struct {
	ID        string         `json:"id"`
	Key       string         `json:"key,omitzero"`
	Start     string         `json:"start"`
	Prefix    string         `json:"prefix"`
	Namespace string         `json:"namespace"`
	Owner     string         `json:"owner"`
	Name      string         `json:"name"`
	Meta      jsontext.Value `json:"meta"`
	Enabled   bool           `json:"enabled"`
	CreatedAt timestamp      `json:"created_at"`
	UpdatedAt timestamp      `json:"updated_at"`
	ExpiresAt timestamp      `json:"expires_at"`
	RevokedAt timestamp      `json:"revoked_at"`
	Remaining *int64         `json:"remaining"`
	RateLimit *rateLimitJSON `json:"ratelimit"`
	// LastUsedAt is written by the analytics flush, at most once a minute
	// per key and instance: up to a minute and a second late.
	LastUsedAt timestamp `json:"last_used_at"`
	// Refill and RateLimits: see limits.go.
	Refill     *refillJSON          `json:"refill"`
	RateLimits []namedRateLimitJSON `json:"ratelimits"`
	// Roles and Permissions are the key's roles and its own permissions
	// ([] for none).
	Roles       []string `json:"roles"`
	Permissions []string `json:"permissions"`
}

func keyInfoJSON(i keys.Info, plaintext string) keyJSON {
	k := keyJSON{ID: i.ID, Key: plaintext, Start: i.Start, Prefix: i.Prefix, Namespace: i.Namespace, Owner: i.Owner,
		Name: i.Name, Meta: rawJSON(i.Meta), Enabled: i.Enabled, CreatedAt: timestamp(i.CreatedAt), UpdatedAt: timestamp(i.UpdatedAt),
		ExpiresAt: timestamp(i.ExpiresAt), RevokedAt: timestamp(i.RevokedAt), Remaining: i.Remaining,
		LastUsedAt: timestamp(i.LastUsedAt),
		Roles:      nonNil(i.Roles), Permissions: nonNil(i.Permissions)}
	if rl := i.RateLimit; rl != nil {
		k.RateLimit = &rateLimitJSON{Limit: rl.Limit, Window: int64(rl.Window / time.Second)}
	}
	k.Refill, k.RateLimits = refillOut(i.Refill), namedRateLimitsOut(i.RateLimits)
	return k
}

type createKeyRequest struct {
	Prefix    string         `json:"prefix"`
	Namespace string         `json:"namespace"`
	Owner     string         `json:"owner"`
	Name      string         `json:"name"`
	Meta      jsontext.Value `json:"meta"`
	ExpiresIn *int64         `json:"expires_in"`
	ExpiresAt *string        `json:"expires_at"`
	Remaining *int64         `json:"remaining"`
	RateLimit *rateLimitJSON `json:"ratelimit"`
	// Refill and RateLimits: see limits.go.
	Refill      *refillJSON          `json:"refill"`
	RateLimits  []namedRateLimitJSON `json:"ratelimits"`
	Roles       []string             `json:"roles"`
	Permissions []string             `json:"permissions"`
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	var req createKeyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Prefix == "" {
		return invalid("prefix", "prefix is required, such as \"sk_live_\"")
	}
	if !seesNamespace(r, req.Namespace) {
		return forbiddenNamespace(req.Namespace)
	}
	opts := keys.CreateOptions{Prefix: req.Prefix, Namespace: req.Namespace, Owner: req.Owner, Name: req.Name,
		Meta: nullToNil(req.Meta), Remaining: req.Remaining, Roles: req.Roles, Permissions: req.Permissions}
	switch {
	case req.ExpiresIn != nil && req.ExpiresAt != nil:
		return invalid("expires_at", "give expires_in or expires_at, not both")
	case req.ExpiresIn != nil:
		d, err := seconds("expires_in", *req.ExpiresIn, 1, maxKeySeconds)
		if err != nil {
			return err
		}
		opts.ExpiresAt = s.clock.Now().Add(d)
	case req.ExpiresAt != nil:
		t, err := parseTime("expires_at", *req.ExpiresAt)
		if err != nil {
			return err
		}
		opts.ExpiresAt = t
	}
	if rl := req.RateLimit; rl != nil {
		if rl.Limit < 1 || rl.Limit > keys.MaxRateLimit {
			return invalid("ratelimit.limit", "ratelimit.limit must be between 1 and %d", int64(keys.MaxRateLimit))
		}
		window, err := seconds("ratelimit.window", rl.Window, 1, maxWindowSeconds)
		if err != nil {
			return err
		}
		opts.RateLimit = &store.RateLimit{Limit: rl.Limit, Window: window}
	}
	var err error
	if opts.Refill, err = req.Refill.refill("refill"); err != nil {
		return err
	}
	if opts.RateLimits, err = namedRateLimits("ratelimits", req.RateLimits); err != nil {
		return err
	}
	created, err := s.keys.Create(r.Context(), opts)
	if err != nil {
		return keysError(err)
	}
	e := auditOf(r)
	e.target, e.namespace = created.ID, created.Namespace
	writeJSON(w, http.StatusCreated, keyInfoJSON(created.Info, created.Key))
	return nil
}

type verifyKeyRequest struct {
	Key       *string `json:"key"` // nil: absent, a 400; "": MALFORMED, as any key that is not one
	Namespace string  `json:"namespace"`
	Cost      *int64  `json:"cost"`
	// Tags count the verification in the analytics under each "k=v".
	Tags []string `json:"tags"`
	// RateLimits names the rate limits to spend from (limits.go); absent:
	// all of them, at cost.
	RateLimits []limitCostJSON `json:"ratelimits"`
	// Permissions is a permission query such as "a AND (b OR c)".
	Permissions string `json:"permissions"`
}

type rateLimitState struct {
	Limit     int64     `json:"limit"`
	Remaining int64     `json:"remaining"`
	Reset     timestamp `json:"reset"`
}

// verifyKeyResponse is the answer to a verification. The omitzero fields
// are left out when unset (nil, or ""); omitempty would also leave out
// metadata that is {}.
type verifyKeyResponse struct {
	Valid     bool            `json:"valid"`
	Status    keys.Status     `json:"status"`
	ID        string          `json:"id,omitzero"`
	Namespace string          `json:"namespace,omitzero"`
	Owner     string          `json:"owner,omitzero"`
	Name      string          `json:"name,omitzero"`
	Meta      jsontext.Value  `json:"meta,omitzero"`
	ExpiresAt *timestamp      `json:"expires_at,omitzero"`
	Remaining *int64          `json:"remaining,omitzero"`
	RateLimit *rateLimitState `json:"ratelimit,omitzero"`
	// Permissions are the key's effective permissions (its own and its
	// roles'), for a key that was found by a verification that asked
	// permissions.
	Permissions []string `json:"permissions,omitzero"`
	// RateLimits and Refill: see limits.go.
	RateLimits []namedLimitState `json:"ratelimits,omitzero"`
	Refill     *refillState      `json:"refill,omitzero"`
}

func (s *Server) verifyKey(w http.ResponseWriter, r *http.Request) error {
	var req verifyKeyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Key == nil {
		return invalid("key", "key is required")
	}
	if err := analytics.CheckTags(req.Tags); err != nil {
		return keysError(err)
	}
	if i := tagHoldingKey(req.Tags, *req.Key); i >= 0 {
		return invalid("tags", "tags[%d] holds the key being verified: tags are stored and shown as they are, so they must not carry it", i)
	}
	// The namespace is counted by the analytics as it is given, so it must
	// be a name the store keeps and must not carry a key.
	if req.Namespace != "" {
		if err := argcheck.Name("keys", "namespace", req.Namespace, true); err != nil {
			return keysError(err)
		}
		if i, _ := apikey.Find(req.Namespace); i >= 0 || tagHoldingKey([]string{req.Namespace}, *req.Key) >= 0 {
			return invalid("namespace", "namespace holds a well-formed API or access key: give the name of the key's namespace")
		}
	}
	cost := int64(1)
	if req.Cost != nil {
		cost = *req.Cost
	}
	var res keys.Result
	if seesNamespace(r, req.Namespace) {
		var err error
		if res, err = s.keys.VerifyWith(r.Context(), *req.Key, keys.VerifyOptions{Namespace: req.Namespace, Cost: cost,
			RateLimits: limitCosts(req.RateLimits, cost), Permissions: req.Permissions}); err != nil {
			return keysError(err)
		}
		s.recordKey(req.Namespace, res, req.Tags)
	} else {
		// Indistinguishable from a key that does not exist, and not
		// counted: the caller may not write into another namespace's
		// analytics.
		res = keys.Result{Status: keys.NotFound}
	}
	s.metrics.outcome("keys.verify", res.Status.String())
	out := verifyKeyResponse{Valid: res.Valid(), Status: res.Status, ID: res.ID, Namespace: res.Namespace, Owner: res.Owner,
		Name: res.Name, Meta: rawJSON(res.Meta), Remaining: res.Remaining}
	out.Permissions = res.Permissions // set when the verification asked permissions
	if !res.ExpiresAt.IsZero() {
		t := timestamp(res.ExpiresAt)
		out.ExpiresAt = &t
	}
	if rl := res.RateLimit; rl != nil {
		out.RateLimit = &rateLimitState{Limit: rl.Limit, Remaining: rl.Remaining, Reset: timestamp(rl.Reset)}
	}
	out.RateLimits, out.Refill = limitStatesOut(res.RateLimits), refillStateOut(res)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getKey(w http.ResponseWriter, r *http.Request) error {
	info, err := s.keys.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return keysError(err)
	}
	if !seesNamespace(r, info.Namespace) {
		return keysError(keys.ErrNotFound)
	}
	writeJSON(w, http.StatusOK, keyInfoJSON(info, ""))
	return nil
}

type listKeysResponse struct {
	Keys   []keyJSON `json:"keys"`
	Cursor *string   `json:"cursor"`
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "owner", "namespace", "status", "name_prefix", "limit", "cursor")
	if err != nil {
		return err
	}
	opts := keys.ListOptions{Owner: q["owner"], Namespace: q["namespace"], Status: q["status"], NamePrefix: q["name_prefix"], Cursor: q["cursor"]}
	if !caller(r).SeesNamespace(access.AllNamespaces) && (opts.Namespace == "" || !seesNamespace(r, opts.Namespace)) {
		return &apiError{Status: http.StatusForbidden, Code: codeForbidden, Field: "namespace",
			Message: "this access key may list only the keys of its namespaces: give namespace=, one of " + strings.Join(caller(r).Namespaces, ", ")}
	}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > keys.MaxListLimit {
			return invalid("limit", "limit must be a whole number from 1 to %d", keys.MaxListLimit)
		}
		opts.Limit = n
	}
	page, err := s.keys.List(r.Context(), opts)
	if err != nil {
		return keysError(err)
	}
	out := listKeysResponse{Keys: make([]keyJSON, len(page.Keys))}
	for i, k := range page.Keys {
		out.Keys[i] = keyInfoJSON(k, "")
	}
	if page.Cursor != "" {
		out.Cursor = &page.Cursor
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type updateKeyRequest struct {
	Enabled   *bool          `json:"enabled"`
	Meta      jsontext.Value `json:"meta"`
	Remaining jsontext.Value `json:"remaining"`
	ExpiresAt jsontext.Value `json:"expires_at"`
	// Refill and RateLimits: see limits.go.
	Refill     jsontext.Value `json:"refill"`
	RateLimits jsontext.Value `json:"ratelimits"`
	// Name, Owner, Roles and Permissions replace the key's; null is as
	// absent (unchanged), and [] removes every role or permission.
	Name        *string   `json:"name"`
	Owner       *string   `json:"owner"`
	Roles       *[]string `json:"roles"`
	Permissions *[]string `json:"permissions"`
}

func (s *Server) updateKey(w http.ResponseWriter, r *http.Request) error {
	var req updateKeyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u := keys.Update{Enabled: req.Enabled, Name: req.Name, Owner: req.Owner, Roles: req.Roles, Permissions: req.Permissions}
	if req.Meta != nil {
		if isNull(req.Meta) {
			return invalid("meta", "meta must be a JSON object; {} clears it")
		}
		u.Meta = []byte(req.Meta)
	}
	if req.Remaining != nil {
		u.SetRemaining = true
		if !isNull(req.Remaining) {
			var n int64
			if err := json.Unmarshal(req.Remaining, &n); err != nil {
				return invalid("remaining", "remaining must be a whole number, or null for unlimited uses")
			}
			u.Remaining = &n
		}
	}
	if req.ExpiresAt != nil {
		u.SetExpiry = true
		if !isNull(req.ExpiresAt) {
			var v string
			if err := json.Unmarshal(req.ExpiresAt, &v); err != nil {
				return invalid("expires_at", "expires_at must be an RFC 3339 time such as \"2030-01-02T15:04:05Z\", or null for never")
			}
			t, err := parseTime("expires_at", v)
			if err != nil {
				return err
			}
			u.ExpiresAt = t
		}
	}
	if err := updateLimits(&u, req); err != nil {
		return err
	}
	if err := s.checkKeyNamespace(r); err != nil {
		return err
	}
	info, err := s.keys.Update(r.Context(), r.PathValue("id"), u)
	if err != nil {
		return keysError(err)
	}
	writeJSON(w, http.StatusOK, keyInfoJSON(info, ""))
	return nil
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkKeyNamespace(r); err != nil {
		return err
	}
	if _, err := s.keys.Revoke(r.Context(), r.PathValue("id")); err != nil {
		return keysError(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type rerollKeyRequest struct {
	Overlap *int64 `json:"overlap"`
}

func (s *Server) rerollKey(w http.ResponseWriter, r *http.Request) error {
	var req rerollKeyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	var overlap time.Duration
	if req.Overlap != nil {
		d, err := seconds("overlap", *req.Overlap, 0, maxKeySeconds)
		if err != nil {
			return err
		}
		overlap = d
	}
	if err := s.checkKeyNamespace(r); err != nil {
		return err
	}
	created, err := s.keys.Reroll(r.Context(), r.PathValue("id"), overlap)
	if err != nil {
		return keysError(err)
	}
	auditOf(r).target = r.PathValue("id") + " -> " + created.ID
	writeJSON(w, http.StatusCreated, keyInfoJSON(created.Info, created.Key))
	return nil
}

// checkKeyNamespace answers 404, as for a key that does not exist, when the
// key of the path's id is in a namespace the caller may not touch; it
// records the namespace for the audit. A caller of every namespace costs no
// read.
func (s *Server) checkKeyNamespace(r *http.Request) error {
	if caller(r).SeesNamespace(access.AllNamespaces) {
		return nil
	}
	info, err := s.keys.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return keysError(err)
	}
	if !seesNamespace(r, info.Namespace) {
		return keysError(keys.ErrNotFound)
	}
	auditOf(r).namespace = info.Namespace
	return nil
}

// forbiddenNamespace is the answer to a call on a namespace the caller may
// not touch.
func forbiddenNamespace(ns string) *apiError {
	if ns == "" {
		ns = keys.DefaultNamespace
	}
	return &apiError{Status: http.StatusForbidden, Code: codeForbidden, Field: "namespace",
		Message: "this access key may not touch the namespace " + strconv.Quote(ns)}
}

// keysError maps the errors of package keys: bad arguments to 400, an
// unknown id to 404, a revoked key (or, for a reroll, an expired one; for a
// reroll or an update of its uses and limits, one rerolled already) to 409;
// anything else is internal.
func keysError(err error) error {
	var ie *store.InvalidError
	switch {
	case errors.As(err, &ie):
		return invalid(ie.Field, "%s %s", ie.Field, ie.Reason)
	case errors.Is(err, keys.ErrNotFound):
		return notFound("no key with this id")
	case errors.Is(err, keys.ErrRevoked):
		return &apiError{Status: http.StatusConflict, Code: codeConflict, Message: "the key is revoked"}
	case errors.Is(err, keys.ErrRerolled):
		return &apiError{Status: http.StatusConflict, Code: codeConflict, Message: "the key was rerolled already: its uses and limits are those of the key that replaced it, so reroll or update that key"}
	case errors.Is(err, keys.ErrExpired):
		return &apiError{Status: http.StatusConflict, Code: codeConflict, Message: "the key has expired"}
	}
	return err
}

// seconds converts n seconds, checked against [lo, hi], to a duration.
func seconds(field string, n, lo, hi int64) (time.Duration, error) {
	if n < lo || n > hi {
		return 0, invalid(field, "%s must be between %d and %d", field, lo, hi)
	}
	return time.Duration(n) * time.Second, nil
}

// parseTime parses an RFC 3339 time.
func parseTime(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, invalid(field, "%s must be an RFC 3339 time such as \"2030-01-02T15:04:05Z\"", field)
	}
	return t, nil
}

func isNull(raw jsontext.Value) bool { return string(raw) == "null" }

// nullToNil treats an explicit null like an absent value.
func nullToNil(raw jsontext.Value) []byte {
	if isNull(raw) {
		return nil
	}
	return raw
}

// rawJSON is stored JSON (metadata) for a response: nil, written as null
// or left out, when there is none.
func rawJSON(stored []byte) jsontext.Value {
	if len(stored) == 0 {
		return nil
	}
	return jsontext.Value(stored)
}

// minKeyInTag is the shortest key (or random part of one) that a tag may
// not contain: a shorter string is no secret and may well be in a tag.
const minKeyInTag = 16

// tagHoldingKey returns the index of the first of tags that holds the
// presented key, whole or its part after the prefix's last "_", or -1.
// Tags are counted and kept in plaintext and answered to analytics
// readers; a client that tags a verification with its key would otherwise
// store the key where the service promises never to keep one.
func tagHoldingKey(tags []string, key string) int {
	parts := []string{key}
	if i := strings.LastIndexByte(key, '_'); i >= 0 {
		parts = append(parts, key[i+1:])
	}
	for i, t := range tags {
		for _, p := range parts {
			if len(p) >= minKeyInTag && strings.Contains(t, p) {
				return i
			}
		}
	}
	return -1
}
