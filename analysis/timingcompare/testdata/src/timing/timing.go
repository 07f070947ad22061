// Package timing holds comparisons of secrets in variable time (want) and
// comparisons that are fine (ok).
package timing

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"reflect"
	"strings"
)

type Session struct {
	ID    string
	Token string
	Name  string
}

type User struct {
	PasswordHash [32]byte
	APIKey       string
	Name         string
}

func equalToken(got, token string) bool {
	return got == token // want `== compares secret token in variable time`
}

func notEqualPassword(password, input string) bool {
	return input != password // want `!= compares secret password in variable time`
}

func field(s *Session, r *http.Request) bool {
	return r.Header.Get("X-Token") == s.Token // want `== compares secret s.Token`
}

func apiKey(u User, presented string) bool {
	if u.APIKey == presented { // want `== compares secret u.APIKey`
		return true
	}
	return false
}

func bytesEqual(csrf, form []byte) bool {
	return bytes.Equal(csrf, form) // want `bytes.Equal compares secret csrf`
}

func notBytesEqual(otp, other []byte) bool {
	return !bytes.Equal(otp, other) // want `bytes.Equal compares secret otp`
}

func stringsCompare(secret, s string) bool {
	return strings.Compare(secret, s) == 0 // want `strings.Compare compares secret secret`
}

func equalFold(resetCode, s string) bool {
	return strings.EqualFold(s, resetCode) // want `strings.EqualFold compares secret resetCode`
}

func deepEqual(otp, s []byte) bool {
	return reflect.DeepEqual(otp, s) // want `reflect.DeepEqual compares secret otp`
}

func hmacSum(key, msg, sig []byte) bool {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return bytes.Equal(m.Sum(nil), sig) // want `bytes.Equal compares digest m.Sum\(nil\)`
}

func hmacHex(key, msg []byte, got string) bool {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	expected := hex.EncodeToString(m.Sum(nil))
	return got == expected // want `== compares digest expected`
}

func sha256Array(u *User, pw string) bool {
	sum := sha256.Sum256([]byte(pw))
	return sum == u.PasswordHash // want `== compares digest sum`
}

func sha512Sum(apiKey []byte, want [64]byte) bool {
	return sha512.Sum512(apiKey) == want // want `== compares digest sha512.Sum512\(apiKey\)`
}

// The digest of data that is not secret (a file, a certificate) compared
// with a stored or expected digest finds equal content; it hides nothing.
func checksum(data []byte, want [64]byte) bool {
	return sha512.Sum512(data) == want // ok
}

func macFromRequest(r *http.Request, mac string) bool {
	return r.FormValue("mac") == mac // want `== compares digest mac`
}

func signatureFromRequestVar(r *http.Request, signature string) bool {
	sent := r.URL.Query().Get("sig")
	return sent == signature // want `== compares digest signature`
}

func sessionID(c *http.Cookie, sessionID string) bool {
	return c.Value == sessionID // want `== compares secret sessionID`
}

func ignored(token, got string) bool {
	return got == token //secretsvet:ignore both values are public test fixtures
}

func ignoreWithoutReason(token, got string) bool {
	return got == token //secretsvet:ignore // want `needs a reason after it`
}

// Not reported.

func emptyToken(token string) bool {
	return token == "" // ok
}

func nilKey(key []byte) bool {
	return key == nil // ok
}

func constantToken(token string) bool {
	const revoked = "revoked"
	return token == revoked // ok: a constant is public
}

func tokenLength(token string) bool {
	return len(token) == 32 // ok
}

func names(a, b Session) bool {
	return a.Name == b.Name // ok
}

func ids(a, b Session) bool {
	return a.ID == b.ID // ok
}

func constantTime(token, got string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(got)) == 1 // ok
}

func hmacEqual(mac, other []byte) bool {
	return hmac.Equal(mac, other) // ok
}

func hashNotFromRequest(hash, cached string) bool {
	return hash == cached // ok: a content hash compared with a cache, no attacker's guess
}

func tokenType(tokenType, want string) bool {
	return tokenType == want // ok: a kind of token, not a token
}

func plainStrings(a, b string) bool {
	return a == b // ok
}

func plainBytes(a, b []byte) bool {
	return bytes.Equal(a, b) // ok
}

func method(r *http.Request) bool {
	return r.Method == http.MethodPost // ok
}

func headerName(r *http.Request, name string) bool {
	return r.Header.Get("X-Name") == name // ok
}

func sumOfFile(data []byte, other [32]byte) bool {
	return sha256.Sum256(data) != [32]byte{} // ok: the zero value is public
}

func pinLength(pin string) bool {
	return len(pin) != 6 // ok
}

func tokenPrefix(token string) bool {
	return strings.HasPrefix(token, "sk_") // ok
}

func digestCount(a, b int) bool {
	digestCount := a
	return digestCount == b // ok: an int cannot be a digest
}

func redact(key string) string { return "…" }

func redacted(apiKey, shown string) bool {
	return redact(apiKey) != shown // ok: a redacted key is public
}

type Config struct{ adminToken string }

func bearer(r *http.Request, c *Config) bool {
	return r.Header.Get("Authorization") == "Bearer "+c.adminToken // want `== compares secret "Bearer " \+ c.adminToken`
}

func sameContent(a, b []byte) bool {
	return sha256.Sum256(a) == sha256.Sum256(b) // ok: two digests computed here find equal content
}

func macsOfTwo(key, a, b []byte) bool {
	ma := hmac.New(sha256.New, key)
	ma.Write(a)
	mb := hmac.New(sha256.New, key)
	mb.Write(b)
	return bytes.Equal(ma.Sum(nil), mb.Sum(nil)) // want `bytes.Equal compares digest ma.Sum\(nil\)`
}

type header struct{ key, value string }

func byKey(a, b header) int {
	return strings.Compare(a.key, b.key) // ok: an ordering for a sort, not an equality test
}

// An ETag is a hash the server hands to every client: comparing it with
// If-None-Match in variable time leaks nothing. (Found in review.)
func notModified(r *http.Request, etagHash string) bool {
	return r.Header.Get("If-None-Match") == etagHash // ok: an ETag is public
}

// The same comparison on a signature is reported.
func signed(r *http.Request, sigHash string) bool {
	return r.Header.Get("X-Signature") == sigHash // want `== compares digest sigHash`
}
