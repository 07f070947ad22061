// Package realworld holds comparisons as public modules write them
// (bench/vet-realworld): the ones that leak, and the ones that only look
// as if they might.
package realworld

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
)

// gin v1.6.3's BasicAuth: the Authorization header is passed to a method
// whose parameter name says nothing, and compared there with ==.
type authPair struct{ value, user string }

type authPairs []authPair

func (a authPairs) searchCredential(authValue string) (string, bool) {
	if authValue == "" {
		return "", false
	}
	for _, pair := range a {
		if pair.value == authValue { // want `== compares credential authValue in variable time`
			return pair.user, true
		}
	}
	return "", false
}

func basicAuth(pairs authPairs, r *http.Request) bool {
	_, ok := pairs.searchCredential(r.Header.Get("Authorization"))
	return ok
}

// A header read into a variable first.
func bearer(r *http.Request, expected string) bool {
	auth := r.Header.Get("Authorization")
	return auth == expected // want `== compares credential auth in variable time`
}

// Two records compared field by field, on a configuration reload or to drop
// duplicates: no guess is checked.
type user struct{ Username, Password string }

func changed(old, updated *user) bool {
	return old.Username != updated.Username || old.Password != updated.Password // ok
}

type nsec3 struct{ Salt string }

func duplicate(r1, r2 *nsec3) bool {
	return r1.Salt == r2.Salt // ok
}

// A salt is stored beside its hash: unique, not secret.
func sameSalt(salt, stored []byte) bool {
	return bytes.Equal(salt, stored) // ok
}

// The Sec-WebSocket-Accept value is derived from the key the client sent.
func computeAcceptKey(challengeKey string) string {
	h := sha1.New()
	h.Write([]byte(challengeKey + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func handshake(resp *http.Response, challengeKey string) bool {
	return resp.Header.Get("Sec-Websocket-Accept") == computeAcceptKey(challengeKey) // ok
}

// Subject tokens (a subject split at dots) compared with an account name.
type acct struct{ Name string }

func exportAllowedByName(tokens []string, a *acct, pos int) bool {
	return tokens[pos] == a.Name // ok
}

// go-oidc's at_hash check: a hash of the access token compared with the
// at_hash claim of the ID token, which its holder can read.
type idToken struct{ AccessTokenHash string }

func verifyAccessToken(t *idToken, actual string) bool {
	return actual == t.AccessTokenHash // ok
}

// A hash named as a token's still counts when a client presents the other
// side.
func presentedHash(r *http.Request, tokenHash string) bool {
	return r.Header.Get("X-Token-Hash") == tokenHash // want `== compares digest tokenHash`
}
