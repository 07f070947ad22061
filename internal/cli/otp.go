package cli

import (
	"github.com/spf13/cobra"

	"github.com/unguessable/secrets/otp"
)

func newOTPCmd(s Streams) *cobra.Command {
	var digits string
	cmd := &cobra.Command{
		Use:   "otp",
		Short: "Print random numeric one-time codes",
		Long: `Print a numeric code of --digits decimal digits (default 6, 4 to 10),
zero-padded and uniform over all 10^digits codes: 19.9 bits for 6 digits.
Such a code is for verification by email or SMS, and is only safe with a
short lifetime and a small attempt limit. For authenticator-app codes, see
secrets totp.`,
		Example: `  secrets otp                  # e.g. 042917
  secrets otp --digits 8 -n 5`,
		Args: noArgs,
	}
	cmd.Flags().StringVarP(&digits, "digits", "d", "6", "number of `N` digits, 4 to 10")
	count := addCount(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		d, err := parseInt("--digits", digits, otp.MinDigits, otp.MaxDigits)
		if err != nil {
			return err
		}
		return writeLines(cmd.Context(), s, count.v, func(dst []byte) []byte {
			return append(dst, otp.Code(int(d))...)
		})
	}
	return cmd
}
