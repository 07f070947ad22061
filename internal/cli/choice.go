package cli

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/unguessable/secrets"
)

// Limits on a --file of items.
const (
	maxItemsFileBytes = 64 << 20
	maxItemBytes      = 64 << 10
)

func newChoiceCmd(s Streams) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "choice ITEM... | choice --file F",
		Short: "Print an item chosen uniformly at random",
		Long: `Print one of the given items, chosen uniformly, like Python's
secrets.choice. Items come from the arguments or, with --file, one a line
from a file (blank lines ignored; "-" reads standard input). Repeated items
are kept, so an item listed twice is twice as likely.`,
		Example: `  secrets choice heads tails
  secrets choice --file names.txt -n 3`,
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "read items from `F`, one a line (- for standard input)")
	count := addCount(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		items := args
		switch {
		case file != "" && len(args) > 0:
			return usagef("choice takes items as arguments or from --file, not both")
		case file != "":
			var err error
			if items, err = readItems(s, file); err != nil {
				return err
			}
			if len(items) == 0 {
				return usagef("nothing to choose from: %s has no non-blank lines", file)
			}
		case len(args) == 0:
			return withHint(usagef("nothing to choose from"), "give items as arguments (secrets choice a b c) or --file F")
		}
		return writeLines(cmd.Context(), s, count.v, func(dst []byte) []byte {
			return append(dst, secrets.Choice(items)...)
		})
	}
	return cmd
}

// readItems reads the non-blank lines of name ("-" for standard input).
func readItems(s Streams, name string) ([]string, error) {
	var r io.Reader
	if name == "-" {
		r = s.In
	} else {
		f, err := openInput(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var items []string
	sc := bufio.NewScanner(io.LimitReader(r, maxItemsFileBytes+1))
	sc.Buffer(make([]byte, 0, 64<<10), maxItemBytes)
	var total int
	for sc.Scan() {
		total += len(sc.Bytes()) + 1
		if total > maxItemsFileBytes {
			return nil, usagef("%s is larger than %d MiB", name, maxItemsFileBytes>>20)
		}
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) != "" {
			items = append(items, line)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, usagef("%s has a line longer than %d KiB", name, maxItemBytes>>10)
		}
		return nil, usagef("reading %s: %v", name, err)
	}
	return items, nil
}

// openInput opens a regular file for reading, with errors that say what is wrong.
func openInput(name string) (*os.File, error) {
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, usagef("%s does not exist", name)
		}
		return nil, usagef("cannot open %s: %v", name, errors.Unwrap(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, usagef("cannot read %s: %v", name, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, usagef("%s is a directory, not a file", name)
	}
	return f, nil
}
