// Package secrets is a stand-in for github.com/unguessable/secrets with the
// functions the tests call.
package secrets

import "crypto/subtle"

func CompareDigest(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

func TokenHex(n int) string { return "" }
