package cli

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// parseInt must accept exactly the decimal integers in range, agreeing with
// strconv, and reject everything else with a usage error.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"0", "32", "-1", "+5", "1073741824", "1073741825", "99999999999999999999", "", "1e3", "0x10", " 1", "١٢", "00012"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseInt("NBYTES", s, 0, maxTokenBytes)
		ref, refErr := strconv.ParseInt(s, 10, 64)
		ok := refErr == nil && ref >= 0 && ref <= maxTokenBytes && isDecimal(s)
		if ok != (err == nil) {
			t.Fatalf("parseInt(%q) = %d, %v; strconv says %d, %v", s, v, err, ref, refErr)
		}
		if err == nil && v != ref {
			t.Fatalf("parseInt(%q) = %d, want %d", s, v, ref)
		}
		var ue *usageError
		if err != nil && !errors.As(err, &ue) {
			t.Fatalf("parseInt(%q) error %v is not a usage error", s, err)
		}
	})
}

func FuzzParseBigPositive(f *testing.F) {
	for _, s := range []string{"1", "0", "-1", "123456789012345678901234567890", "", "+3", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseBigPositive("N", s)
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("parseBigPositive(%q) error %v is not a usage error", s, err)
			}
			return
		}
		if n.Sign() <= 0 || !isDecimal(s) {
			t.Fatalf("parseBigPositive(%q) accepted %v", s, n)
		}
	})
}

func TestNumericErrorsQuoteAtMostATruncatedValue(t *testing.T) {
	huge := strings.Repeat("9", 5000)
	for _, c := range []struct {
		name string
		err  error
	}{
		{"a huge NBYTES", func() error { _, err := parseInt("NBYTES", huge, 0, maxTokenBytes); return err }()},
		{"a huge negative --count", func() error { _, err := parseInt("--count", "-"+huge, 0, maxCount); return err }()},
		{"a huge non-number", func() error { _, err := parseInt("NBYTES", huge+"x", 0, maxTokenBytes); return err }()},
	} {
		t.Run(c.name+" is shortened in the message", func(t *testing.T) {
			if c.err == nil || len(c.err.Error()) > 200 {
				t.Fatalf("error of %d bytes, want a short one: %.80s", len(c.err.Error()), c.err)
			}
		})
	}
	t.Run("a huge negative number is too small, not too large", func(t *testing.T) {
		_, err := parseInt("--count", "-"+huge, 0, maxCount)
		if err == nil || !strings.Contains(err.Error(), "too small") {
			t.Fatalf("error %.80s, want too small", err)
		}
	})
}
