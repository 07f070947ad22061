// Package loopcmp holds comparison helpers whose parameter names say
// nothing: they are reported where a caller, in package loops, passes them
// a secret.
package loopcmp

import "bytes"

// Equal is the hand-written comparison of many a project.
func Equal(a, b string) bool { // want Equal:`compareHelper\(0, 1\)`
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

// Same wraps bytes.Equal, with the arguments in another order.
func Same(n int, x, y []byte) bool { // want Same:`compareHelper\(2, 1\)`
	return n > 0 && bytes.Equal(y[:n], x)
}
