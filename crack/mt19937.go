package crack

import "fmt"

const (
	mtN = 624
	mtM = 397
)

// MT19937 is a Mersenne Twister whose state was recovered from its outputs.
// Its Uint32 returns what the original generator returns next.
type MT19937 struct {
	mt  [mtN]uint32
	idx int
}

// CloneMT19937 recovers the state of a 32-bit Mersenne Twister (Python's
// random module, C++'s std::mt19937) from at least 624 consecutive 32-bit
// outputs: each output is its state word tempered, and tempering is
// invertible. Outputs after the first 624 are checked against the recovered
// state. The returned generator continues after the last output given.
func CloneMT19937(outputs []uint32) (*MT19937, error) {
	if len(outputs) < mtN {
		return nil, fmt.Errorf("%w: have %d, MT19937 needs %d", ErrTooFewOutputs, len(outputs), mtN)
	}
	m := &MT19937{idx: mtN}
	for i := range mtN {
		m.mt[i] = Untemper(outputs[i])
	}
	for i, want := range outputs[mtN:] {
		if got := m.Uint32(); got != want {
			return nil, fmt.Errorf("%w: output %d is %d, the recovered MT19937 gives %d", ErrInconsistent, mtN+i+1, want, got)
		}
	}
	return m, nil
}

// Uint32 returns the next output.
func (m *MT19937) Uint32() uint32 {
	if m.idx >= mtN {
		m.twist()
	}
	y := m.mt[m.idx]
	m.idx++
	return temper(y)
}

func (m *MT19937) twist() {
	const upper, lower, matrixA = 0x80000000, 0x7fffffff, 0x9908b0df
	for i := range mtN {
		y := m.mt[i]&upper | m.mt[(i+1)%mtN]&lower
		v := m.mt[(i+mtM)%mtN] ^ y>>1
		if y&1 != 0 {
			v ^= matrixA
		}
		m.mt[i] = v
	}
	m.idx = 0
}

func temper(y uint32) uint32 {
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// Untemper inverts MT19937's output tempering, returning the state word that
// became output y.
func Untemper(y uint32) uint32 {
	y = undoRight(y, 18)
	y = undoLeft(y, 15, 0xefc60000)
	y = undoLeft(y, 7, 0x9d2c5680)
	y = undoRight(y, 11)
	return y
}

// undoRight inverts y ^= y >> s: the top s bits are already right, and each
// pass fixes s more.
func undoRight(y uint32, s uint) uint32 {
	x := y
	for range 32/s + 1 {
		x = y ^ x>>s
	}
	return x
}

// undoLeft inverts y ^= y << s & mask, fixing s more low bits each pass.
func undoLeft(y uint32, s uint, mask uint32) uint32 {
	x := y
	for range 32/s + 1 {
		x = y ^ x<<s&mask
	}
	return x
}
