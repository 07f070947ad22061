package secrets

import (
	"bytes"
	"testing"
	"testing/quick"
)

// CompareDigest must agree with the plain, variable-time reference on every input.
func TestCompareDigestAgreesWithBytesEqual(t *testing.T) {
	f := func(a, b []byte) bool { return CompareDigest(a, b) == bytes.Equal(a, b) }
	if err := quick.Check(f, &quick.Config{MaxCount: 10000}); err != nil {
		t.Error(err)
	}
	// Random pairs are almost never equal; check equal and near-equal pairs too.
	g := func(a []byte, i uint) bool {
		b := bytes.Clone(a)
		if !CompareDigest(a, b) || !CompareDigestString(string(a), string(b)) {
			return false
		}
		if len(b) == 0 {
			return true
		}
		b[i%uint(len(b))] ^= 1
		return !CompareDigest(a, b) && !CompareDigestString(string(a), string(b))
	}
	if err := quick.Check(g, &quick.Config{MaxCount: 10000}); err != nil {
		t.Error(err)
	}
}

func TestCompareDigestStringAgreesWithEquality(t *testing.T) {
	f := func(a, b string) bool { return CompareDigestString(a, b) == (a == b) }
	if err := quick.Check(f, &quick.Config{MaxCount: 10000}); err != nil {
		t.Error(err)
	}
	if !CompareDigestString("", "") || CompareDigestString("a", "") {
		t.Error("empty strings compared wrongly")
	}
}
