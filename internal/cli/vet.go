package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/unguessable/secrets/analysis/secretsvet"
)

func newVetCmd(s Streams) *cobra.Command {
	var jsonOut, sarif, tests bool
	cmd := &cobra.Command{
		Use:   "vet [packages]",
		Short: "Report math/rand secrets, variable-time comparisons and short tokens in Go code",
		Long: `vet runs the secretsvet analyzers over Go packages (default "."):
weakrand (a math/rand value that becomes a token, password, key, cookie or
crypto argument), timingcompare (a secret or MAC compared with == or
bytes.Equal) and shorttoken (a token of fewer than 16 random bytes).

It exits 0 when it finds nothing and 3 when it reports findings. A package
that does not parse or type-check is named on stderr and skipped, and the
others are analysed. A
"//secretsvet:ignore reason" comment on a line silences that line. The same
analyzers run under go vet with: go vet -vettool=$(which secretsvet) ./...`,
		Example: `  secrets vet ./...
  secrets vet --json ./... > findings.json
  secrets vet --sarif ./... > secretsvet.sarif`,
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := secretsvet.Run(args, secretsvet.Options{JSON: jsonOut, SARIF: sarif, Tests: tests}, s.Out)
			var broken *secretsvet.LoadError
			if errors.As(err, &broken) && n > 0 {
				// The findings outrank the skipped packages, which are
				// still named, one a line.
				for _, p := range broken.Packages {
					fmt.Fprintf(s.Err, "secrets: vet: %s: not analysed: %s\n", p.Path, p.Err)
				}
				err = nil
			}
			switch {
			case errors.Is(err, secretsvet.ErrNoPackages), errors.Is(err, secretsvet.ErrPattern):
				return usagef("%w", err)
			case err != nil:
				return err
			case n > 0:
				return exitWith(exitFindings, fmt.Sprintf("vet: %d finding%s", n, plural(n)))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "write the findings as JSON")
	cmd.Flags().BoolVar(&sarif, "sarif", false, "write the findings as a SARIF 2.1.0 log (GitHub code scanning)")
	cmd.MarkFlagsMutuallyExclusive("json", "sarif")
	cmd.Flags().BoolVar(&tests, "test", false, "also check test files")
	return cmd
}
