package plain

import (
	"math/rand"
	"strconv"
	"testing"
)

// Tests may make fake tokens with math/rand: test files are not checked.
func TestFixture(t *testing.T) {
	token := strconv.Itoa(rand.Int()) // ok
	_ = token
}
