// Package secretname holds the naming rules the secretsvet analyzers share:
// which identifiers name a secret (a token, a password, a session id…) and
// which name something that only sounds like one (a token count, a session
// timeout). The rules read the words of an identifier, so resetToken,
// reset_token and RESET_TOKEN all match and tokenizer does not.
package secretname

import (
	"go/types"
	"strings"
	"unicode"
)

// secretWords name values that must be unguessable.
var secretWords = map[string]bool{
	"token": true, "secret": true, "password": true, "passwd": true,
	"passphrase": true, "apikey": true, "nonce": true, "salt": true,
	"otp": true, "pin": true, "session": true, "csrf": true, "xsrf": true,
	"reset": true, "invite": true, "verification": true, "pwd": true,
	"pw": true,
}

// digestWords name values that are secret only while an attacker can make a
// guess and time the answer: compared with a value from a request.
var digestWords = map[string]bool{
	"mac": true, "hmac": true, "signature": true, "sig": true,
	"digest": true, "hash": true,
}

// tokenWords name the values that are handed out as bearer tokens, whose
// length alone decides how hard they are to guess. A nonce or a salt has
// other rules (a 12-byte GCM nonce is right), so they are not here.
var tokenWords = map[string]bool{
	"token": true, "secret": true, "session": true, "csrf": true, "xsrf": true,
	"reset": true, "invite": true, "verification": true, "apikey": true,
}

// notSecretWords describe something about a secret rather than the secret:
// tokenCount, sessionTimeout, passwordLength, resetDelay, tokenType.
var notSecretWords = map[string]bool{
	"count": true, "counter": true, "len": true, "length": true, "size": true,
	"n": true, "num": true, "idx": true, "index": true, "delay": true,
	"timeout": true, "ttl": true, "expiry": true, "expires": true, "expiration": true,
	"duration": true, "interval": true, "jitter": true, "backoff": true,
	"retry": true, "retries": true, "attempt": true, "attempts": true,
	"type": true, "kind": true, "name": true, "prefix": true, "format": true,
	"version": true, "header": true, "field": true, "path": true, "url": true,
	"at": true, "time": true, "date": true, "policy": true, "rule": true,
	"min": true, "max": true, "limit": true, "bits": true, "strength": true,
	"file": true, "dir": true, "store": true, "manager": true, "provider": true,
	"generator": true, "gen": true, "rng": true, "rand": true, "source": true,
	"etag": true, // a hash the server hands to every client
	// A reply subject or inbox is a routing token (NATS's _INBOX.<token>):
	// it says where an answer goes, and anyone on the bus sees it.
	"reply": true, "inbox": true, "subject": true, "route": true, "routing": true,
	// A public key is public, and so is the Sec-WebSocket-Accept value a
	// server derives from the key the client sent (wsAcceptKey).
	"public": true, "pub": true, "accept": true,
	// An error about a secret (smpSecretMissingError, errBadToken).
	"error": true, "err": true,
}

// Words splits an identifier into lower-case words at underscores, digits
// and case changes: "resetTokenID" → reset, token, id; "APIKey" → api, key.
func Words(name string) []string {
	var words []string
	rs := []rune(name)
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			words = append(words, strings.ToLower(string(rs[start:end])))
		}
		start = -1
	}
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r):
			flush(i)
		case start < 0:
			start = i
		case unicode.IsUpper(r):
			prevLower := unicode.IsLower(rs[i-1])
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if prevLower || (unicode.IsUpper(rs[i-1]) && nextLower) {
				flush(i)
				start = i
			}
		}
	}
	flush(len(rs))
	return words
}

// singular drops a plural s: tokens → token, passwords → password.
func singular(w string) string {
	if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		return w[:len(w)-1]
	}
	return w
}

// match reports whether name has a word in set (api followed by key counts
// as apikey) and no word that says it describes the secret instead. gen
// is such a word after the secret (tokenGen, a generator) but a verb before
// it (genToken).
func match(name string, set map[string]bool, keyToo bool) bool {
	words := Words(name)
	found := false
	for i, w := range words {
		if w == "gen" && !found {
			continue // a verb before the secret: genToken, genKey
		}
		if notSecretWords[w] {
			return false
		}
		w = singular(w)
		switch {
		case set[w]:
			found = true
		case w == "api" && i+1 < len(words) && singular(words[i+1]) == "key" && set["apikey"]:
			found = true
		case w == "key" && keyToo:
			found = true
		}
	}
	return found
}

// IsSecret reports whether an identifier of type t names a secret: a token,
// secret, password, passwd, passphrase, API key, nonce, salt, OTP, PIN,
// session, CSRF, reset, invite or verification value, or a key when t is a
// string or bytes. Only strings, byte slices and arrays, and integers can hold
// such a value, so a bool or a time.Duration named resetToken is not one.
func IsSecret(name string, t types.Type) bool {
	if !Holds(t) {
		return false
	}
	return match(name, secretWords, IsBytesOrString(t))
}

// IsTokenName reports whether name names a bearer token: a value whose length
// alone makes it hard to guess (not a nonce or salt, which have other rules).
func IsTokenName(name string) bool {
	return match(name, tokenWords, false)
}

// IsDigest reports whether name names a MAC, signature, digest or hash: a
// value that must be compared in constant time with what a request carries.
func IsDigest(name string, t types.Type) bool {
	return IsBytesOrString(t) && match(name, digestWords, false)
}

// Holds reports whether t can hold a secret value: a string, a byte slice or
// array, or an integer (a PIN or a one-time code).
func Holds(t types.Type) bool {
	if t == nil {
		return false
	}
	if IsBytesOrString(t) {
		return true
	}
	if b, ok := t.Underlying().(*types.Basic); ok {
		if b.Info()&types.IsInteger != 0 {
			return !isDuration(t)
		}
	}
	return false
}

func isDuration(t types.Type) bool {
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time" && n.Obj().Name() == "Duration"
}

// IsBytesOrString reports whether t is a string, a byte slice or a byte array.
func IsBytesOrString(t types.Type) bool {
	if t == nil {
		return false
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Info()&types.IsString != 0
	case *types.Slice:
		return isByte(u.Elem())
	case *types.Array:
		return isByte(u.Elem())
	}
	return false
}

func isByte(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && (b.Kind() == types.Byte || b.Kind() == types.Uint8)
}

// codeQualifiers describe a code that is a label, not a credential.
var codeQualifiers = map[string]bool{
	"status": true, "error": true, "err": true, "exit": true, "return": true,
	"response": true, "http": true, "country": true, "lang": true, "language": true,
	"locale": true, "currency": true, "zip": true, "postal": true, "area": true,
	"color": true, "colour": true, "key": true, "char": true, "op": true, "reason": true,
	"source": true, "byte": true, "machine": true, "qr": true, "bar": true,
}

// IsCode reports whether name of type t names a code that may be a
// credential (registrationCode, loginCode, smsCode, code), as opposed to a
// status, error, country or key code. A code is a secret only where it is
// checked against what a request presents; timingcompare asks for that.
func IsCode(name string, t types.Type) bool {
	if !Holds(t) {
		return false
	}
	words := Words(name)
	found := false
	for _, w := range words {
		if notSecretWords[w] || codeQualifiers[w] {
			return false
		}
		if singular(w) == "code" {
			found = true
		}
	}
	return found
}

// KeyOnly reports whether name is a secret of type t only by the word key
// (signingKey, key): a key may just as well be a map key, the name of a
// configuration key or a public key, so timingcompare wants more evidence
// than the name. apiKey, secretKey and tokenKey are secrets by another word.
func KeyOnly(name string, t types.Type) bool {
	return IsSecret(name, t) && !match(name, secretWords, false)
}

// IsRouting reports whether name names a routing value (a reply subject,
// an inbox, a route): where a message goes, which anyone on the bus sees.
func IsRouting(name string) bool {
	for _, w := range Words(name) {
		switch singular(w) {
		case "reply", "inbox", "subject", "route", "routing":
			return true
		}
	}
	return false
}

// IsIdentifier reports whether name, a secret by its words, names the
// identifier of a secret rather than the secret: its last word is id or
// ids (tokenID, keyID, session_ids). A session's id is its bearer secret
// too; see IsSessionID.
func IsIdentifier(name string) bool {
	w := Words(name)
	return len(w) > 1 && (w[len(w)-1] == "id" || w[len(w)-1] == "ids")
}

// IsSessionID reports whether name names a session id (sessionID, sid is
// not matched: too short to tell), which is the secret a session cookie
// carries.
func IsSessionID(name string) bool {
	w := Words(name)
	return IsIdentifier(name) && singular(w[len(w)-2]) == "session"
}
