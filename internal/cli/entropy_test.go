package cli

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestEntropyHumanReadable(t *testing.T) {
	for _, c := range []struct {
		name  string
		args  []string
		wants []string
	}{
		{"16 bytes are 128 bits and 5.4 x 10^18 years offline", []string{"--bytes", "16"}, []string{"bits:           128\n", "1.7 x 10^38", "5.4 x 10^18 years", "10^12 guesses a second (offline"}},
		{"4 EFF words are 51.7 bits", []string{"--words", "4"}, []string{"51.70", "4 words from a list of 7776"}},
		{"a word list size is honoured", []string{"--words", "6", "--wordlist-size", "2048"}, []string{"bits:           66\n"}},
		{"20 of 94 characters are 131.09 bits", []string{"--length", "20", "--charset-size", "94"}, []string{"131.09"}},
		{"6 digits online take about 14 hours", []string{"--digits", "6", "--online"}, []string{"19.93", "14 hours", "10 guesses a second (online"}},
		{"a custom rate is used", []string{"--digits", "6", "--rate", "1000"}, []string{"8 minutes", "1000 guesses a second"}},
		{"a rate below one a second is shown as given", []string{"--digits", "6", "--rate", "0.5"}, []string{"at 0.5 guesses a second"}},
		{"a rate of 100 an hour is not rounded to 0", []string{"--digits", "6", "--rate", "0.02778"}, []string{"at 0.02778 guesses a second"}},
		{"a fractional rate keeps its fraction", []string{"--digits", "6", "--rate", "2.5"}, []string{"at 2.5 guesses a second"}},
		{"a tiny rate is shown in scientific form", []string{"--bytes", "16", "--rate", "1e-300"}, []string{"at 1.0 x 10^-300 guesses a second"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := mustRun(t, append([]string{"entropy"}, c.args...)...)
			for _, w := range c.wants {
				if !strings.Contains(out, w) {
					t.Errorf("output %q lacks %q", out, w)
				}
			}
		})
	}
}

func TestEntropyJSON(t *testing.T) {
	out := mustRun(t, "entropy", "--bytes", "16", "--json")
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	secs, _ := v["seconds_to_crack"].(float64)
	if v["bits"] != 128.0 || v["guesses_log10"] == nil || v["guesses"] == nil || math.Abs(math.Log10(secs)-(127*math.Log10(2)-12)) > 1e-9 {
		t.Errorf("JSON %s", out)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("JSON is not one line: %q", out)
	}
}

func TestEntropyPasswordReadsStdin(t *testing.T) {
	r := run(t, "password1\n", "entropy", "--password")
	if r.code != 0 || !strings.Contains(r.out, "score:          0 of 4") || !strings.Contains(r.out, "a common password") {
		t.Fatalf("exit %d, %q, %q", r.code, r.out, r.err)
	}
	if strings.Contains(r.out, "password1") {
		t.Error("the output repeats the password")
	}
	r = run(t, "correct horse battery staple vivid", "entropy", "--password", "--json")
	var v struct {
		Score   int      `json:"score"`
		Bits    float64  `json:"bits"`
		Why     []string `json:"why"`
		Seconds float64  `json:"seconds_to_crack"`
	}
	if err := json.Unmarshal([]byte(r.out), &v); err != nil || v.Score != 4 || v.Bits < 40 || len(v.Why) == 0 || v.Seconds <= 0 {
		t.Errorf("JSON %q: %v", r.out, err)
	}
}

func TestEntropyPasswordAgreesWithTheReference(t *testing.T) {
	t.Run("four emoji score 0 and are placed at characters 1-4, not bytes", func(t *testing.T) {
		r := run(t, "🔥🔥🔥🔥\n", "entropy", "--password")
		if r.code != 0 || !strings.Contains(r.out, "score:          0 of 4") || !strings.Contains(r.out, "  characters 1-4: a repeat (4 times)\n") {
			t.Errorf("exit %d, %q, %q", r.code, r.out, r.err)
		}
	})
	t.Run("a repeated Chinese word with 123 scores 1, as the reference", func(t *testing.T) {
		r := run(t, "密码密码123", "entropy", "--password", "--json")
		var v struct {
			Score        int      `json:"score"`
			GuessesLog10 float64  `json:"guesses_log10"`
			Why          []string `json:"why"`
		}
		if err := json.Unmarshal([]byte(r.out), &v); err != nil || v.Score != 1 || math.Abs(v.GuessesLog10-math.Log10(30200)) > 1e-9 ||
			strings.Join(v.Why, "; ") != "characters 1-4: a repeat (2 times); characters 5-7: a sequence like abc or 9876" {
			t.Errorf("JSON %q: %v", r.out, err)
		}
	})
}

func TestEntropyBadInput(t *testing.T) {
	for _, c := range []struct {
		args  []string
		stdin string
		wants []string
	}{
		{nil, "", []string{"give exactly one of", "got 0"}},
		{[]string{"--bytes", "16", "--digits", "6"}, "", []string{"exactly one", "got 2"}},
		{[]string{"--bytes", "-1"}, "", []string{"--bytes -1 is too small"}},
		{[]string{"--bytes", "lots"}, "", []string{`--bytes "lots"`}},
		{[]string{"--words", "4", "--wordlist-size", "0"}, "", []string{"--wordlist-size 0 is too small"}},
		{[]string{"--bytes", "16", "--wordlist-size", "10"}, "", []string{"--wordlist-size goes with --words"}},
		{[]string{"--digits", "6", "--charset-size", "10"}, "", []string{"--charset-size goes with --length"}},
		{[]string{"--bytes", "16", "--rate", "0"}, "", []string{`--rate "0" is not a positive number`}},
		{[]string{"--bytes", "16", "--rate", "fast"}, "", []string{`--rate "fast"`}},
		{[]string{"--bytes", "16", "--online", "--rate", "5"}, "", []string{"--online and --rate"}},
		{[]string{"--password"}, "", []string{"no password on standard input"}},
		{[]string{"--password"}, strings.Repeat("x", 300), []string{"longer than 256 bytes"}},
		{[]string{"--password", "hunter2"}, "", []string{"takes no arguments", "standard input"}},
	} {
		t.Run("entropy "+strings.Join(c.args, " ")+" is refused", func(t *testing.T) {
			r := run(t, c.stdin, append([]string{"entropy"}, c.args...)...)
			wantUsageError(t, r, c.wants...)
			if strings.Contains(r.err, "hunter2") {
				t.Errorf("error %q repeats what may be a password", r.err)
			}
		})
	}
}

// Each guessing rate the output names has one description: the default
// 10^12 and zxcvbn's 10^10 were both called "offline, fast hash".
func TestEntropyPasswordNamesEachRateOnce(t *testing.T) {
	r := run(t, "Tr0ub4dor&3\n", "entropy", "--password")
	rateOf := map[string]string{}
	for _, line := range strings.Split(r.out, "\n") {
		var name, rate string
		switch {
		case strings.Contains(line, "guesses a second ("):
			i := strings.Index(line, " at ")
			rate, name = strings.Fields(line[i+4:])[0], line[strings.LastIndex(line, "(")+1:len(line)-1]
		case strings.Contains(line, " a second):"):
			name, rate = line[:strings.Index(line, " (")], line[strings.Index(line, "(")+1:strings.Index(line, " a second")]
			name = strings.TrimSpace(name)
		default:
			continue
		}
		name = strings.TrimPrefix(strings.TrimPrefix(name, "offline, a "), "offline, ")
		if prev, ok := rateOf[name]; ok && prev != rate {
			t.Errorf("%q names both %s and %s", name, prev, rate)
		}
		rateOf[name] = rate
	}
	if len(rateOf) < 3 {
		t.Fatalf("found %d named rates in %s", len(rateOf), r.out)
	}
}
