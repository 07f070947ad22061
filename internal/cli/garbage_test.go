package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// garbageFiles writes the hostile inputs the table below refers to: an empty
// file, a non-UTF-8 one, 100 MB of short lines, 100 MB on one line, and a
// directory, and returns their paths by name.
func garbageFiles(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	writeFile(t, p("empty.txt"), "")
	writeFile(t, p("blank.txt"), "\n  \n\t\n")
	writeFile(t, p("nonutf8.txt"), "caf\xe9\nna\xefve\nword\n")
	big := bytes.Repeat([]byte("abcdefgh\n"), 100_000_000/9)
	if err := os.WriteFile(p("big.txt"), big, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p("bigline.txt"), bytes.Repeat([]byte("a"), 100_000_000), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(p("dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"EMPTY": p("empty.txt"), "BLANK": p("blank.txt"), "NONUTF8": p("nonutf8.txt"),
		"BIG": p("big.txt"), "BIGLINE": p("bigline.txt"), "DIR": p("dir"), "MISSING": p("missing.txt"),
	}
}

// Every command fed garbage: negative, zero, huge, non-numeric and non-UTF-8
// values, empty and 100 MB files, missing files and a directory given as a
// file. Each must exit 2 with one error line (and at most one hint), print
// nothing on stdout, not panic, and not read a 100 MB file into memory.
func TestEveryCommandRejectsGarbage(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: writes 200 MB of input files")
	}
	files := garbageFiles(t)
	huge := "99999999999999999999999999"
	cases := [][]string{
		{"hex", "-1"}, {"hex", huge}, {"hex", "abc"}, {"hex", "\xff"}, {"hex", "1e3"}, {"hex", "-n", "-1"}, {"hex", "-n", huge},
		{"urlsafe", "-7"}, {"urlsafe", "0x20"}, {"urlsafe", "--count", "ten"},
		{"bytes", "-1"}, {"bytes", huge}, {"bytes", "--count", "\xff"},
		{"randbelow", "0"}, {"randbelow", "-1"}, {"randbelow", "abc"}, {"randbelow", "1.5"}, {"randbelow", "\xff"}, {"randbelow", strings.Repeat("9", maxDigits+1)},
		{"choice"}, {"choice", "\xff"}, {"choice", "--file", "EMPTY"}, {"choice", "--file", "BLANK"}, {"choice", "--file", "NONUTF8"},
		{"choice", "--file", "BIG"}, {"choice", "--file", "BIGLINE"}, {"choice", "--file", "DIR"}, {"choice", "--file", "MISSING"},
		{"passphrase", "--words", "0"}, {"passphrase", "--words", "-2"}, {"passphrase", "--words", huge}, {"passphrase", "--words", "six"},
		{"passphrase", "--case", "\xff"}, {"passphrase", "--wordlist", "EMPTY"}, {"passphrase", "--wordlist", "NONUTF8"},
		{"passphrase", "--wordlist", "BIG"}, {"passphrase", "--wordlist", "BIGLINE"}, {"passphrase", "--wordlist", "DIR"}, {"passphrase", "--wordlist", "MISSING"},
		{"password", "--length", "0"}, {"password", "--length", "-1"}, {"password", "--length", huge}, {"password", "--length", "x"},
		{"password", "--charset", "\xff\xfe"}, {"password", "--charset", "a"}, {"password", "--no-lower", "--no-upper", "--no-digits", "--no-symbols"},
		{"otp", "--digits", "0"}, {"otp", "--digits", "-6"}, {"otp", "--digits", huge}, {"otp", "--digits", "six"},
		{"totp", "code", "\xff"}, {"totp", "code", ""}, {"totp", "code", "!!!!!!!!!!!!!!!!"}, {"totp", "verify", "JBSWY3DPEHPK3PXP", "-1"},
		{"totp", "verify", "JBSWY3DPEHPK3PXP", "\xff"}, {"totp", "new", "--issuer", "", "--account", "a"},
		{"apikey", "--prefix", "\xff_"}, {"apikey", "--prefix", "x"}, {"apikey", "-n", "-1"},
		{"entropy", "--bytes", "-1"}, {"entropy", "--bytes", huge}, {"entropy", "--bytes", "x"}, {"entropy", "--bytes", "16", "--rate", "0"},
		{"entropy", "--bytes", "16", "--rate", "-1"}, {"entropy", "--digits", "\xff"},
		{"serve", "--addr", "\xff"}, {"serve", "--db", ""}, {"serve", "--retention", "-1s"},
		{"crack", "mt19937", "--next", "-1"}, {"crack", "gorand", "--next", huge},
		{"nosuchcommand"}, {"hex", "--nosuchflag"},
	}
	for _, args := range cases {
		for i, a := range args {
			if f, ok := files[a]; ok {
				args[i] = f
			}
		}
		t.Run(strings.ToValidUTF8(strings.Join(args, " "), "?"), func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			r := run(t, "", args...)
			runtime.ReadMemStats(&after)
			wantUsageError(t, r)
			// Memory bounded: no command may allocate as much as the 100 MB
			// inputs (the limits are 16 MiB for word lists, 64 MiB for items).
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 90<<20 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
		})
	}
}

// Garbage on standard input, for the commands that read it.
func TestStdinGarbageIsRejected(t *testing.T) {
	for _, tt := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"crack", "mt19937"}},
		{"not a number\n", []string{"crack", "mt19937"}},
		{"\xff\xfe\n", []string{"crack", "gorand"}},
		{"-5\n", []string{"crack", "gorand"}},
		{"", []string{"entropy", "--password"}},
		{"", []string{"totp", "code", "-"}},
		{"\xff\n", []string{"choice", "--file", "-"}},
		{"\n\n", []string{"passphrase", "--wordlist", "-"}},
	} {
		t.Run(strings.ToValidUTF8(strings.Join(tt.args, " ")+" < "+tt.stdin, "?"), func(t *testing.T) {
			wantUsageError(t, run(t, tt.stdin, tt.args...))
		})
	}
}
