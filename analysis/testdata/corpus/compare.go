package corpus

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

type Store struct {
	adminToken string
	secret     []byte
}

// label: timing
func (s *Store) Authorize(r *http.Request) bool {
	return r.Header.Get("Authorization") == "Bearer "+s.adminToken
}

// label: timing
func VerifyWebhook(r *http.Request, body, key []byte) bool {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	expected := hex.EncodeToString(m.Sum(nil))
	return r.Header.Get("X-Signature") == expected
}

// label: timing
func CheckPassword(stored [32]byte, password string) bool {
	return sha256.Sum256([]byte(password)) == stored
}

// label: timing
func ValidCSRF(r *http.Request, csrfToken string) bool {
	return r.FormValue("csrf") == csrfToken
}

// label: timing
func (s *Store) CheckKey(apiKey []byte) bool {
	return bytes.Equal(apiKey, s.secret)
}

// label: timing
func CheckResetCode(resetCode, input string) bool {
	return strings.EqualFold(input, resetCode)
}

// label: timing
func VerifySignature(r *http.Request, signature string) bool {
	sig := r.URL.Query().Get("sig")
	return sig == signature
}

// label: timing
func CheckOTP(otp, submitted string) bool {
	if submitted != otp {
		return false
	}
	return true
}

// label: timing
func SessionValid(c *http.Cookie, sessionToken string) bool {
	return strings.Compare(c.Value, sessionToken) == 0
}

// label: timing
func CompareMAC(key, msg, mac []byte) bool {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return bytes.Equal(h.Sum(nil), mac)
}

// label: timing-ok
func ConstantTime(token, got string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(got)) == 1
}

// label: timing-ok
func HMACEqual(a, b []byte) bool {
	return hmac.Equal(a, b)
}

// label: timing-ok
func EmptyToken(token string) bool {
	return token == ""
}

// label: timing-ok
func SameUser(a, b string) bool {
	return a == b
}

// label: timing-ok
func IsPost(r *http.Request) bool {
	return r.Method == http.MethodPost
}

// label: timing-ok
func TokenLengthOK(token string) bool {
	return len(token) == 43
}

// label: timing-ok
func ContentChanged(hash, previousHash string) bool {
	return hash != previousHash
}

// label: timing-ok
func BearerPrefix(header string) bool {
	return strings.HasPrefix(header, "Bearer ")
}

// label: timing-ok
func SameFile(a, b []byte) bool {
	return sha256.Sum256(a) == sha256.Sum256(b)
}
