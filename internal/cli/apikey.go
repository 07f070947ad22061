package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/unguessable/secrets/apikey"
)

func newAPIKeyCmd(s Streams) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "apikey [--prefix P]",
		Short: "Print API keys with a prefix and a checksum",
		Long: `Print an API key: the prefix, 43 random base62 characters (256 bits) and
a 6-character CRC32 checksum, like GitHub's tokens, so that secret scanners
and servers can reject a mistyped or made-up key without a database lookup.
The prefix holds letters, digits and '_', ends in '_' and has at most 32
characters. Store only the key's SHA-256; "secrets apikey check" tells
whether a key is well formed.`,
		Example: `  secrets apikey --prefix sk_live_         # one live key
  secrets apikey --prefix pk_test_ -n 10   # ten test keys
  secrets apikey check sk_live_…           # exit 0 if well formed, 1 if not
  echo "$KEY" | secrets apikey check -     # keep the key out of shell history`,
		Args: func(cmd *cobra.Command, args []string) error {
			// A long stray argument is most likely a key given without
			// "check": say so without repeating it.
			if len(args) > 0 && len(args[0]) > 20 {
				return withHint(usagef("secrets apikey takes no arguments; to check a key, use secrets apikey check KEY"), "the argument is not repeated here: it may be a key")
			}
			return noArgs(cmd, args)
		},
	}
	cmd.Flags().StringVarP(&prefix, "prefix", "p", "sk_", "the key's `PREFIX`, ending in '_'")
	count := addCount(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := apikey.CheckPrefix(prefix); err != nil {
			return withHint(usagef("--prefix: %v", err), "use letters, digits and '_', ending in '_', such as sk_live_")
		}
		return writeLines(cmd.Context(), s, count.v, func(dst []byte) []byte {
			return append(dst, apikey.New(prefix)...)
		})
	}
	cmd.AddCommand(newAPIKeyCheckCmd(s))
	return cmd
}

// maxKeyInput caps a key read from standard input.
const maxKeyInput = 4 << 10

func newAPIKeyCheckCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "check KEY",
		Short: "Check that an API key is well formed",
		Long: `Check the prefix, length, characters and checksum of an API key made by
"secrets apikey". Exit status 0 means well formed; 1 means malformed, with
the reason on standard error. A well-formed key may still be unknown or
revoked: only the server that issued it can tell. KEY "-" reads the key from
standard input. Messages show the key only redacted.`,
		Example: `  secrets apikey check sk_live_…
  secrets apikey check - < key.txt`,
		Args: exactArgs(1, "one KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			key := args[0]
			if key == "-" {
				var err error
				if key, err = readKey(s.In); err != nil {
					return err
				}
			}
			p, err := apikey.Parse(key)
			if err != nil {
				return exitWith(exitFailure, fmt.Sprintf("key %s is malformed: %s", apikey.Redact(key), strings.TrimPrefix(err.Error(), "apikey: ")))
			}
			_, err = fmt.Fprintf(s.Out, "key %s is well formed (prefix %s)\n", apikey.Redact(key), p.Prefix)
			return err
		},
	}
}

// readKey reads the one key on r: blank lines and the spaces around the
// key are dropped (a key holds none), and input with two keys or more than
// maxKeyInput bytes is refused rather than cut.
func readKey(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxKeyInput+1))
	if err != nil {
		return "", fmt.Errorf("reading the key from standard input: %w", err)
	}
	if len(b) > maxKeyInput {
		return "", usagef("standard input holds more than %d bytes: not a key", maxKeyInput)
	}
	var lines []string
	for line := range strings.Lines(string(b)) {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	switch len(lines) {
	case 0:
		return "", usagef("standard input holds no key")
	case 1:
		return lines[0], nil
	}
	return "", withHint(usagef("standard input holds %d lines: give one key", len(lines)), "check or verify each key with its own call")
}
