package cli

import (
	"errors"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/unguessable/secrets"
)

// Limits on a --file of items.
const (
	maxItemsFileBytes = 16 << 20
	maxItemBytes      = 64 << 10
	maxItems          = 1 << 20
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
		for i, it := range args {
			if !utf8.ValidString(it) {
				return usagef("item %d is not valid UTF-8", i+1)
			}
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
	// One read of the whole (bounded) input and one string for all items,
	// which are slices of it: memory stays a small multiple of the limit.
	data, err := io.ReadAll(io.LimitReader(r, maxItemsFileBytes+1))
	if err != nil {
		return nil, usagef("reading %s: %v", name, err)
	}
	if len(data) > maxItemsFileBytes {
		return nil, usagef("%s is larger than %d MiB", name, maxItemsFileBytes>>20)
	}
	text := string(data)
	items := make([]string, 0, min(strings.Count(text, "\n")+1, maxItems))
	for lineNo := 1; text != ""; lineNo++ {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		if len(line) > maxItemBytes {
			return nil, usagef("%s has a line longer than %d KiB", name, maxItemBytes>>10)
		}
		line = strings.TrimSuffix(line, "\r")
		if !utf8.ValidString(line) {
			return nil, usagef("%s: line %d is not valid UTF-8", name, lineNo)
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if len(items) == maxItems {
			return nil, usagef("%s has more than %d items", name, maxItems)
		}
		items = append(items, line)
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
