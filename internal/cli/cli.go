// Package cli implements the secrets command: its subcommands, their flags,
// and the mapping of failures to exit statuses. cmd/secrets only calls [Main].
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses.
const (
	exitOK       = 0
	exitFailure  = 1 // a check said no, or the system failed
	exitUsage    = 2 // bad input: arguments, flags, files
	exitFindings = 3 // secretsvet reported problems

	exitInterrupted = 130 // stopped by SIGINT or SIGTERM, as a shell reports it
)

// Streams are the standard streams a command reads and writes.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Main runs the secrets command with args (without the program name) and
// returns the process exit status. It never panics on bad input: every
// failure becomes a one-line message on s.Err.
//
// The status follows from the error's type, never from its text: a
// [*statusError] carries its own; a [*usageError] is 2; any other error that
// cobra returns before a command starts running (see [runError]) rejects the
// command line, so it is 2 as well; anything else is a failure, 1.
func Main(ctx context.Context, args []string, s Streams) int {
	return execute(ctx, newRootCmd(s), args, s)
}

// execute runs root with args and maps its error to an exit status and
// stderr, as Main describes.
func execute(ctx context.Context, root *cobra.Command, args []string, s Streams) int {
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return exitInterrupted
	}
	var st *statusError
	if errors.As(err, &st) {
		if st.msg != "" {
			fmt.Fprintf(s.Err, "secrets: %s\n", st.msg)
		}
		return st.code
	}
	var (
		ue   *usageError
		re   *runError
		code = exitUsage
	)
	if !errors.As(err, &ue) && errors.As(err, &re) {
		code = exitFailure
	}
	fmt.Fprintf(s.Err, "secrets: error: %s\n", oneLine(err.Error()))
	var fh *failureHint
	switch {
	case ue != nil && ue.hint != "":
		fmt.Fprintf(s.Err, "secrets: hint: %s\n", oneLine(ue.hint))
	case errors.As(err, &fh):
		fmt.Fprintf(s.Err, "secrets: hint: %s\n", oneLine(fh.hint))
	}
	return code
}

// usageError is bad input from the user: exit status 2.
type usageError struct {
	err  error
	hint string
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// withHint adds a hint line to a usage error.
func withHint(err error, hint string) error {
	var ue *usageError
	if errors.As(err, &ue) {
		return &usageError{err: ue.err, hint: hint}
	}
	return &usageError{err: err, hint: hint}
}

// failureHint is a failure while running (exit status 1), not bad input,
// with a hint of what to do about it.
type failureHint struct {
	err  error
	hint string
}

func (e *failureHint) Error() string { return e.err.Error() }
func (e *failureHint) Unwrap() error { return e.err }

// withFailureHint adds a hint line to a failure that is not a usage error.
func withFailureHint(err error, hint string) error { return &failureHint{err: err, hint: hint} }

// statusError ends the command with a given status and an optional message
// that is not an error (for example "key is malformed: bad checksum" from a
// check command, exit status 1).
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return fmt.Sprintf("exit status %d: %s", e.code, e.msg) }

// exitWith returns an error that makes Main exit with code after printing msg
// (if not empty) as "secrets: msg".
func exitWith(code int, msg string) error { return &statusError{code: code, msg: msg} }

// runError is an error returned by a command's RunE (or PreRunE): the
// command line was accepted and the command failed while running. Errors that cobra returns
// without one (from parsing flags, checking arguments and flag groups, or
// finding the command) reject the command line.
type runError struct{ err error }

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// oneLine keeps a message to one line so that each failure is exactly one line on stderr.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return s
}
