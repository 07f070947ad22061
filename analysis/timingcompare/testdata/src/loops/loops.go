// Package loops holds hand-written comparisons that stop at the first
// differing byte, over secrets (want) and over values that are not (ok),
// and calls of comparison helpers.
package loops

import (
	"crypto/subtle"
	"net/http"

	"loopcmp"
)

func checkToken(token, got []byte) bool {
	if len(token) != len(got) {
		return false
	}
	for i := range token {
		if token[i] != got[i] { // want `a loop that stops at the first differing byte compares secret token`
			return false
		}
	}
	return true
}

func checkMAC(r *http.Request, expectedMAC string) bool {
	sent := r.Header.Get("X-MAC")
	ok := len(sent) == len(expectedMAC)
	for i := 0; ok && i < len(sent); i++ {
		if sent[i] != expectedMAC[i] { // want `a loop that stops at the first differing byte compares digest expectedMAC`
			ok = false
			break
		}
	}
	return ok
}

// safeEqual's names say nothing; a caller that passes it a secret is told.
func safeEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func login(password, input string) bool {
	return safeEqual(input, password) // want `safeEqual compares secret password`
}

func viaWrapper(a, b string) bool { return safeEqual(a, b) }

func csrf(r *http.Request, csrfToken string) bool {
	return viaWrapper(r.FormValue("csrf"), csrfToken) // want `viaWrapper compares secret csrfToken`
}

func otherPackage(resetToken, got string, apiKey, sent []byte) bool {
	return loopcmp.Equal(got, resetToken) && // want `Equal compares secret resetToken`
		loopcmp.Same(len(sent), apiKey, sent) // want `Same compares secret apiKey`
}

// Not reported.

func constantTime(token, got []byte) bool {
	var v byte
	for i := range token {
		v |= token[i] ^ got[i] // ok: no early exit
	}
	return v == 0
}

func firstDifference(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] { // ok: two files' contents
			return i
		}
	}
	return -1
}

func names(first, second string) bool {
	return safeEqual(first, second) // ok: no secret passed
}

func subtleHelper(token, got string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(got)) == 1 // ok
}

func countMismatches(token, got []byte) int {
	n := 0
	for i := range token {
		if token[i] != got[i] { // ok: counts, does not stop
			n++
		}
	}
	return n
}
