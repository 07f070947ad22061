// Package crack predicts the output of non-cryptographic random number
// generators from outputs an attacker has seen. It exists to show, with
// working code, why secrets must not come from math/rand or Python's random:
// 624 outputs of a Mersenne Twister (MT19937), or 607 of Go 1's math/rand
// generator, determine every later output exactly.
//
// Nothing in this package is a secret or makes one; it attacks generators.
package crack

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrTooFewOutputs is returned when fewer outputs are given than a generator
// has state: 624 for MT19937, 607 for Go's math/rand.
var ErrTooFewOutputs = errors.New("too few outputs to recover the state")

// ErrInconsistent is returned when outputs beyond those needed to recover the
// state do not follow from it: they are not consecutive outputs of that
// generator.
var ErrInconsistent = errors.New("outputs are not consecutive outputs of the generator")

// ErrSyntax is returned by [ReadOutputs] for a line that is not a number in
// range.
var ErrSyntax = errors.New("not an output")

// ReadOutputs reads one unsigned decimal number of at most bits bits a line
// from r. Blank lines and lines starting with # are skipped. A bad line gives
// an error wrapping [ErrSyntax] that names its line number and a prefix of it.
func ReadOutputs(r io.Reader, bits int) ([]uint64, error) {
	var out []uint64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		v, err := strconv.ParseUint(s, 10, bits)
		if err != nil {
			shown := s
			if len(shown) > 24 {
				shown = shown[:24] + "…"
			}
			return nil, fmt.Errorf("line %d: %q is %w of %d bits", line, shown, ErrSyntax, bits)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading outputs: %w", err)
	}
	return out, nil
}
