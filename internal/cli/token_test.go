package cli

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestTokenCommandsPrintTokensOfTheRequestedSize(t *testing.T) {
	tests := []struct {
		args      []string
		lines     int
		decodedTo int
		decode    func(string) ([]byte, error)
	}{
		{[]string{"hex"}, 1, 32, hex.DecodeString},
		{[]string{"hex", "16", "-n", "5"}, 5, 16, hex.DecodeString},
		{[]string{"urlsafe"}, 1, 32, base64.RawURLEncoding.DecodeString},
		{[]string{"urlsafe", "31", "--count", "3"}, 3, 31, base64.RawURLEncoding.DecodeString},
		{[]string{"urlsafe", "30", "--count=2"}, 2, 30, base64.RawURLEncoding.DecodeString},
		{[]string{"hex", "0", "-n", "2"}, 2, 0, hex.DecodeString},
	}
	for _, tt := range tests {
		t.Run("secrets "+strings.Join(tt.args, " "), func(t *testing.T) {
			out := mustRun(t, tt.args...)
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != tt.lines || !strings.HasSuffix(out, "\n") {
				t.Fatalf("printed %d lines, want %d", len(lines), tt.lines)
			}
			for _, l := range lines {
				raw, err := tt.decode(l)
				if err != nil || len(raw) != tt.decodedTo {
					t.Fatalf("line %q decodes to %d bytes (%v), want %d", l, len(raw), err, tt.decodedTo)
				}
			}
		})
	}
}

func TestBytesWritesExactlyCountTimesNBytes(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"bytes"}, 32},
		{[]string{"bytes", "100"}, 100},
		{[]string{"bytes", "7", "-n", "3"}, 21},
		{[]string{"bytes", "1048576"}, 1 << 20},
		{[]string{"bytes", "0", "-n", "9"}, 0},
	} {
		t.Run("secrets "+strings.Join(tt.args, " "), func(t *testing.T) {
			if out := mustRun(t, tt.args...); len(out) != tt.want {
				t.Errorf("wrote %d bytes, want %d", len(out), tt.want)
			}
		})
	}
}

func TestCountZeroPrintsNothing(t *testing.T) {
	for _, cmd := range []string{"hex", "urlsafe", "bytes"} {
		if out := mustRun(t, cmd, "-n", "0"); out != "" {
			t.Errorf("secrets %s -n 0 printed %q", cmd, out)
		}
	}
	if out := mustRun(t, "randbelow", "10", "-n", "0"); out != "" {
		t.Errorf("randbelow -n 0 printed %q", out)
	}
	if out := mustRun(t, "choice", "a", "-n", "0"); out != "" {
		t.Errorf("choice -n 0 printed %q", out)
	}
}

func TestShortTokensWarnOnStderr(t *testing.T) {
	r := run(t, "", "hex", "8")
	if r.code != 0 || len(r.out) != 17 || !strings.Contains(r.err, "8 bytes is 64 bits") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
}

func TestRandBelowPrintsIntegersInRange(t *testing.T) {
	for _, n := range []string{"1", "2", "7", "1000", "9223372036854775807", "9223372036854775808", "123456789012345678901234567890123"} {
		t.Run("below "+n, func(t *testing.T) {
			bound, _ := new(big.Int).SetString(n, 10)
			out := mustRun(t, "randbelow", n, "-n", "50")
			lines := strings.Fields(out)
			if len(lines) != 50 {
				t.Fatalf("%d lines", len(lines))
			}
			for _, l := range lines {
				v, ok := new(big.Int).SetString(l, 10)
				if !ok || v.Sign() < 0 || v.Cmp(bound) >= 0 {
					t.Fatalf("%q is not in [0, %s)", l, n)
				}
			}
		})
	}
}

func TestChoicePicksFromArgumentsAndFiles(t *testing.T) {
	out := mustRun(t, "choice", "x", "y", "-n", "100")
	for _, l := range strings.Fields(out) {
		if l != "x" && l != "y" {
			t.Fatalf("choice printed %q", l)
		}
	}
	dir := t.TempDir()
	f := dir + "/items.txt"
	writeFile(t, f, "alpha\r\n\n  \nbeta gamma\n")
	out = mustRun(t, "choice", "--file", f, "-n", "100")
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l != "alpha" && l != "beta gamma" {
			t.Fatalf("choice --file printed %q", l)
		}
		seen[l] = true
	}
	if len(seen) != 2 {
		t.Errorf("100 choices of 2 items saw only %v", seen)
	}
	r := run(t, "one\ntwo\n", "choice", "--file", "-")
	if r.code != 0 || (r.out != "one\n" && r.out != "two\n") {
		t.Errorf("choice --file - read %q (exit %d, %s)", r.out, r.code, r.err)
	}
}

func TestBadInputExitsTwoWithOneLine(t *testing.T) {
	dir := t.TempDir()
	empty := dir + "/empty.txt"
	writeFile(t, empty, "\n \n")
	long := dir + "/long.txt"
	writeFile(t, long, strings.Repeat("x", maxItemBytes+1))
	tests := []struct {
		args  []string
		wants []string
	}{
		{[]string{"hex", "-5"}, []string{"-5 is negative"}},
		{[]string{"urlsafe", "-1"}, []string{"-1 is negative"}},
		{[]string{"bytes", "abc"}, []string{`NBYTES "abc" is not a whole number`}},
		{[]string{"hex", "1e3"}, []string{`NBYTES "1e3"`}},
		{[]string{"hex", "0x10"}, []string{`NBYTES "0x10"`}},
		{[]string{"hex", ""}, []string{`NBYTES ""`}},
		{[]string{"hex", "99999999999999999999"}, []string{"NBYTES 99999999999999999999 is too large"}},
		{[]string{"hex", "1073741825"}, []string{"NBYTES 1073741825 is too large", "1073741824"}},
		{[]string{"hex", "1", "2"}, []string{"at most 1 argument"}},
		{[]string{"hex", "-n", "-3"}, []string{"--count -3 is too small"}},
		{[]string{"hex", "-n", "many"}, []string{`--count "many"`}},
		{[]string{"hex", "-n", "99999999999999"}, []string{"--count 99999999999999 is too large"}},
		{[]string{"hex", "--bogus"}, []string{"unknown flag: --bogus"}},
		{[]string{"randbelow", "0"}, []string{"N 0 is not positive"}},
		{[]string{"randbelow", "-7"}, []string{"-7 is negative"}},
		{[]string{"randbelow", "seven"}, []string{`N "seven" is not a positive whole number`}},
		{[]string{"randbelow"}, []string{"needs one bound N"}},
		{[]string{"randbelow", strings.Repeat("9", maxDigits+1)}, []string{"digits"}},
		{[]string{"choice"}, []string{"nothing to choose from"}},
		{[]string{"choice", "--file", empty}, []string{"nothing to choose from", empty}},
		{[]string{"choice", "--file", dir + "/missing.txt"}, []string{"missing.txt does not exist"}},
		{[]string{"choice", "--file", dir}, []string{"is a directory"}},
		{[]string{"choice", "--file", long}, []string{"longer than 64 KiB"}},
		{[]string{"choice", "--file", empty, "a"}, []string{"not both"}},
		{[]string{"nosuchcommand"}, []string{`unknown command "nosuchcommand"`}},
		{[]string{"version", "extra"}, []string{"takes no arguments"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("secrets %q", tt.args), func(t *testing.T) {
			wantUsageError(t, run(t, "", tt.args...), tt.wants...)
		})
	}
}

func TestHelpHasExamplesForEveryCommand(t *testing.T) {
	// Every command and subcommand (apikey check, totp new, ...), walked
	// from the root so that a new one cannot be missed.
	var walk func(path []string, cmds []*cobra.Command)
	walk = func(path []string, cmds []*cobra.Command) {
		for _, c := range cmds {
			if c.Name() == "help" || c.Name() == "completion" {
				continue
			}
			args := append(append([]string(nil), path...), c.Name())
			if c.Example == "" {
				t.Errorf("secrets %s has no examples in --help", strings.Join(args, " "))
			}
			if out := mustRun(t, append(args, "--help")...); !strings.Contains(out, "Examples:") {
				t.Errorf("secrets %s --help shows no examples", strings.Join(args, " "))
			}
			walk(args, c.Commands())
		}
	}
	walk(nil, newRootCmd(Streams{}).Commands())
}

func TestCompletionScriptsAreGenerated(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		if out := mustRun(t, "completion", sh); !strings.Contains(out, "secrets") {
			t.Errorf("completion %s printed no script", sh)
		}
	}
}

func TestVersionPrintsOneLine(t *testing.T) {
	out := mustRun(t, "version")
	if !strings.HasPrefix(out, "secrets ") || strings.Count(out, "\n") != 1 {
		t.Errorf("version printed %q", out)
	}
}

func TestCountHelpSaysWhatEachCommandWrites(t *testing.T) {
	countLine := func(cmd string) string {
		out := mustRun(t, cmd, "--help")
		_, line, _ := strings.Cut(out, "-n, --count")
		line, _, _ = strings.Cut(line, "\n")
		return line
	}
	if l := countLine("bytes"); strings.Contains(l, "line") || !strings.Contains(l, "no separator") {
		t.Errorf("bytes --count help %q: raw bytes are not lines", l)
	}
	if l := countLine("hex"); !strings.Contains(l, "one a line") {
		t.Errorf("hex --count help %q", l)
	}
}
