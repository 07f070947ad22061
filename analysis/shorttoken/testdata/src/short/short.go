// Package short holds tokens with too little randomness (want) and ones
// with enough, or that are not tokens (ok).
package short

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"

	"github.com/unguessable/secrets"
)

type Invite struct {
	Code  string
	Token string
}

func hex8() string {
	return secrets.TokenHex(8) // want `secrets.TokenHex\(8\) makes a token of 8 random bytes \(64 bits\); use at least 16 bytes \(128 bits\)`
}

func urlsafe12() string {
	return secrets.TokenURLSafe(12) // want `secrets.TokenURLSafe\(12\) makes a token of 12 random bytes \(96 bits\)`
}

const small = 4

func bytesConst() []byte {
	return secrets.TokenBytes(small) // want `secrets.TokenBytes\(4\) makes a token of 4 random bytes \(32 bits\)`
}

func tokenString() string {
	return secrets.TokenString(10, "0123456789abcdef") // want `secrets.TokenString\(10, …\) of 16 symbols has 40.0 bits; use a length of at least 32`
}

func arrayToken() string {
	var b [8]byte
	rand.Read(b[:]) // want `token is made from 8 random bytes \(64 bits\) read into b`
	token := hex.EncodeToString(b[:])
	return token
}

func makeToken() string {
	b := make([]byte, 10)
	io.ReadFull(rand.Reader, b) // want `the result of makeToken is made from 10 random bytes \(80 bits\)`
	return base64.RawURLEncoding.EncodeToString(b)
}

func sessionBuf() []byte {
	session := make([]byte, 8)
	rand.Read(session) // want `session is made from 8 random bytes`
	return session
}

func field() Invite {
	var b [6]byte
	rand.Read(b[:]) // want `field Token is made from 6 random bytes \(48 bits\)`
	return Invite{Token: hex.EncodeToString(b[:])}
}

func ignoredShort() string {
	return secrets.TokenHex(4) //secretsvet:ignore a display tag, not a credential
}

// Not reported.

func hex16() string {
	return secrets.TokenHex(16) // ok
}

func urlsafe32() string {
	return secrets.TokenURLSafe(32) // ok
}

func variableLength(n int) string {
	return secrets.TokenHex(n) // ok: not a constant
}

func longTokenString() string {
	return secrets.TokenString(32, "0123456789abcdef") // ok: 128 bits
}

func nonce() []byte {
	nonce := make([]byte, 12)
	rand.Read(nonce) // ok: a GCM nonce is 12 bytes
	return nonce
}

func salt() []byte {
	var salt [8]byte
	rand.Read(salt[:]) // ok: not a token
	return salt[:]
}

func arrayToken32() string {
	var b [32]byte
	rand.Read(b[:]) // ok
	token := hex.EncodeToString(b[:])
	return token
}

func jitterBytes() uint8 {
	var b [1]byte
	rand.Read(b[:]) // ok: a random byte that is no token
	return b[0]
}

func requestID() string {
	b := make([]byte, 8)
	rand.Read(b) // ok: a request id for logs
	return hex.EncodeToString(b)
}

func NewID(kind string) string {
	return kind + "_" + secrets.TokenHex(8) // ok: an id, unique rather than secret
}

func subjects() func(int) string {
	subject := func(i int) string { return secrets.TokenHex(4) } // ok: a benchmark subject
	return subject
}

func sessionID() string {
	sessionID := secrets.TokenHex(8) // want `secrets.TokenHex\(8\) makes a token of 8 random bytes`
	return sessionID
}

func requestToken() string {
	return secrets.TokenURLSafe(8) // want `secrets.TokenURLSafe\(8\)`
}
