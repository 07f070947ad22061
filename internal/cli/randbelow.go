package cli

import (
	"github.com/spf13/cobra"

	"github.com/unguessable/secrets"
)

func newRandBelowCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "randbelow N",
		Short: "Print a uniform random integer in [0, N)",
		Long: `Print a uniform random integer from 0 to N-1, like Python's
secrets.randbelow. N is any positive decimal integer, however large; the
result is exactly uniform (rejection sampling, no modulo bias).`,
		Example: `  secrets randbelow 6                            # a die roll, 0 to 5
  secrets randbelow 100000000000000000000000000  # big bounds work too
  secrets randbelow 1000 -n 10`,
		Args: exactArgs(1, "one bound N"),
	}
	count := addCount(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		n, err := parseBigPositive("N", args[0])
		if err != nil {
			return err
		}
		if n.IsInt64() {
			bound := int(n.Int64())
			return writeLines(cmd.Context(), s, count.v, func(dst []byte) []byte {
				return appendInt(dst, secrets.RandBelow(bound))
			})
		}
		return writeLines(cmd.Context(), s, count.v, func(dst []byte) []byte {
			return secrets.RandBelowBig(n).Append(dst, 10)
		})
	}
	return cmd
}
