package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/unguessable/secrets/password"
)

// minOfflineBits is the entropy below which secrets password warns, and the
// least it recommends: a password of fewer bits may be found by an offline
// search of a stolen fast hash (80 bits at 10^12 guesses a second is 19,000
// years on average; 64 bits is 107 days).
const minOfflineBits = 80

func newPasswordCmd(s Streams) *cobra.Command {
	var (
		length, charset, exclude string
		noAmbiguous, requireEach bool
		showBits, asJSON         bool
	)
	type classFlag struct {
		name, what string
		on, no     bool
	}
	classes := []*classFlag{
		{name: "lower", what: "lower-case letters a-z"},
		{name: "upper", what: "upper-case letters A-Z"},
		{name: "digits", what: "digits 0-9"},
		{name: "symbols", what: "the 32 ASCII symbols"},
	}
	cmd := &cobra.Command{
		Use:   "password",
		Short: "Print random passwords from character classes",
		Long: `Print a password of characters drawn uniformly and independently. By
default 20 characters from lower-case and upper-case letters, digits and
the 32 ASCII symbols: 94 characters, 131.1 bits.

--require-each requires at least one character of every enabled class
without skewing the result: whole candidates are drawn and rejected until
one qualifies, so every qualifying password is equally likely, and the
entropy is the exact log2 of their number (by inclusion-exclusion), a
little below length x log2(94). --charset uses exactly the given
characters; --exclude and --no-ambiguous (I l 1 O 0 | ` + "`" + ` ' ") remove some.`,
		Example: `  secrets password                          # 20 characters, 131.1 bits
  secrets password --length 16 --no-symbols
  secrets password --require-each --no-ambiguous --entropy
  secrets password --charset 0123456789abcdef --length 32
  secrets password --json -n 5`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return nil
			case isDecimal(args[0]):
				return usagef("secrets password takes no arguments, got %q; for a length, use --length %s", truncate(args[0]), truncate(args[0]))
			}
			// Anything else may be a password someone hoped to rate: do
			// not repeat it.
			return usagef("secrets password takes no arguments (not repeated: it may be a password); to rate a password you chose, pipe it to secrets entropy --password")
		},
	}
	f := cmd.Flags()
	f.StringVarP(&length, "length", "l", strconv.Itoa(password.DefaultLength), "password length `N` in characters")
	for _, c := range classes {
		// cobra adds "(default true)" to the help of --lower and the others.
		f.BoolVar(&c.on, c.name, true, "use "+c.what)
		f.BoolVar(&c.no, "no-"+c.name, false, "do not use "+c.what)
	}
	f.StringVar(&charset, "charset", "", "draw from exactly the characters in `S` instead of the classes")
	for _, c := range classes {
		exclusiveFlags(cmd, fmt.Sprintf("--%s and --no-%[1]s contradict each other", c.name), c.name, "no-"+c.name)
		for _, name := range []string{c.name, "no-" + c.name} {
			exclusiveFlags(cmd, fmt.Sprintf("--charset replaces the classes, so --%s cannot be used with it", name), "charset", name)
		}
	}
	f.StringVar(&exclude, "exclude", "", "never use the characters in `S`")
	f.BoolVar(&noAmbiguous, "no-ambiguous", false, "exclude characters easily confused: I l 1 O 0 | ` ' \"")
	f.BoolVar(&requireEach, "require-each", false, "require at least one character of every enabled class, without bias")
	f.BoolVar(&showBits, "entropy", false, "print the exact entropy in bits after each password")
	f.BoolVar(&asJSON, "json", false, "print one JSON object a line with password and bits")
	count := addCount(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		n, err := parseInt("--length", length, 1, password.MaxLength)
		if err != nil {
			return err
		}
		opts := password.Options{Length: int(n), Charset: charset, Exclude: exclude, NoAmbiguous: noAmbiguous, RequireEach: requireEach}
		on := make([]bool, len(classes))
		for i, c := range classes {
			on[i] = c.on && !c.no
		}
		opts.Lower, opts.Upper, opts.Digits, opts.Symbols = on[0], on[1], on[2], on[3]
		g, err := password.NewGenerator(opts)
		if err != nil {
			return usagef("%v", err)
		}
		bits := g.Bits()
		if bits < minOfflineBits {
			fmt.Fprintf(s.Err, "secrets: warning: these passwords are %.1f bits; use %d or more for anything an attacker could guess offline\n", bits, minOfflineBits)
		}
		bitsText := strconv.FormatFloat(bits, 'f', 2, 64)
		return writeLines(cmd.Context(), s, count.v, func(dst []byte) []byte {
			p := g.Generate()
			switch {
			case asJSON:
				dst = append(dst, `{"password":`...)
				dst = appendJSONString(dst, p)
				dst = append(dst, `,"bits":`...)
				dst = strconv.AppendFloat(dst, bits, 'f', -1, 64)
				return append(dst, '}')
			case showBits:
				dst = append(dst, p...)
				dst = append(dst, '\t')
				dst = append(dst, bitsText...)
				return append(dst, " bits"...)
			}
			return append(dst, p...)
		})
	}
	return cmd
}
