// Package util holds helpers that return math/rand values under names that
// say nothing, the way real projects write them: the value becomes a secret
// only in the packages that call them (crosspkg/app).
package util

import (
	"crypto/hmac"
	"crypto/sha256"
	"math/rand"
	"net/http"
	"strconv"
)

const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// GetRandomString is the helper of many a real project.
func GetRandomString(n int) string { // want GetRandomString:`weakResult\(math/rand.Intn \(via util.GetRandomString\)\)`
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[rand.Intn(len(letters))]
	}
	return string(b)
}

// RandomID goes through GetRandomString: the fact names the first helper.
func RandomID() string { // want RandomID:`weakResult\(math/rand.Intn \(via util.GetRandomString\)\)`
	return "id-" + GetRandomString(12)
}

// SetState is a function held in a package-level variable.
var SetState = func() string { // want SetState:`weakResult\(math/rand.Int63 \(via util.SetState\)\)`
	return strconv.FormatInt(rand.Int63(), 36)
}

// Generator's method returns weak values too.
type Generator struct{ r *rand.Rand }

func (g *Generator) Next() string { // want Next:`weakResult\(math/rand.Rand.Uint64 \(via util.Next\)\)`
	return strconv.FormatUint(g.r.Uint64(), 16)
}

// NewSessionToken is reported here, where it returns the value; its
// callers are not told again.
func NewSessionToken() string { // want NewSessionToken:`weakResult`
	return strconv.FormatInt(rand.Int63(), 36) // want `math/rand.Int63 reaches the result of NewSessionToken`
}

// Jitter is random and harmless; it is a source only if a caller makes a
// secret of it.
func Jitter() int { return rand.Intn(100) } // want Jitter:`weakResult\(math/rand.Intn \(via util.Jitter\)\)`

// Hex is not random.
func Hex(n int) string { return strconv.FormatInt(int64(n), 16) }

// A local state function in a package-level variable, used here.
var nextValue = func() string { return strconv.Itoa(rand.Int()) }

func authorize() string {
	nonce := nextValue() // want `math/rand.Int \(via nextValue\) reaches variable nonce`
	return nonce
}

// SetSession puts v in the session cookie, though v's name says nothing:
// a caller that passes a weak value is told.
func SetSession(w http.ResponseWriter, v string) { // want SetSession:`paramSinks\(\["" "http.Cookie Value"\]\)`
	http.SetCookie(w, &http.Cookie{Name: "session", Value: v})
}

// Remember passes its v on to SetSession.
func Remember(w http.ResponseWriter, v string) { // want Remember:`paramSinks\(\["" "http.Cookie Value through SetSession"\]\)`
	SetSession(w, v)
}

// Sign keys an HMAC with k; msg may be anything.
func Sign(k, msg []byte) []byte { // want Sign:`paramSinks\(\["an argument of crypto/hmac.New" ""\]\)`
	m := hmac.New(sha256.New, k)
	m.Write(msg)
	return m.Sum(nil)
}

func remember(w http.ResponseWriter) {
	SetSession(w, strconv.Itoa(rand.Int())) // want `math/rand.Int reaches http.Cookie Value through SetSession`
}
