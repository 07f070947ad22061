package fiximport

import (
	"bytes"
	"crypto/sha256"
)

func sums(pw string, stored [32]byte) bool {
	sum := sha256.Sum256([]byte(pw))
	return sum != stored // want `!= compares digest sum`
}

func negated(token, got []byte) bool {
	return !bytes.Equal(token, got) // want `bytes.Equal compares secret token`
}

func inside(apiKey, got []byte, ok bool) bool {
	return ok && bytes.Equal(got, apiKey) // want `bytes.Equal compares secret apiKey`
}
