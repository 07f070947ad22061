package cli

import (
	"strings"
	"testing"
)

func TestOTPPrintsZeroPaddedCodes(t *testing.T) {
	for _, c := range []struct {
		name   string
		args   []string
		digits int
	}{
		{"the default is 6 digits", nil, 6},
		{"--digits 4 is the least", []string{"--digits", "4"}, 4},
		{"--digits 10 is the most", []string{"-d", "10"}, 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := mustRun(t, append([]string{"otp", "-n", "100"}, c.args...)...)
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != 100 {
				t.Fatalf("%d lines", len(lines))
			}
			for _, l := range lines {
				if len(l) != c.digits || strings.Trim(l, "0123456789") != "" {
					t.Fatalf("code %q", l)
				}
			}
		})
	}
}

func TestOTPBulkIsUniform(t *testing.T) {
	// All 10^4 four-digit codes through the parallel writer, 20 each.
	out := mustRun(t, "otp", "--digits", "4", "-n", "200000")
	checkUniformLines(t, out, 10000, func(l string) bool { return len(l) == 4 && strings.Trim(l, "0123456789") == "" })
}

func TestOTPBadInput(t *testing.T) {
	for _, c := range []struct {
		args  []string
		wants []string
	}{
		{[]string{"--digits", "3"}, []string{"--digits 3 is too small: the least is 4"}},
		{[]string{"--digits", "11"}, []string{"--digits 11 is too large: the most is 10"}},
		{[]string{"--digits", "six"}, []string{`--digits "six"`}},
		{[]string{"123"}, []string{"takes no arguments"}},
	} {
		t.Run("otp "+strings.Join(c.args, " ")+" is refused", func(t *testing.T) {
			wantUsageError(t, run(t, "", append([]string{"otp"}, c.args...)...), c.wants...)
		})
	}
}
