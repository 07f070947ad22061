package cli

import (
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"
)

func TestCrackMT19937PredictsCPython(t *testing.T) {
	data, err := os.ReadFile("../../crack/testdata/mt19937.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")[1:] // skip the header
	in := strings.Join(lines[:700], "\n")
	r := run(t, in, "crack", "mt19937", "--next", "300")
	if r.code != 0 || r.err != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.err)
	}
	if got, want := r.out, strings.Join(lines[700:1000], "\n")+"\n"; got != want {
		t.Errorf("predictions differ from CPython's outputs 701 to 1000")
	}
}

func TestCrackGoRandPredictsMathRand(t *testing.T) {
	g := rand.New(rand.NewSource(99))
	var in, want strings.Builder
	for range 607 {
		fmt.Fprintln(&in, g.Int63())
	}
	for range 10 {
		fmt.Fprintln(&want, g.Int63())
	}
	r := run(t, in.String(), "crack", "gorand")
	if r.code != 0 || r.out != want.String() {
		t.Errorf("exit %d, stdout %q, stderr %q; want the next 10 outputs %q", r.code, r.out, r.err, want.String())
	}
}

func TestCrackBadInputIsAUsageError(t *testing.T) {
	tests := []struct {
		name, stdin string
		args        []string
		wants       []string
	}{
		{"a word in the outputs", "1\nseven\n", []string{"crack", "mt19937"}, []string{"line 2", `"seven"`}},
		{"a 33-bit output", "8589934592\n", []string{"crack", "mt19937"}, []string{"line 1", "32 bits"}},
		{"too few outputs", "1\n2\n3\n", []string{"crack", "gorand"}, []string{"3 outputs", "607"}},
		{"a negative --next", "", []string{"crack", "gorand", "--next", "-1"}, []string{"--next"}},
		{"a huge --next", "", []string{"crack", "mt19937", "--next", "100000000"}, []string{"--next 100000000"}},
		{"an argument to demo", "", []string{"crack", "demo", "x"}, []string{"takes no arguments"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" exits 2", func(t *testing.T) {
			wantUsageError(t, run(t, tt.stdin, tt.args...), tt.wants...)
		})
	}
}

func TestCrackOfOtherOutputsSaysNo(t *testing.T) {
	var in strings.Builder
	for i := range 700 {
		fmt.Fprintln(&in, i*7919)
	}
	r := run(t, in.String(), "crack", "gorand")
	if r.code != exitFailure || r.out != "" || !strings.Contains(r.err, "not consecutive outputs") {
		t.Errorf("exit %d, stdout %q, stderr %q: want status 1 saying the outputs do not fit", r.code, r.out, r.err)
	}
}

func TestCrackDemoPredictsMathRandButNotSecrets(t *testing.T) {
	out := mustRun(t, "crack", "demo", "--seed", "7")
	matches := strings.Count(out, "match: yes")
	misses := strings.Count(out, "match: no")
	if matches != 1 || misses != 1 {
		t.Errorf("demo output has %d predicted and %d unpredicted tokens, want 1 and 1:\n%s", matches, misses, out)
	}
}
