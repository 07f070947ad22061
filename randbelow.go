package secrets

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math/big"
	"math/bits"
)

// RandBelow returns a uniform random integer in [0, n): log2(n) bits of
// entropy. It draws ceil(log2(n)) random bits and rejects values of n or more,
// so every result is exactly equally likely; on average fewer than two draws
// are needed. RandBelow panics if n <= 0.
func RandBelow(n int) int {
	if n <= 0 {
		panic(fmt.Sprintf("secrets: RandBelow argument %d is not positive", n))
	}
	return int(randBelow64(uint64(n)))
}

// randBelow64 returns a uniform value in [0, n), n >= 1.
func randBelow64(n uint64) uint64 {
	if n == 1 {
		return 0
	}
	mask := uint64(1)<<bits.Len64(n-1) - 1
	var b [8]byte
	for {
		rand.Read(b[:])
		v := binary.LittleEndian.Uint64(b[:]) & mask
		if v < n {
			return v
		}
	}
}

// RandBelowBig returns a uniform random integer in [0, n) for an n of any
// size, like Python's secrets.randbelow on its unbounded ints: log2(n) bits of
// entropy, by rejection sampling. n is not modified. RandBelowBig panics if n
// is nil or not positive.
func RandBelowBig(n *big.Int) *big.Int {
	if n == nil || n.Sign() <= 0 {
		panic(fmt.Sprintf("secrets: RandBelowBig argument %v is not positive", n))
	}
	// crypto/rand.Int rejects candidates of n or more; it is given the
	// package's own Reader, never a caller's.
	v, err := rand.Int(rand.Reader, n)
	if err != nil {
		// rand.Reader never fails (it crashes the program instead).
		panic("secrets: RandBelowBig: " + err.Error())
	}
	return v
}

// RandBits returns a non-negative integer with k random bits, uniform in
// [0, 2^k): k bits of entropy. k = 0 returns 0. RandBits panics if k is
// negative.
func RandBits(k int) *big.Int {
	if k < 0 {
		panic(fmt.Sprintf("secrets: RandBits argument %d is negative", k))
	}
	if k == 0 {
		return new(big.Int)
	}
	b := make([]byte, (k+7)/8)
	rand.Read(b)
	// Keep only k bits: clear the excess high bits of the first (big-endian) byte.
	b[0] &= byte(0xff >> (8*len(b) - k))
	v := new(big.Int).SetBytes(b)
	clear(b)
	return v
}
