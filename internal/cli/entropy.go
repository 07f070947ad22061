package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/unguessable/secrets/entropy"
)

func newEntropyCmd(s Streams) *cobra.Command {
	var (
		bytes, words, listSize, length, charsetSize, digits, rate string
		online, fromPassword, asJSON                              bool
	)
	cmd := &cobra.Command{
		Use:   "entropy (--bytes N | --words N | --length N --charset-size K | --digits N | --password)",
		Short: "Print the bits, guesses and time to crack of a secret",
		Long: `Print the entropy in bits of a secret this project generates, the
guesses an attacker needs on average ((2^bits + 1) / 2), and the time
those take at --rate guesses a second: by default 10^12, an offline attack
on a leaked fast hash by a rack of GPUs; --online means 10, a
rate-limited login. For --password, zxcvbn's four scenarios are shown
too, each with its own rate.

--password reads a password a person chose from standard input (never from
an argument, which would land in the shell history; on a terminal it is
read without echo) and estimates it with zxcvbn: score 0-4, guesses, crack
times and the patterns that make it guessable, by position in characters.
The score and guesses are those of Dropbox's zxcvbn 4.4.2, the reference,
which counts length as JavaScript does, in UTF-16 code units: an emoji
counts as two characters. Its bits are log2 of zxcvbn's guesses, not of a
uniform space.

--json prints one object: bits, guesses, guesses_log10, rate,
seconds_to_crack, seconds_to_crack_log10 and time_to_crack (guesses and
seconds_to_crack are left out beyond the range of a float64).`,
		Example: `  secrets entropy --bytes 16                     # 128 bits: 5.4 x 10^18 years
  secrets entropy --words 4                      # 4 EFF words: 51.7 bits
  secrets entropy --words 6 --wordlist-size 2048
  secrets entropy --length 20 --charset-size 94 --json
  secrets entropy --digits 6 --online            # a 6-digit code, rate-limited
  secrets entropy --password < guess.txt`,
		Args: func(cmd *cobra.Command, args []string) error {
			// Not noArgs: the stray argument may be a password, so it is
			// not repeated in the error.
			if len(args) > 0 {
				return withHint(usagef("entropy takes no arguments; a password goes on standard input"),
					"secrets entropy --password < file, or type it at the prompt")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&bytes, "bytes", "", "a token of `N` random bytes")
	f.StringVar(&words, "words", "", "a passphrase of `N` words")
	f.StringVar(&listSize, "wordlist-size", "7776", "words in the list for --words (`K`)")
	f.StringVar(&length, "length", "", "a password of `N` characters (with --charset-size)")
	f.StringVar(&charsetSize, "charset-size", "94", "distinct characters for --length (`K`)")
	f.StringVar(&digits, "digits", "", "a numeric code of `N` digits")
	f.BoolVar(&fromPassword, "password", false, "estimate a password read from standard input with zxcvbn")
	f.StringVar(&rate, "rate", "1e12", "attacker's guesses a `SECOND`")
	f.BoolVar(&online, "online", false, "an online attack: 10 guesses a second")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var chosen []string
		for _, name := range []string{"bytes", "words", "length", "digits", "password"} {
			if cmd.Flags().Changed(name) {
				chosen = append(chosen, "--"+name)
			}
		}
		if len(chosen) != 1 {
			return withHint(usagef("give exactly one of --bytes, --words, --length, --digits or --password, got %d", len(chosen)),
				"secrets entropy --bytes 16")
		}
		if cmd.Flags().Changed("wordlist-size") && chosen[0] != "--words" {
			return usagef("--wordlist-size goes with --words, not %s", chosen[0])
		}
		if cmd.Flags().Changed("charset-size") && chosen[0] != "--length" {
			return usagef("--charset-size goes with --length, not %s", chosen[0])
		}
		r := entropy.OfflineRate
		switch {
		case online && cmd.Flags().Changed("rate"):
			return usagef("--online and --rate both set the rate; give one")
		case online:
			r = entropy.OnlineRate
		default:
			v, err := strconv.ParseFloat(rate, 64)
			if err != nil || !(v > 0) || math.IsInf(v, 0) {
				return usagef("--rate %q is not a positive number of guesses a second", truncate(rate))
			}
			r = v
		}
		if fromPassword {
			return estimatePassword(s, r, asJSON)
		}
		var bits float64
		var what string
		switch chosen[0] {
		case "--bytes":
			n, err := parseInt("--bytes", bytes, 0, maxTokenBytes)
			if err != nil {
				return err
			}
			bits, what = entropy.Bytes(int(n)), fmt.Sprintf("%d random bytes", n)
		case "--words":
			n, err := parseInt("--words", words, 0, 1<<20)
			if err != nil {
				return err
			}
			k, err := parseInt("--wordlist-size", listSize, 1, 1<<40)
			if err != nil {
				return err
			}
			bits, what = entropy.Words(int(n), int(k)), fmt.Sprintf("%d words from a list of %d", n, k)
		case "--length":
			n, err := parseInt("--length", length, 0, 1<<20)
			if err != nil {
				return err
			}
			k, err := parseInt("--charset-size", charsetSize, 1, 1<<40)
			if err != nil {
				return err
			}
			bits, what = entropy.Charset(int(n), int(k)), fmt.Sprintf("%d characters from %d", n, k)
		case "--digits":
			n, err := parseInt("--digits", digits, 0, 1<<20)
			if err != nil {
				return err
			}
			bits, what = entropy.Digits(int(n)), fmt.Sprintf("%d random digits", n)
		}
		e := entropy.FromBits(bits, r)
		if asJSON {
			return writeJSON(s, e)
		}
		w := bufio.NewWriter(s.Out)
		fmt.Fprintf(w, "secret:         %s\n", what)
		fmt.Fprintf(w, "bits:           %s\n", formatBits(bits))
		fmt.Fprintf(w, "guesses:        %s on average\n", formatLog10(e.GuessesLog10))
		fmt.Fprintf(w, "time to crack:  %s on average at %s\n", entropy.Duration(e.SecondsLog10()), describeRate(r))
		return w.Flush()
	}
	return cmd
}

func formatBits(b float64) string {
	if b == math.Trunc(b) {
		return strconv.FormatFloat(b, 'f', 0, 64)
	}
	return strconv.FormatFloat(b, 'f', 2, 64)
}

// formatLog10 writes 10^x as a plain number when small, else in scientific form.
func formatLog10(x float64) string {
	if x < 6 {
		return strconv.FormatFloat(math.Round(math.Pow(10, x)), 'f', 0, 64)
	}
	return entropy.Scientific(x)
}

// describeRate writes a rate of guesses a second: as given when it is
// between 0.001 and a million (0.5, 2.5 and 1000 are not rounded to whole
// guesses), else as a power of ten or in scientific form.
func describeRate(r float64) string {
	var s string
	switch {
	case r >= 1e-3 && r < 1e6:
		s = strconv.FormatFloat(r, 'f', -1, 64)
	case r >= 1e6 && r == math.Pow(10, math.Round(math.Log10(r))):
		s = fmt.Sprintf("10^%.0f", math.Log10(r))
	default:
		s = entropy.Scientific(math.Log10(r))
	}
	switch r {
	case entropy.OfflineRate:
		return s + " guesses a second (offline, a fast hash on a rack of GPUs)"
	case entropy.OnlineRate:
		return s + " guesses a second (online, rate-limited)"
	}
	return s + " guesses a second"
}

func writeJSON(s Streams, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.Out.Write(append(b, '\n'))
	return err
}

// readPassword reads one password from standard input: without echo from a
// terminal, otherwise the first line.
func readPassword(s Streams) (string, error) {
	if f, ok := s.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(s.Err, "password (not echoed): ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(s.Err)
		if err != nil {
			return "", usagef("reading the password: %v", err)
		}
		return string(b), nil
	}
	b, err := io.ReadAll(io.LimitReader(s.In, entropy.MaxPasswordLength+3))
	if err != nil {
		return "", usagef("reading the password from standard input: %v", err)
	}
	// Only the first line counts; estimatePassword refuses one that is too
	// long (reading Max+3 bytes is enough to see that, CRLF included).
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSuffix(line, "\r"), nil
}

var scoreNames = [...]string{"too guessable", "very guessable", "somewhat guessable", "safely unguessable", "very unguessable"}

func estimatePassword(s Streams, rate float64, asJSON bool) error {
	pw, err := readPassword(s)
	if err != nil {
		return err
	}
	if pw == "" {
		return withHint(usagef("no password on standard input"), "echo -n 'the password' | secrets entropy --password, or type it at the prompt")
	}
	if len(pw) > entropy.MaxPasswordLength {
		return usagef("the password is longer than %d bytes", entropy.MaxPasswordLength)
	}
	ps := entropy.Password(pw, nil)
	e := ps.Estimate(rate)
	scenarios := []struct {
		name string
		rate float64
	}{
		{"online, throttled (100 an hour)", 100.0 / 3600},
		{"online, unthrottled (10 a second)", 10},
		{"offline, slow hash (10^4 a second)", 1e4},
		{"offline, fast hash on one machine (10^10 a second)", 1e10},
		{"offline, fast hash on a rack of GPUs (10^12 a second)", 1e12},
	}
	if asJSON {
		type scenario struct {
			Name    string  `json:"scenario"`
			Rate    float64 `json:"rate"`
			Seconds float64 `json:"seconds_to_crack"`
			Human   string  `json:"time_to_crack"`
		}
		var list []scenario
		for _, sc := range scenarios {
			x := ps.Estimate(sc.rate)
			list = append(list, scenario{sc.name, sc.rate, x.Seconds(), entropy.Duration(x.SecondsLog10())})
		}
		// One object: the Estimate's fields (from its MarshalJSON) and these.
		eb, err := json.Marshal(e)
		if err != nil {
			return err
		}
		rest, err := json.Marshal(struct {
			Score     int        `json:"score"`
			Why       []string   `json:"why"`
			Scenarios []scenario `json:"scenarios"`
		}{ps.Score, ps.Why, list})
		if err != nil {
			return err
		}
		merged := append(eb[:len(eb)-1:len(eb)-1], ',')
		merged = append(merged, rest[1:]...)
		_, err = s.Out.Write(append(merged, '\n'))
		return err
	}
	w := bufio.NewWriter(s.Out)
	fmt.Fprintf(w, "score:          %d of 4 (%s, zxcvbn's scale, made for online guessing and slow hashes)\n", ps.Score, scoreNames[ps.Score])
	fmt.Fprintf(w, "guesses:        %s (zxcvbn's estimate)\n", formatLog10(e.GuessesLog10))
	fmt.Fprintf(w, "bits:           %.1f (log2 of the guesses)\n", e.Bits)
	fmt.Fprintf(w, "time to crack:  %s at %s\n", entropy.Duration(e.SecondsLog10()), describeRate(rate))
	for _, sc := range scenarios {
		fmt.Fprintf(w, "  %-37s %s\n", sc.name+":", entropy.Duration(ps.Estimate(sc.rate).SecondsLog10()))
	}
	fmt.Fprintln(w, "why:")
	for _, why := range ps.Why {
		fmt.Fprintf(w, "  %s\n", why)
	}
	return w.Flush()
}
