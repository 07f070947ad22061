package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/internal/stream"
)

// tokenKind describes one of the hex, urlsafe and bytes commands.
type tokenKind struct {
	name, short, long, example string
	format                     stream.Format
}

var (
	tokenHex = tokenKind{
		name:  "hex",
		short: "Print random tokens in hexadecimal",
		long: `Print a random token of NBYTES random bytes (default 32, 256 bits) as
2 x NBYTES lower-case hexadecimal characters, like Python's
secrets.token_hex.`,
		example: `  secrets hex                 # 64 hex characters, 256 bits
  secrets hex 16              # 32 hex characters, 128 bits
  secrets hex -n 1000 > ids   # a thousand tokens, one a line`,
		format: stream.Hex,
	}
	tokenURLSafe = tokenKind{
		name:  "urlsafe",
		short: "Print random URL-safe tokens (base64url)",
		long: `Print a random token of NBYTES random bytes (default 32, 256 bits) in
unpadded base64url: ceil(4 x NBYTES / 3) characters from A-Z a-z 0-9 - _,
safe in URLs and file names, like Python's secrets.token_urlsafe.`,
		example: `  secrets urlsafe                          # 43 characters, 256 bits
  secrets urlsafe 16                       # 22 characters, 128 bits
  secrets urlsafe 32 --count 10000000 > f  # ten million tokens, streamed`,
		format: stream.URLSafe,
	}
	tokenBytes = tokenKind{
		name:  "bytes",
		short: "Write raw random bytes",
		long: `Write NBYTES raw random bytes (default 32) to standard output, with no
separator; with --count N, N x NBYTES bytes. Output is streamed in constant
memory, so it can feed a test battery or fill a key file of any size. It
refuses to write to a terminal.`,
		example: `  secrets bytes 32 > key.bin
  secrets bytes 1048576 --count 100 | ent     # 100 MiB
  # dieharder -a reads until its last test ends: give it a stream (100 TB) that outlasts it
  secrets bytes 1048576 --count 100000000 | dieharder -g 200 -a`,
		format: stream.Raw,
	}
)

func newTokenCmd(s Streams, k tokenKind) *cobra.Command {
	cmd := &cobra.Command{
		Use:     k.name + " [NBYTES]",
		Short:   k.short,
		Long:    k.long,
		Example: k.example,
		Args:    maxArgs(1),
	}
	var count *countFlag
	if k.format == stream.Raw {
		count = addCountUsage(cmd, "how many NBYTES blocks to write, back to back with no separator")
	} else {
		count = addCount(cmd)
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		nbytes := int64(secrets.DefaultEntropy)
		if len(args) == 1 {
			var err error
			if nbytes, err = parseInt("NBYTES", args[0], 0, maxTokenBytes); err != nil {
				return err
			}
		}
		if k.format == stream.Raw && count.v > 0 && nbytes > 0 && isTerminal(s.Out) {
			return withHint(usagef("refusing to write raw bytes to a terminal"),
				"redirect to a file or a pipe (secrets bytes > key.bin), or use secrets hex")
		}
		if k.format != stream.Raw && nbytes > 0 && nbytes < 16 {
			fmt.Fprintf(s.Err, "secrets: warning: %d bytes is %d bits; 16 bytes (128 bits) is the least for a token that must resist offline guessing\n", nbytes, nbytes*8)
		}
		return writeTokens(cmd, s, k.format, nbytes, count.v)
	}
	return cmd
}

func writeTokens(cmd *cobra.Command, s Streams, f stream.Format, nbytes, count int64) error {
	progress, finish := newProgress(s, count)
	err := stream.Tokens(cmd.Context(), s.Out, f, nbytes, count, progress)
	finish()
	return err
}
