// Package keys holds comparisons of values named "key" or "id" that leak
// nothing (public keys, map keys, configuration key names, keyring entries,
// key and token ids that look a row up, reply subjects) beside the ones
// that do: a key or a session id compared with what a request carries.
package keys

import (
	"bytes"
	"crypto/ed25519"
	"net/http"
)

type Entry struct {
	Key   string
	Value string
}

type Keyring struct{ keys map[string][]byte }

type Row struct {
	ID        string
	SessionID string
}

func samePublicKey(publicKey, other []byte) bool {
	return bytes.Equal(publicKey, other) // ok: a public key is public
}

func sameSigner(key, signer ed25519.PublicKey) bool {
	return bytes.Equal(key, signer) // ok: so is a key of a public key type
}

func lookup(config map[string]string, name string) string {
	for key, v := range config {
		if key == name { // ok: a map key
			return v
		}
	}
	return ""
}

func indexed(m map[string]int, key, other string) bool {
	_ = m[key]
	return key == other // ok: key indexes a map
}

func configKey(e Entry, key string) bool {
	return e.Key == key // ok: the name of a configuration key
}

func keyring(k Keyring, name string, key []byte) bool {
	return bytes.Equal(k.keys[name], key) // ok: an operator compares keyring entries
}

func keyIDHeader(r *http.Request, keyID string) bool {
	return r.Header.Get("Key-Id") == keyID // ok: a key id names a key, it is not one
}

func findToken(rows []Row, tokenID string) *Row {
	for i := range rows {
		if rows[i].ID == tokenID { // ok: a token id looks a row up
			return &rows[i]
		}
	}
	return nil
}

func findSession(rows []Row, sessionID string) *Row {
	for i := range rows {
		if rows[i].SessionID == sessionID { // ok: no request on either side
			return &rows[i]
		}
	}
	return nil
}

func reply(replyToken, subject string) bool {
	return subject == replyToken // ok: a reply subject routes a message
}

// Reported.

func signingKeyHeader(r *http.Request, signingKey string) bool {
	return r.Header.Get("X-Key") == signingKey // want `== compares secret signingKey`
}

func keyFromForm(r *http.Request, key []byte) bool {
	got := []byte(r.FormValue("key"))
	return bytes.Equal(got, key) // want `bytes.Equal compares secret key`
}

func sessionCookie(r *http.Request, sessionID string) bool {
	c, err := r.Cookie("sid")
	return err == nil && c.Value == sessionID // want `== compares secret sessionID`
}

func apiKey(presented, apiKey string) bool {
	return presented == apiKey // want `== compares secret apiKey`
}

type failure string

var errBadToken = failure("bad token")

func badToken(err failure) bool {
	return err == errBadToken // ok: an error about a token is not one
}
