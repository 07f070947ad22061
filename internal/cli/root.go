package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newRootCmd(s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "secrets",
		Short: "Generate, issue and verify values that must stay unguessable",
		Long: `secrets generates tokens, keys, passwords and codes from the operating
system's cryptographically secure random number generator, and serves an
HTTP API that issues and verifies them.`,
		Example: `  secrets urlsafe                  # a 32-byte URL-safe token
  secrets hex 16 --count 5         # five 16-byte hex tokens
  secrets bytes 1048576 > key.bin  # a MiB of raw random bytes
  secrets randbelow 1000000        # a uniform integer in [0, 1000000)
  secrets choice red green blue    # one of the arguments`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(
		newTokenCmd(s, tokenHex),
		newTokenCmd(s, tokenURLSafe),
		newTokenCmd(s, tokenBytes),
		newRandBelowCmd(s),
		newChoiceCmd(s),
		newVersionCmd(s),
		newAPIKeyCmd(s),
		newPassphraseCmd(s),
		newPasswordCmd(s),
		newOTPCmd(s),
		newTOTPCmd(s),
		newEntropyCmd(s),
		newServeCmd(s),
		newVetCmd(s),
		newCrackCmd(s),
	)
	return root
}

// flagError turns pflag's errors into usage errors. A negative number, which
// pflag takes for an unknown shorthand flag such as -5, gets its own message.
func flagError(_ *cobra.Command, err error) error {
	var shorthand string
	if _, scanErr := fmt.Sscanf(err.Error(), "unknown shorthand flag: %s", &shorthand); scanErr == nil {
		if i := strings.LastIndex(err.Error(), " in -"); i >= 0 && isDecimal(err.Error()[i+4:]) {
			return usagef("%s is negative: sizes, counts and bounds are whole numbers of 0 or more", err.Error()[i+4:])
		}
	}
	return &usageError{err: err}
}
