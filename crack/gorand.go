package crack

import "fmt"

const (
	goLen  = 607 // the generator's state: 607 words
	goTap  = 273 // the second lag
	goMask = 1<<63 - 1
)

// GoRand predicts Go 1's math/rand generator, rand.New(rand.NewSource(seed)),
// and the package-level functions of math/rand before Go 1.20 or with
// GODEBUG=randautoseed=0. It is an additive lagged Fibonacci generator:
// x[n] = x[n-607] + x[n-273] mod 2^64, and Int63 returns the low 63 bits, so
// 607 consecutive Int63 outputs give every later one exactly, whatever the
// seed.
type GoRand struct {
	x   [goLen]uint64 // the last 607 outputs' low 63 bits, a ring
	pos int           // index of the oldest, x[n-607]
}

// CloneGoRand recovers math/rand's generator from at least 607 consecutive
// Int63 outputs. Outputs after the first 607 are checked against the
// recovered generator. The returned generator continues after the last
// output given.
func CloneGoRand(outputs []int64) (*GoRand, error) {
	if len(outputs) < goLen {
		return nil, fmt.Errorf("%w: have %d, Go's math/rand needs %d", ErrTooFewOutputs, len(outputs), goLen)
	}
	g := &GoRand{}
	for i := range goLen {
		if outputs[i] < 0 {
			return nil, fmt.Errorf("%w: output %d is negative, which Int63 never returns", ErrInconsistent, i+1)
		}
		g.x[i] = uint64(outputs[i])
	}
	for i, want := range outputs[goLen:] {
		if got := g.Int63(); got != want {
			return nil, fmt.Errorf("%w: output %d is %d, the recovered math/rand gives %d", ErrInconsistent, goLen+i+1, want, got)
		}
	}
	return g, nil
}

// Int63 returns the next output.
func (g *GoRand) Int63() int64 {
	// The ring holds x[n-607] at pos and x[n-273] at pos+607-273.
	v := (g.x[g.pos] + g.x[(g.pos+goLen-goTap)%goLen]) & goMask
	g.x[g.pos] = v
	g.pos = (g.pos + 1) % goLen
	return int64(v)
}
