// Package review holds leaks written the way real code writes them, added in
// review: a key filled by Read, a generator's verb in a function name, a
// method value, a function value, a closure, a session map entry. The
// negatives beside them are the look-alikes that must stay quiet.
package review

import (
	crand "crypto/rand"
	"fmt"
	"math/rand"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
)

type session struct {
	UserID int
	Token  string
}

// A key filled by math/rand's Read is reported where it is filled, even when
// it only leaves through the result of a function whose name says nothing.
func keyMaterial() []byte {
	key := make([]byte, 32)
	rand.Read(key) // want `math/rand.Read reaches variable key`
	return key
}

// gen before the secret word is a verb: genKey makes a key.
func genKey() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b // want `math/rand.Read reaches the result of genKey`
}

// A six-digit code written as a string: the replacement is a bounded draw.
func otpCode() string {
	return strconv.Itoa(rand.Intn(1e6)) // want `math/rand.Intn reaches the result of otpCode: .*use secrets.RandBelow`
}

// An unbounded draw written as a string is a token.
func genToken() string {
	return strconv.FormatInt(rand.Int63(), 36) // want `reaches the result of genToken: .*use secrets.TokenURLSafe`
}

// A method value of a generator is a source when it is called.
func methodValue() string {
	r := rand.New(rand.NewSource(1))
	next := r.Int63
	token := fmt.Sprint(next()) // want `math/rand.Rand.Int63 reaches variable token`
	return token
}

// So is a package function taken as a value.
func funcValue() string {
	f := mrand.Uint64
	apiKey := strconv.FormatUint(f(), 16) // want `math/rand/v2.Uint64 reaches variable apiKey`
	return apiKey
}

// And a closure that returns a weak value.
func closureValue() string {
	next := func() int64 { return rand.Int63() }
	csrf := strconv.FormatInt(next(), 10) // want `math/rand.Int63 reaches variable csrf`
	return csrf
}

// A closure called where it is written.
func calledLiteral() {
	otp := func() int { return rand.Intn(1e6) }() // want `math/rand.Intn reaches variable otp`
	_ = otp
}

// A session store keyed by a constant that names a secret (gorilla/sessions'
// session.Values["token"] and the like).
func sessionValues(values map[string]any) {
	values["csrf_token"] = fmt.Sprintf("%x", rand.Int63()) // want `reaches map entry "csrf_token"`
}

// Patterns from the brief: a struct literal field and a response header.
func issue(uid int) session {
	return session{UserID: uid, Token: strconv.FormatInt(rand.Int63(), 36)} // want `reaches field Token`
}

func csrfHeader(w http.ResponseWriter) {
	w.Header().Set("X-CSRF-Token", strconv.FormatUint(rand.Uint64(), 16)) // want `reaches response header X-CSRF-Token`
}

// Negatives.

// A method value of a ChaCha8 generator seeded from crypto/rand is strong.
func strongMethodValue() string {
	var seed [32]byte
	crand.Read(seed[:])
	c := mrand.NewChaCha8(seed)
	next := c.Uint64
	token := strconv.FormatUint(next(), 36)
	return token
}

// A weak generator's method value that reaches no sink.
func methodValueUnused() int {
	r := rand.New(rand.NewSource(1))
	roll := r.Intn
	return roll(6) // a die roll: no sink
}

// A closure that returns a weak value used for jitter.
func jitter() int {
	next := func() int { return rand.Intn(100) }
	delayMs := next()
	return delayMs
}

// A map entry keyed by a plain name.
func stats(m map[string]int) {
	m["sample"] = rand.Intn(10)
}

// keyGen, tokenGen: gen after the secret word is a generator, not a secret.
func tokenGen() int {
	return rand.Intn(10)
}

// A buffer of noise filled by Read whose name says nothing.
func noise() []byte {
	b := make([]byte, 64)
	rand.Read(b)
	return b
}

// A closure passed as an argument is not the weak value itself.
func shuffled(tokens []string) {
	rand.Shuffle(len(tokens), func(i, j int) { tokens[i], tokens[j] = tokens[j], tokens[i] })
}
