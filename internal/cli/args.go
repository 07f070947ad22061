package cli

import (
	"math/big"
	"strconv"

	"github.com/spf13/cobra"
)

// Limits on numeric input. They turn absurd requests into clear errors
// instead of hours of output or an out-of-memory crash.
const (
	maxTokenBytes = 1 << 30 // one token: 1 GiB of randomness
	maxCount      = 1 << 40 // results in one run
	maxDigits     = 100000  // digits of a randbelow bound
)

// parseInt parses s as a decimal integer in [lo, hi]. what names the value in
// the error ("NBYTES", "--count").
func parseInt(what, s string, lo, hi int64) (int64, error) {
	if !isDecimal(s) {
		return 0, usagef("%s %q is not a whole number", what, truncate(s))
	}
	v, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil && s[0] == '-', err == nil && v < lo:
		return 0, usagef("%s %s is too small: the least is %d", what, truncate(s), lo)
	case err != nil || v > hi:
		return 0, usagef("%s %s is too large: the most is %d", what, truncate(s), hi)
	}
	return v, nil
}

// parseBigPositive parses s as a positive decimal integer of any size up to maxDigits digits.
func parseBigPositive(what, s string) (*big.Int, error) {
	if !isDecimal(s) || s[0] == '-' {
		return nil, usagef("%s %q is not a positive whole number", what, truncate(s))
	}
	if len(s) > maxDigits {
		return nil, usagef("%s has %d digits: the most is %d", what, len(s), maxDigits)
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || n.Sign() <= 0 {
		return nil, usagef("%s %s is not positive: it must be at least 1", what, truncate(s))
	}
	return n, nil
}

// isDecimal reports whether s is an optional sign followed by one or more ASCII digits.
func isDecimal(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// truncate shortens user input quoted in an error message.
func truncate(s string) string {
	const most = 40
	if len(s) <= most {
		return s
	}
	return s[:most] + "…"
}

// countFlag is -n/--count: a number of results from 0 to maxCount.
type countFlag struct{ v int64 }

func (c *countFlag) String() string { return strconv.FormatInt(c.v, 10) }
func (c *countFlag) Type() string   { return "N" }
func (c *countFlag) Set(s string) error {
	v, err := parseInt("--count", s, 0, maxCount)
	if err != nil {
		return err
	}
	c.v = v
	return nil
}

// addCount adds -n/--count to cmd, defaulting to 1, for results printed one
// a line.
func addCount(cmd *cobra.Command) *countFlag {
	return addCountUsage(cmd, "how many results to print, one a line")
}

// addCountUsage adds -n/--count to cmd with its own help text.
func addCountUsage(cmd *cobra.Command, usage string) *countFlag {
	c := &countFlag{v: 1}
	cmd.Flags().VarP(c, "count", "n", usage)
	return c
}

// noArgs rejects positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), truncate(args[0]))
	}
	return nil
}

// maxArgs rejects more than n positional arguments with a usage error.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usagef("%s takes at most %d argument%s, got %d", cmd.CommandPath(), n, plural(n), len(args))
		}
		return nil
	}
}

// exactArgs requires exactly n positional arguments, named in the error.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s needs %s, got %d argument%s", cmd.CommandPath(), names, len(args), plural(len(args)))
		}
		return nil
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
