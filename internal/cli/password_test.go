package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestPasswordDefault(t *testing.T) {
	out := mustRun(t, "password", "-n", "20")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 20 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		if len(l) != 20 {
			t.Fatalf("password of %d characters", len(l))
		}
		for _, c := range l {
			if c < '!' || c > '~' {
				t.Fatalf("character %U is not printable ASCII", c)
			}
		}
	}
}

func TestPasswordOptions(t *testing.T) {
	for _, c := range []struct {
		name  string
		args  []string
		check func(string) bool
	}{
		{"--no-symbols leaves letters and digits", []string{"--no-symbols", "-l", "64"}, func(l string) bool {
			return len(l) == 64 && strings.Trim(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == ""
		}},
		{"--charset uses exactly those characters", []string{"--charset", "xyz", "--length", "30"}, func(l string) bool { return len(l) == 30 && strings.Trim(l, "xyz") == "" }},
		{"--no-ambiguous drops I l 1 O 0 | ` ' \"", []string{"--no-ambiguous", "-l", "500"}, func(l string) bool { return !strings.ContainsAny(l, "Il1O0|`'\"") }},
		{"--exclude drops the given characters", []string{"--exclude", "abc", "-l", "500"}, func(l string) bool { return !strings.ContainsAny(l, "abc") }},
		{"--require-each has every class", []string{"--require-each", "-l", "4"}, func(l string) bool {
			return strings.ContainsAny(l, "abcdefghijklmnopqrstuvwxyz") && strings.ContainsAny(l, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && strings.ContainsAny(l, "0123456789") && strings.ContainsAny(l, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
		}},
		{"--entropy shows 131.09 bits by default", []string{"--entropy"}, func(l string) bool { return strings.HasSuffix(l, "\t131.09 bits") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			for range 20 {
				r := run(t, "", append([]string{"password"}, c.args...)...)
				if r.code != 0 || !c.check(strings.TrimSuffix(r.out, "\n")) {
					t.Fatalf("exit %d, output %q, stderr %q", r.code, r.out, r.err)
				}
			}
		})
	}
}

func TestPasswordJSONHasExactBits(t *testing.T) {
	r := run(t, "", "password", "--json", "--charset", "ab1", "--length", "3", "--require-each")
	out := r.out
	if r.code != 0 || !strings.Contains(r.err, "4.2 bits") {
		t.Fatalf("exit %d, stderr %q, want a warning of 4.2 bits", r.code, r.err)
	}
	var v struct {
		Password string  `json:"password"`
		Bits     float64 `json:"bits"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	// 18 of the 27 strings over a, b, 1 have a letter and a digit.
	if len(v.Password) != 3 || math.Abs(v.Bits-math.Log2(18)) > 1e-9 {
		t.Errorf("password of %d characters with %v bits, want 3 and log2(18)", len(v.Password), v.Bits)
	}
}

func TestPasswordRequireEachBulkIsUniform(t *testing.T) {
	// The 64 strings of 4 over "ab1" with a letter and a digit, 500 each.
	r := run(t, "", "password", "--charset", "ab1", "--length", "4", "--require-each", "-n", "32000")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	checkUniformLines(t, r.out, 64, func(l string) bool {
		return len(l) == 4 && strings.Contains(l, "1") && strings.ContainsAny(l, "ab") && strings.Trim(l, "ab1") == ""
	})
}

func TestPasswordBadInput(t *testing.T) {
	for _, c := range []struct {
		args  []string
		wants []string
	}{
		{[]string{"--length", "0"}, []string{"--length 0 is too small"}},
		{[]string{"--length", "ten"}, []string{`--length "ten"`}},
		{[]string{"--length", "3", "--require-each"}, []string{"3 characters cannot hold one each of 4 classes"}},
		{[]string{"--no-lower", "--no-upper", "--no-digits", "--no-symbols"}, []string{"every character class is turned off"}},
		{[]string{"--exclude", "0123456789"}, []string{"every one of the digits is excluded"}},
		{[]string{"--charset", "ab", "--exclude", "ab"}, []string{"remove every character of the character set"}},
		{[]string{"--charset", "ab", "--no-symbols"}, []string{"--charset replaces the classes", "--no-symbols"}},
		{[]string{"--symbols", "--no-symbols"}, []string{"--symbols and --no-symbols contradict"}},
		{[]string{"--charset", "a b"}, []string{"U+0020"}},
		{[]string{"extra"}, []string{"takes no arguments", "entropy --password"}},
		{[]string{"16"}, []string{"takes no arguments", `"16"`, "--length"}},
	} {
		t.Run("password "+strings.Join(c.args, " ")+" is refused", func(t *testing.T) {
			wantUsageError(t, run(t, "", append([]string{"password"}, c.args...)...), c.wants...)
		})
	}
}

func TestPasswordWithAnArgumentDoesNotRepeatIt(t *testing.T) {
	// secrets password hunter2: perhaps someone hoping to rate a password
	// they chose. It must not reach stderr (terminal scrollback, CI logs).
	r := run(t, "", "password", "hunter2")
	wantUsageError(t, r, "entropy --password")
	if strings.Contains(r.err, "hunter2") {
		t.Fatalf("stderr %q repeats the argument", r.err)
	}
}

func TestPasswordWarnsBelow64Bits(t *testing.T) {
	r := run(t, "", "password", "--length", "8")
	if r.code != 0 || !strings.Contains(r.err, "secrets: warning: these passwords are 52.4 bits") {
		t.Errorf("exit %d, stderr %q", r.code, r.err)
	}
}

func TestPasswordJSONKeepsSymbolsReadable(t *testing.T) {
	r := run(t, "", "password", "--json", "--charset", "&<", "--length", "40")
	var v struct{ Password string }
	if err := json.Unmarshal([]byte(r.out), &v); err != nil || strings.Trim(v.Password, "&<") != "" || len(v.Password) != 40 {
		t.Fatalf("JSON %q: %v", r.out, err)
	}
	if strings.Contains(r.out, `\u00`) {
		t.Errorf("JSON %q escapes & or < needlessly", r.out)
	}
}

func TestPasswordWarningAndRecommendationAgree(t *testing.T) {
	t.Run("12 of 94 characters, 78.7 bits, are warned about and told the least", func(t *testing.T) {
		r := run(t, "", "password", "--length", "12")
		want := fmt.Sprintf("secrets: warning: these passwords are 78.7 bits; use %d or more", minOfflineBits)
		if r.code != 0 || !strings.HasPrefix(r.err, want) {
			t.Errorf("exit %d, stderr %q; want %q", r.code, r.err, want)
		}
	})
	t.Run("13 of 94 characters, 85.2 bits, are not warned about", func(t *testing.T) {
		mustRun(t, "password", "--length", "13")
	})
}

func TestPasswordHelpStatesEachDefaultOnce(t *testing.T) {
	out := mustRun(t, "password", "--help")
	for _, class := range []string{"lower", "upper", "digits", "symbols"} {
		i := strings.Index(out, "--"+class+" ")
		line, _, _ := strings.Cut(out[i:], "\n")
		if strings.Count(line, "default") != 1 {
			t.Errorf("help line %q states the default %d times, want once", line, strings.Count(line, "default"))
		}
	}
}
