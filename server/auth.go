package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/keys"
)

// callerKey is the context key of the access key that made a request.
type callerKey struct{}

// caller is the access key that made r; the zero Key before authentication.
func caller(r *http.Request) access.Key {
	k, _ := r.Context().Value(callerKey{}).(access.Key)
	return k
}

// authenticate returns the access key r presents as a bearer token: the
// root key (Options.AdminKeyDigest) or a stored access key.
//
// A missing or malformed header is treated as the empty key, which is
// hashed and compared with the root key's digest like any other, with
// crypto/subtle.ConstantTimeCompare, so the time taken never depends on
// the root key or on how much of it a guess got right. An access key is
// looked up by its SHA-256 (access.Manager.Authenticate); its format's
// checksum turns most made-up keys away without a lookup.
func (s *Server) authenticate(r *http.Request) (access.Key, error) {
	presented, scheme := bearer(r.Header.Get("Authorization"))
	sum := sha256.Sum256([]byte(presented))
	if subtle.ConstantTimeCompare(sum[:], s.admin[:])&scheme&s.hasRoot == 1 {
		return access.Root("root"), nil
	}
	if scheme == 0 || !strings.HasPrefix(presented, access.Prefix) {
		return access.Key{}, errUnauthorized
	}
	k, err := s.access.AuthenticateDigest(r.Context(), presented, sum)
	if errors.Is(err, access.ErrUnauthenticated) {
		return access.Key{}, errUnauthorized
	}
	return k, err
}

// bearer returns the credentials of an "Authorization: Bearer …" header
// value and 1, or "" and 0 for anything else. The scheme name is matched
// without regard to case (RFC 9110, section 11.1).
func bearer(h string) (string, int) {
	const scheme = "bearer "
	if len(h) < len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", 0
	}
	return strings.TrimLeft(h[len(scheme):], " "), 1
}

// forbidden is the answer to an access key without scope.
func forbidden(scope string) *apiError {
	return &apiError{Status: http.StatusForbidden, Code: codeForbidden,
		Message: "this access key lacks the scope " + scope}
}

// withCaller returns r's context with k as its caller.
func withCaller(ctx context.Context, k access.Key) context.Context {
	return context.WithValue(ctx, callerKey{}, k)
}

// seesNamespace reports whether the caller of r may touch API keys of ns
// ("" is the default namespace).
func seesNamespace(r *http.Request, ns string) bool {
	if ns == "" {
		ns = keys.DefaultNamespace
	}
	return caller(r).SeesNamespace(ns)
}
