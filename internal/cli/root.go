package cli

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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
		// The root runs only to show its help (see typeErrors), so its
		// usage line is "secrets", not "secrets [flags]".
		DisableFlagsInUseLine: true,
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
		newAccessCmd(s),
		newKeysCmd(s),
		newBackupCmd(s),
		newRestoreCmd(s),
		newVetCmd(s),
		newCrackCmd(s),
	)
	finishTree(root)
	return root
}

// finishTree adds cobra's help and completion commands to root (cobra adds
// them when it executes; added now, they are treated like the others) and
// gives every command in the tree typed errors.
func finishTree(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Args = helpTopic
		case "completion":
			c.Args = unknownSubcommand // cobra.NoArgs, but with a hint
		}
	}
	typeErrors(root)
}

// typeErrors gives every command in the tree errors whose type says what went
// wrong, so that Main never has to read a message to pick an exit status:
//   - a command with subcommands and neither Args nor Run of its own (the
//     root) refuses an unknown subcommand with a usage error (cobra's own
//     check, which Args replaces, returns an untyped one), and runs (showing
//     its help), so that the check is made at all: cobra shows the help of a
//     command that cannot run and exits 0, whatever its arguments;
//   - every Args error, cobra's own validators included, is a usage error;
//   - required flags and flag groups are checked before RunE (see checkFlags);
//   - errors from the command's own PreRunE and RunE are marked as such (see
//     runError).
func typeErrors(c *cobra.Command) {
	if c.HasSubCommands() && c.SuggestionsMinimumDistance == 0 {
		c.SuggestionsMinimumDistance = 2 // cobra's default, which SuggestionsFor does not apply
	}
	if c.HasSubCommands() && !c.Runnable() {
		// A command that runs handles its arguments itself (totp, which
		// must not repeat one that may be a secret).
		if c.Args == nil {
			c.Args = unknownSubcommand
		}
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error { return asUsage(args(cmd, a)) }
	}
	pre, preNoErr := c.PreRunE, c.PreRun
	c.PreRun = nil
	c.PreRunE = func(cmd *cobra.Command, a []string) error {
		if err := checkFlags(cmd); err != nil {
			return err
		}
		switch {
		case pre != nil:
			if err := pre(cmd, a); err != nil {
				return &runError{err}
			}
		case preNoErr != nil:
			preNoErr(cmd, a)
		}
		return nil
	}
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, a []string) error {
			if err := run(cmd, a); err != nil {
				return &runError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		typeErrors(sub)
	}
}

// asUsage makes err a usage error unless it already has a type Main knows.
func asUsage(err error) error {
	var (
		ue *usageError
		st *statusError
	)
	if err == nil || errors.As(err, &ue) || errors.As(err, &st) {
		return err
	}
	return &usageError{err: err}
}

// unknownSubcommand is the Args of a command that has subcommands: any
// argument left over names none of them.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	err := usagef("unknown command %q for %q", truncate(args[0]), cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 && args[0] != "" {
		return withHint(err, fmt.Sprintf("did you mean %s %s?", cmd.CommandPath(), s[0]))
	}
	return withHint(err, cmd.CommandPath()+" --help lists the commands")
}

// helpTopic is the Args of "secrets help": the topic must name a command.
// cobra's own help command prints "Unknown help topic" and the usage on
// standard output, and exits 0.
func helpTopic(cmd *cobra.Command, args []string) error {
	found, rest, err := cmd.Root().Find(args)
	if err == nil && len(rest) == 0 {
		return nil
	}
	e := usagef("no help topic %q", truncate(strings.Join(args, " ")))
	if found != nil && len(rest) > 0 {
		if s := found.SuggestionsFor(rest[0]); len(s) > 0 && rest[0] != "" {
			path := strings.TrimPrefix(found.CommandPath(), found.Root().Name())
			return withHint(e, fmt.Sprintf("did you mean %s help%s %s?", found.Root().Name(), path, s[0]))
		}
	}
	return withHint(e, "secrets help lists the commands")
}

// flagError turns pflag's errors into usage errors, by their type, with
// messages that name the flag as the user wrote it.
func flagError(cmd *cobra.Command, err error) error {
	var (
		notExist *pflag.NotExistError
		invalid  *pflag.InvalidValueError
		needs    *pflag.ValueRequiredError
		ue       *usageError
	)
	switch {
	case errors.As(err, &notExist):
		// pflag takes a negative number such as -5 for shorthand flags.
		if sh := notExist.GetSpecifiedShortnames(); sh != "" && isDecimal(sh) {
			return usagef("-%s is negative: sizes, counts and bounds are whole numbers of 0 or more", truncate(sh))
		}
		return withHint(&usageError{err: err}, cmd.CommandPath()+" --help lists its flags")
	case errors.As(err, &invalid) && errors.As(invalid, &ue):
		// The flag's own Set said what is wrong, naming the flag.
		return ue
	case errors.As(err, &invalid):
		f := invalid.GetFlag()
		return usagef("--%s %q is not %s", f.Name, truncate(invalid.GetValue()), valueKind(f.Value.Type()))
	case errors.As(err, &needs):
		return usagef("--%s needs a value", needs.GetFlag().Name)
	}
	return &usageError{err: err}
}

// valueKind says what a flag of pflag's type typ takes.
func valueKind(typ string) string {
	switch typ {
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	case "duration":
		return "a duration such as 90s, 15m or 24h"
	}
	return "a valid " + typ
}

// Rules for flags, beyond cobra's own. Each marks its flags with cobra (which
// enforces it, and leaves the other flags out of shell completion once one is
// given) and keeps, in the command's Annotations, the message to give when
// the rule is broken: cobra's own is one generic sentence.
const (
	exclusiveRule   = "secrets.exclusive:"    // + flag names; at most one may be given
	oneRequiredRule = "secrets.one-required:" // + flag names; at least one must be
)

// exclusiveFlags marks names as flags that cannot be given together. msg, if
// not empty, is the error when they are.
func exclusiveFlags(cmd *cobra.Command, msg string, names ...string) {
	cmd.MarkFlagsMutuallyExclusive(names...)
	addRule(cmd, exclusiveRule, msg, names)
}

// oneRequiredFlags marks names as flags of which at least one must be given.
// msg, if not empty, is the error when none is.
func oneRequiredFlags(cmd *cobra.Command, msg string, names ...string) {
	cmd.MarkFlagsOneRequired(names...)
	addRule(cmd, oneRequiredRule, msg, names)
}

func addRule(cmd *cobra.Command, rule, msg string, names []string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[rule+strings.Join(names, " ")] = msg
}

// checkFlags checks the flags that cmd.MarkFlagRequired, exclusiveFlags and
// oneRequiredFlags marked, before cobra does, so that a broken rule is a
// usage error that names the flags as the user writes them. Groups marked
// with cobra's own MarkFlags… functions are left to cobra: its error is a
// usage error too (see runError), with cobra's wording.
func checkFlags(cmd *cobra.Command) error {
	fs := cmd.Flags()
	var missing []string
	fs.VisitAll(func(f *pflag.Flag) {
		if v := f.Annotations[cobra.BashCompOneRequiredFlag]; len(v) > 0 && v[0] == "true" && !f.Changed {
			missing = append(missing, "--"+f.Name)
		}
	})
	switch len(missing) {
	case 0:
	case 1:
		return withHint(usagef("%s is required", missing[0]), cmd.CommandPath()+" --help shows an example")
	default:
		return withHint(usagef("%s are required", listOf(missing, "and")), cmd.CommandPath()+" --help shows an example")
	}
	keys := make([]string, 0, len(cmd.Annotations))
	for k := range cmd.Annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, rule := range []string{oneRequiredRule, exclusiveRule} { // in cobra's order
		for _, k := range keys {
			group, ok := strings.CutPrefix(k, rule)
			if !ok {
				continue
			}
			names := strings.Fields(group)
			var given []string
			for _, n := range names {
				if f := fs.Lookup(n); f != nil && f.Changed {
					given = append(given, "--"+n)
				}
			}
			msg := cmd.Annotations[k]
			switch {
			case rule == oneRequiredRule && len(given) == 0:
				if msg == "" {
					msg = "give one of " + listOf(dashed(names), "or")
				}
				return withHint(usagef("%s", msg), cmd.CommandPath()+" --help shows an example")
			case rule == exclusiveRule && len(given) > 1:
				if msg == "" {
					msg = listOf(given, "and") + " cannot be given together"
				}
				return usagef("%s", msg)
			}
		}
	}
	return nil
}

func dashed(names []string) []string {
	d := make([]string, len(names))
	for i, n := range names {
		d[i] = "--" + n
	}
	return d
}

// listOf joins items as "a, b and c".
func listOf(items []string, and string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + and + " " + items[len(items)-1]
}
