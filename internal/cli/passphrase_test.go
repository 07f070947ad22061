package cli

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/unguessable/secrets/internal/chisq"
	"github.com/unguessable/secrets/passphrase"
)

// checkUniformLines fails t unless the lines of out, each one of want
// equally likely outcomes that valid accepts, pass a chi-square test at
// level chisq.Alpha (see package chisq for the suite's false-failure rate).
func checkUniformLines(t *testing.T, out string, want int, valid func(string) bool) {
	t.Helper()
	counts := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !valid(l) {
			t.Fatalf("line %q is not a possible outcome", l)
		}
		counts[l]++
	}
	if len(counts) > want {
		t.Fatalf("%d distinct outcomes, want at most %d", len(counts), want)
	}
	if r := chisq.UniformOver(counts, want); r.Reject() {
		t.Errorf("%d outcomes are not uniform: %v", want, r)
	}
}

func effWords() map[string]bool {
	m := map[string]bool{}
	for _, w := range passphrase.EFF().Words() {
		m[w] = true
	}
	return m
}

func TestPassphrasePrintsEFFWords(t *testing.T) {
	eff := effWords()
	out := mustRun(t, "passphrase", "-n", "50")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 50 {
		t.Fatalf("%d lines, want 50", len(lines))
	}
	for _, l := range lines {
		words := strings.Split(l, " ")
		if len(words) != 6 {
			t.Fatalf("%d words in a line, want 6", len(words))
		}
		for _, w := range words {
			if !eff[w] {
				t.Fatalf("%q is not an EFF word", w)
			}
		}
	}
}

func TestPassphraseOptions(t *testing.T) {
	for _, c := range []struct {
		name  string
		args  []string
		check func(string) bool
	}{
		{"--words 8 --sep + gives eight words joined by +", []string{"--words", "8", "--sep", "+"}, func(l string) bool { return len(strings.Split(l, "+")) == 8 }},
		{"--case upper upper-cases", []string{"--case", "upper"}, func(l string) bool { return l == strings.ToUpper(l) }},
		{"--entropy puts the bits after a tab", []string{"--entropy"}, func(l string) bool { return strings.HasSuffix(l, "\t77.55 bits") }},
		{"--number adds one digit", []string{"--number"}, func(l string) bool { return len(strings.Trim(l, "abcdefghijklmnopqrstuvwxyz- ")) == 1 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := mustRun(t, append([]string{"passphrase"}, c.args...)...)
			if !c.check(strings.TrimSuffix(out, "\n")) {
				t.Errorf("output %q", out)
			}
		})
	}
}

func TestPassphraseJSON(t *testing.T) {
	out := mustRun(t, "passphrase", "--json", "-n", "3", "--case", "random", "--number", "--sep", ".")
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var v struct {
			Passphrase string  `json:"passphrase"`
			Bits       float64 `json:"bits"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		want := 6*math.Log2(3*7776) + math.Log2(60)
		if len(strings.Split(v.Passphrase, ".")) != 6 || math.Abs(v.Bits-want) > 1e-9 {
			t.Errorf("passphrase of %d words and %.3f bits, want 6 and %.3f", len(strings.Split(v.Passphrase, ".")), v.Bits, want)
		}
	}
}

func TestPassphraseWarnings(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"four words are labelled the rate-limited minimum", []string{"--words", "4"}, "51.7 bits: enough only where guessing is rate-limited"},
		{"an empty separator makes the bits an upper bound", []string{"--sep", ""}, "upper bound"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, "", append([]string{"passphrase"}, c.args...)...)
			if r.code != 0 || !strings.HasPrefix(r.err, "secrets: warning: ") || !strings.Contains(r.err, c.want) {
				t.Errorf("exit %d, stderr %q, want a warning with %q", r.code, r.err, c.want)
			}
		})
	}
}

func TestPassphraseWordList(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/dice.txt", "11111\tred\n11112\tgreen\n11113\tblue\n11114\tred\n")
	r := run(t, "", "passphrase", "--wordlist", dir+"/dice.txt", "--words", "6", "-n", "20")
	if r.code != 0 || !strings.Contains(r.err, "3 distinct words, fewer than 1000; these passphrases are 9.5 bits (1.58 a word)") {
		t.Fatalf("exit %d, stderr %q", r.code, r.err)
	}
	for _, w := range strings.Fields(r.out) {
		if w != "red" && w != "green" && w != "blue" {
			t.Fatalf("word %q is not from the list", w)
		}
	}
	r = run(t, "alpha\nbeta\n", "passphrase", "--wordlist", "-", "--words", "4")
	if r.code != 0 || strings.Trim(r.out, "alphbet \n") != "" {
		t.Errorf("--wordlist - read %q (exit %d, %s)", r.out, r.code, r.err)
	}
}

func TestPassphraseBulkOutputIsUniform(t *testing.T) {
	// 4 words from a 4-word list: 256 passphrases, 25600 lines through the
	// parallel bulk writer, 100 expected each.
	dir := t.TempDir()
	writeFile(t, dir+"/w.txt", "n\ne\ns\nw\n")
	r := run(t, "", "passphrase", "--wordlist", dir+"/w.txt", "--words", "4", "-n", "25600")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	checkUniformLines(t, r.out, 256, func(l string) bool { return len(l) == 7 && strings.Trim(l, "news ") == "" })
}

func TestPassphraseBadInput(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/one.txt", "solo\nsolo\n")
	writeFile(t, dir+"/bad.txt", "11111 a b\n")
	writeFile(t, dir+"/case.txt", "Apple\napple\n")
	for _, c := range []struct {
		args  []string
		wants []string
	}{
		{[]string{"--words", "3"}, []string{"--words 3 is too small: the least is 4"}},
		{[]string{"--words", "six"}, []string{`--words "six" is not a whole number`}},
		{[]string{"--words", "5000"}, []string{"--words 5000 is too large"}},
		{[]string{"--case", "Bold"}, []string{`--case "Bold"`}},
		{[]string{"--wordlist", dir + "/missing.txt"}, []string{"missing.txt does not exist"}},
		{[]string{"--wordlist", dir + "/one.txt"}, []string{"fewer than 2 distinct words"}},
		{[]string{"--wordlist", dir + "/bad.txt"}, []string{"line 1 has 3 fields"}},
		{[]string{"--wordlist", dir + "/case.txt"}, []string{"fewer than 2 distinct words in lower case"}},
		{[]string{"extra"}, []string{"takes no arguments"}},
		{[]string{"-n", "-1"}, []string{"-1"}},
	} {
		t.Run("passphrase "+strings.Join(c.args, " ")+" is refused", func(t *testing.T) {
			wantUsageError(t, run(t, "", append([]string{"passphrase"}, c.args...)...), c.wants...)
		})
	}
}
