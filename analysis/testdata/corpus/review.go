package corpus

// Cases written by the reviewer of issue 6, not by the analyzers' author,
// after the author's figures were recorded. Run against secretsvet as it was
// at 2e2589f, it flagged 6 of the 11 weak cases (it missed the gen- function
// name, the method value, the function value, the closure and the session
// map entry) and all 4 timing cases, with no false positive; weakrand was
// then changed (5f41d22), so these cases are no longer held out.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/rand"
	"net/http"
	"strconv"
	"strings"
)

// label: weak
func RvSessionIDHex(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: "session", Value: fmt.Sprintf("%x", rand.Int63())})
}

// label: weak
func RvLoginCode() string {
	otp := strconv.Itoa(rand.Intn(1e6))
	return otp
}

// label: weak
func RvKeyMaterial() []byte {
	key := make([]byte, 32)
	rand.Read(key)
	return key
}

// label: weak
func RvGenToken() string {
	return strconv.FormatInt(rand.Int63(), 36)
}

type rvSession struct {
	UserID int
	Token  string
}

// label: weak
func RvIssue(uid int) rvSession {
	return rvSession{UserID: uid, Token: strconv.FormatInt(rand.Int63(), 36)}
}

// label: weak
func RvCSRFHeader(w http.ResponseWriter) {
	w.Header().Set("X-CSRF-Token", strconv.FormatUint(rand.Uint64(), 16))
}

// label: weak
func RvMethodValue() string {
	r := rand.New(rand.NewSource(1))
	next := r.Int63
	token := fmt.Sprint(next())
	return token
}

// label: weak
func RvFuncValue() string {
	f := rand.Int63
	apiKey := strconv.FormatInt(f(), 16)
	return apiKey
}

// label: weak
func RvClosure() string {
	next := func() int64 { return rand.Int63() }
	csrf := strconv.FormatInt(next(), 10)
	return csrf
}

// label: weak
func RvSessionValues(values map[string]any) {
	values["csrf_token"] = fmt.Sprintf("%x", rand.Int63())
}

// label: weak
func RvInvitePassword(n int) string {
	const cs = "abcdefghijkmnpqrstuvwxyz23456789"
	var sb strings.Builder
	for range n {
		sb.WriteByte(cs[rand.Intn(len(cs))])
	}
	invitePassword := sb.String()
	return invitePassword
}

// label: ok
func RvRetryBackoff() int {
	sessionBackoff := rand.Intn(100)
	return sessionBackoff
}

// label: ok
func RvDieRoll() int {
	r := rand.New(rand.NewSource(1))
	roll := r.Intn
	return roll(6) + 1
}

// label: ok
func RvSample(m map[string]int) {
	m["sample"] = rand.Intn(10)
}

// label: ok
func RvShuffleTiles(tokens []string) {
	rand.Shuffle(len(tokens), func(i, j int) { tokens[i], tokens[j] = tokens[j], tokens[i] })
}

// label: ok
func RvNoise() []byte {
	b := make([]byte, 64)
	rand.Read(b)
	return b
}

// label: timing
func RvWebhook(r *http.Request, body, k []byte) bool {
	m := hmac.New(sha256.New, k)
	m.Write(body)
	expected := hex.EncodeToString(m.Sum(nil))
	return r.Header.Get("X-Signature") == expected
}

// label: timing
func RvAPIKey(r *http.Request, secret string) bool {
	return r.Header.Get("X-Api-Key") == secret
}

// label: timing
func RvVerify(msg, got, k []byte) bool {
	m := hmac.New(sha256.New, k)
	m.Write(msg)
	return bytes.Equal(m.Sum(nil), got)
}

// label: timing
func RvResetFold(stored, got string) bool {
	resetToken := stored
	return strings.EqualFold(resetToken, got)
}

// label: timing-ok
func RvHMACEqual(mac, msg, k []byte) bool {
	m := hmac.New(sha256.New, k)
	m.Write(msg)
	return hmac.Equal(mac, m.Sum(nil))
}

// label: timing-ok
func RvSubtle(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}

// label: timing-ok
func RvTokenType(tokenType string) bool {
	return tokenType == "Bearer"
}

// label: timing-ok
func RvEmpty(token string, key []byte) bool {
	return token == "" || key == nil
}

// label: timing-ok
func RvTokenLen(token string) bool {
	return len(token) == 32
}
