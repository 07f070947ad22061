package secrets

import (
	"crypto/subtle"
	"unsafe"
)

// CompareDigest reports whether a and b are equal, taking time that depends
// only on their lengths, never on their contents: an attacker who can time
// the comparison learns nothing about how many leading bytes of a guess were
// right. Like Python's secrets.compare_digest, it does leak whether the
// lengths differ and, through the running time, the lengths themselves;
// compare fixed-length values such as digests (hash both sides first when
// lengths could vary).
func CompareDigest(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}

// CompareDigestString is [CompareDigest] for strings. It does not copy either
// string, so no extra copy of a secret is left on the heap.
func CompareDigestString(a, b string) bool {
	return subtle.ConstantTimeCompare(stringBytes(a), stringBytes(b)) == 1
}

// stringBytes views s as a byte slice without copying; the slice is only read.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
