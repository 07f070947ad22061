package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

// result is what one in-process run of the secrets command produced.
type result struct {
	out, err string
	code     int
}

// run runs the secrets command in-process with args and stdin.
func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, Streams{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return result{out: out.String(), err: errb.String(), code: code}
}

// mustRun runs the command and fails the test unless it exits 0 with nothing on stderr.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := run(t, "", args...)
	if r.code != 0 || r.err != "" {
		t.Fatalf("secrets %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.err)
	}
	return r.out
}

// wantUsageError checks the contract for bad input: exit status 2, nothing on
// stdout, and one error line on stderr (optionally followed by one hint line)
// that contains each of wants.
func wantUsageError(t *testing.T, r result, wants ...string) {
	t.Helper()
	if r.code != exitUsage {
		t.Errorf("exit status %d, want %d (stderr %q)", r.code, exitUsage, r.err)
	}
	if r.out != "" {
		t.Errorf("stdout %q, want nothing", truncate(r.out))
	}
	lines := strings.Split(strings.TrimSuffix(r.err, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "secrets: error: ") || len(lines) > 2 || (len(lines) == 2 && !strings.HasPrefix(lines[1], "secrets: hint: ")) {
		t.Errorf("stderr %q, want one \"secrets: error:\" line and at most one hint", r.err)
	}
	for _, w := range wants {
		if !strings.Contains(lines[0], w) {
			t.Errorf("error %q does not mention %q", lines[0], w)
		}
	}
}

var _ = io.Discard

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
