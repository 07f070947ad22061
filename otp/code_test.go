package otp_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/internal/chisq"
	"github.com/unguessable/secrets/otp"
)

func TestCodeHasExactlyDigitsDigits(t *testing.T) {
	for d := otp.MinDigits; d <= otp.MaxDigits; d++ {
		t.Run(fmt.Sprintf("%d digits are %d decimal characters", d, d), func(t *testing.T) {
			for range 100 {
				c := otp.Code(d)
				if len(c) != d || strings.Trim(c, "0123456789") != "" {
					t.Fatalf("code of %d bytes or not all digits", len(c))
				}
			}
		})
	}
}

func TestCodeIsUniformOverAllCodes(t *testing.T) {
	// All 10^4 four-digit codes, zero-padded ones included: 200,000 draws,
	// 20 expected per code.
	counts := map[string]int{}
	for range 200000 {
		counts[otp.Code(4)]++
	}
	chisq.RequireUniform(t, counts, 10000)
}

func TestCodeDigitsAreUniformAtEveryPosition(t *testing.T) {
	// 10 digits x 10 positions = 100 cells of (position, digit), 200 each.
	counts := map[string]int{}
	for range 2000 {
		for i, c := range otp.Code(10) {
			counts[fmt.Sprint(i, c)]++
		}
	}
	chisq.RequireUniform(t, counts, 100)
}

func TestCodePanicsOutsideItsRange(t *testing.T) {
	for _, d := range []int{otp.MinDigits - 1, otp.MaxDigits + 1} {
		t.Run(fmt.Sprintf("%d digits panics", d), func(t *testing.T) {
			defer func() {
				if s, ok := recover().(string); !ok || !strings.HasPrefix(s, "otp: ") {
					t.Errorf("recovered %v, want an otp: panic", s)
				}
			}()
			otp.Code(d)
		})
	}
}

func TestChiSquareRejectsModuloBias(t *testing.T) {
	// Power check: a digit made as byte % 10 favours 0-5 (26 of 256 bytes
	// each) over 6-9 (25 each), a relative bias of 4%. Over 2,000,000
	// digits the statistic is noncentral chi-square with 9 degrees of
	// freedom and lambda = 2e6 x 3.66e-4 = 732: mean 741, standard
	// deviation sqrt(2 (9 + 2 x 732)) = 54, so falling under the critical
	// value of 60.7 (chisq.Critical(9)) is 12.6 standard deviations away.
	// The uniformity tests above must reject such a generator.
	var digits [10]int
	for _, b := range secrets.TokenBytes(2000000) {
		digits[b%10]++
	}
	counts := map[string]int{}
	for d, c := range digits {
		counts[fmt.Sprint(d)] = c
	}
	r := chisq.UniformOver(counts, 10)
	t.Logf("biased generator: %v", r)
	if !r.Reject() {
		t.Errorf("a biased generator was accepted: %v", r)
	}
}
