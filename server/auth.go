package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// authorized reports whether r carries the admin key as a bearer token.
//
// The work does not depend on whether the header is there: a missing or
// malformed header is treated as the empty key, which is hashed and
// compared like any other. The digests are compared with
// crypto/subtle.ConstantTimeCompare, so the time taken depends only on the
// length of what the client sent (through SHA-256), never on the admin key
// or on how much of it a guess got right.
func (s *Server) authorized(r *http.Request) bool {
	presented, scheme := bearer(r.Header.Get("Authorization"))
	sum := sha256.Sum256([]byte(presented))
	match := subtle.ConstantTimeCompare(sum[:], s.admin[:])
	return match&scheme == 1
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
