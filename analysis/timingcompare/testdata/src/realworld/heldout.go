package realworld

import (
	"bytes"
	"context"
	"crypto/cipher"
	"net/http"
)

// go-oidc's examples: the nonce claim of a verified ID token compared with
// the nonce cookie set before the redirect. Whoever holds the token can
// read its nonce; a nonce is unique, not secret.
type oidcToken struct{ Nonce string }

func checkNonce(r *http.Request, tok *oidcToken) bool {
	nonce, err := r.Cookie("nonce")
	if err != nil {
		return false
	}
	return tok.Nonce == nonce.Value // ok
}

func checkNonceHeader(r *http.Request, expectedNonce string) bool {
	return r.Header.Get("X-Nonce") != expectedNonce // ok: a nonce travels in the clear
}

// A GCM nonce is sent before its ciphertext.
func sameNonce(aead cipher.AEAD, sealed, nonce []byte) bool {
	return bytes.Equal(sealed[:aead.NonceSize()], nonce) // ok
}

// The same check of a token, not a nonce, is still reported.
func checkStateToken(r *http.Request) bool {
	cookie, err := r.Cookie("state")
	if err != nil {
		return false
	}
	stateToken := r.FormValue("state")
	return stateToken != cookie.Value // want `!= compares secret stateToken`
}

func checkCSRFCookie(r *http.Request, csrfToken string) bool {
	c, err := r.Cookie("csrf")
	return err == nil && c.Value == csrfToken // want `== compares secret csrfToken`
}

// A name with a secret word besides nonce is a secret.
func nonceSecret(nonceSecret, presented []byte) bool {
	return bytes.Equal(nonceSecret, presented) // want `bytes.Equal compares secret nonceSecret`
}

// scs's MergeSession: the token to merge from has been looked up in the
// store; comparing it with the requester's own session token tells nothing
// the lookup did not.
type sessionData struct{ token string }

type sessionManager struct{ m map[string][]byte }

func (s *sessionManager) doStoreFind(ctx context.Context, token string) ([]byte, bool, error) {
	b, ok := s.m[token]
	return b, ok, ctx.Err()
}

func (s *sessionManager) MergeSession(ctx context.Context, sd *sessionData, token string) error {
	_, found, err := s.doStoreFind(ctx, token)
	if err != nil || !found {
		return err
	}
	if sd.token == token { // ok
		return nil
	}
	return nil
}

// Also through a conversion, and with the store lookup by name.
type tokenStore struct{ m map[string]string }

func (s *tokenStore) Owner(token []byte) string { return s.m[string(token)] }

func sameAsOwn(s *tokenStore, own string, token []byte) bool {
	if s.Owner(token) == "" {
		return false
	}
	return own == string(token) // ok
}

// A token compared with a record looked up by something else is reported,
// and so is a token that was passed to a call that is no lookup.
func (s *sessionManager) resetPassword(ctx context.Context, email, resetToken string) bool {
	rec, _, _ := s.doStoreFind(ctx, email)
	return string(rec) == resetToken // want `== compares secret resetToken`
}

func audit(string) {}

func checkLogged(expected, token string) bool {
	audit(token)
	return expected == token // want `== compares secret token`
}
