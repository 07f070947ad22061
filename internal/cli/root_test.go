package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// testTree is a small command tree with every kind of flag rule, set up as
// newRootCmd sets up the real one.
func testTree(s Streams) *cobra.Command {
	root := &cobra.Command{Use: "secrets", SilenceErrors: true, SilenceUsage: true}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(flagError)
	noop := func(*cobra.Command, []string) error { return nil }

	req := &cobra.Command{Use: "req", Args: noArgs, RunE: noop}
	req.Flags().String("issuer", "", "")
	req.Flags().String("account", "", "")
	_ = req.MarkFlagRequired("issuer")
	_ = req.MarkFlagRequired("account")

	groups := &cobra.Command{Use: "groups", Args: noArgs, RunE: noop}
	for _, n := range []string{"a", "b", "c", "x", "y", "p", "q"} {
		groups.Flags().Bool(n, false, "")
	}
	oneRequiredFlags(groups, "", "a", "b", "c")
	exclusiveFlags(groups, "", "a", "b", "c")
	exclusiveFlags(groups, "--x and --y say opposite things", "x", "y")
	groups.MarkFlagsMutuallyExclusive("p", "q") // cobra's own, without a message

	fails := &cobra.Command{Use: "fails", RunE: func(*cobra.Command, []string) error {
		return errors.New("the disk is full")
	}}
	pre := &cobra.Command{Use: "pre", Args: cobra.ExactArgs(1), RunE: noop}

	root.AddCommand(req, groups, fails, pre)
	finishTree(root)
	return root
}

func runTree(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	s := Streams{In: strings.NewReader(""), Out: &out, Err: &errb}
	code := execute(context.Background(), testTree(s), args, s)
	return result{out: out.String(), err: errb.String(), code: code}
}

func TestFlagRulesAreUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		name  string
		args  []string
		wants []string
	}{
		{"a missing required flag is named", []string{"req", "--account", "a"}, []string{"secrets: error: --issuer is required"}},
		{"two missing required flags are named together", []string{"req"}, []string{"--account and --issuer are required"}},
		{"none of a one-required group lists the group", []string{"groups"}, []string{"give one of --a, --b or --c"}},
		{"two of an exclusive group name what was given", []string{"groups", "--a", "--c"}, []string{"--a and --c cannot be given together"}},
		{"three of an exclusive group name all three", []string{"groups", "--a", "--b", "--c"}, []string{"--a, --b and --c cannot be given together"}},
		{"an exclusive group gives its own message", []string{"groups", "--a", "--x", "--y"}, []string{"--x and --y say opposite things"}},
		{"a group marked with cobra alone keeps cobra's message", []string{"groups", "--a", "--p", "--q"}, []string{"[p q]"}},
		{"cobra's own Args validators are usage errors", []string{"pre"}, []string{"accepts 1 arg(s)"}},
		{"an unknown command suggests a near one", []string{"grups"}, []string{`unknown command "grups"`}},
		{"an unknown flag is a usage error", []string{"req", "--nope"}, []string{"unknown flag: --nope"}},
		{"a flag without its value says so", []string{"req", "--issuer"}, []string{"--issuer needs a value"}},
		{"a bool flag with a bad value says what it takes", []string{"groups", "--a=maybe"}, []string{`--a "maybe" is not true or false`}},
		{"help on an unknown topic is a usage error", []string{"help", "nope"}, []string{`no help topic "nope"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantUsageError(t, runTree(t, tt.args...), tt.wants...)
		})
	}
	t.Run("an unknown command's hint names the nearest one", func(t *testing.T) {
		if r := runTree(t, "grups"); !strings.Contains(r.err, "secrets: hint: did you mean secrets groups?") {
			t.Errorf("stderr %q", r.err)
		}
	})
}

func TestFlagRulesLetGoodInputThrough(t *testing.T) {
	for _, args := range [][]string{
		{"req", "--issuer", "i", "--account", "a"},
		{"groups", "--b"},
		{"groups", "--c", "--x"},
		{"groups", "--a", "--p"},
		{"help", "groups"},
		{},
	} {
		if r := runTree(t, args...); r.code != exitOK || r.err != "" {
			t.Errorf("secrets %q: exit %d, stderr %q", args, r.code, r.err)
		}
	}
}

func TestAFailureWhileRunningIsStatus1(t *testing.T) {
	r := runTree(t, "fails")
	if r.code != exitFailure || r.err != "secrets: error: the disk is full\n" {
		t.Errorf("exit %d, stderr %q; want 1 and the error", r.code, r.err)
	}
}

// Every command of the real tree, given an unknown flag, an unknown
// subcommand or a help topic that does not exist, exits 2 with one line.
func TestEveryCommandRejectsABadCommandLine(t *testing.T) {
	var walk func(path []string, c *cobra.Command)
	walk = func(path []string, c *cobra.Command) {
		t.Run(strings.Join(append(path, "--no-such-flag"), " "), func(t *testing.T) {
			wantUsageError(t, run(t, "", append(path, "--no-such-flag")...), "unknown flag: --no-such-flag")
		})
		t.Run(strings.Join(append([]string{"help"}, append(path, "nosuch")...), " "), func(t *testing.T) {
			wantUsageError(t, run(t, "", append([]string{"help"}, append(path, "nosuch")...)...), "no help topic")
		})
		for _, sub := range c.Commands() {
			walk(append(append([]string(nil), path...), sub.Name()), sub)
		}
	}
	walk(nil, newRootCmd(Streams{}))
	for _, args := range [][]string{{"nosuch"}, {"completion", "nosuch"}, {"crack", "nosuch"}, {"apikey", "nosuch"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			wantUsageError(t, run(t, "", args...))
		})
	}
}

func TestPasswordFlagsThatConflictAreMarkedForCobra(t *testing.T) {
	// Marked, cobra leaves --no-lower out of completion once --lower is given.
	cmd := newPasswordCmd(Streams{})
	for _, name := range []string{"lower", "no-lower", "charset"} {
		if len(cmd.Flags().Lookup(name).Annotations) == 0 {
			t.Errorf("--%s carries no cobra flag-group annotation", name)
		}
	}
}
