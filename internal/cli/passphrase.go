package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/unguessable/secrets/passphrase"
)

// minPassphraseWords is the fewest words secrets passphrase makes: four EFF
// words, about 51.7 bits, enough only where guessing is rate-limited.
const minPassphraseWords = 4

func newPassphraseCmd(s Streams) *cobra.Command {
	var (
		words, caseName, wordlist string
		sep                       string
		number, showBits, asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "passphrase",
		Short: "Print Diceware passphrases from the EFF word list",
		Long: `Print a passphrase of words chosen uniformly and independently from the
EFF large word list (7776 words, 12.925 bits each; CC BY 3.0 US, see
NOTICE). The default of 6 words is 77.5 bits. 4 words (about 51.7 bits) is
the least allowed, and is only safe where guessing is rate-limited.

--case random writes each word in lower, Title or UPPER case at random
(log2(3) more bits a word); --number appends a random digit to a random
word (log2(10 x words) more bits). --wordlist reads another list: one word
a line, or Diceware lines such as "11111 abacus"; repeated words are
dropped so every word stays equally likely. --entropy prints the exact bits
after a tab; --json prints {"passphrase": ..., "bits": ...} lines.`,
		Example: `  secrets passphrase                      # 6 words, 77.5 bits
  secrets passphrase --words 8 --sep -    # 8 words joined by hyphens
  secrets passphrase --case title --number --sep . --entropy
  secrets passphrase --wordlist my-words.txt -n 5
  secrets passphrase --json -n 3`,
		Args: noArgs,
	}
	f := cmd.Flags()
	f.StringVarP(&words, "words", "w", strconv.Itoa(passphrase.DefaultWords), "number of `N` words (4 or more)")
	f.StringVar(&sep, "sep", " ", "separator `S` between words (may be empty)")
	f.StringVar(&caseName, "case", "lower", "capitalisation: lower, title, upper or random")
	f.BoolVar(&number, "number", false, "append a random digit to one random word")
	f.StringVar(&wordlist, "wordlist", "", "read words from `FILE` (- for standard input) instead of the EFF list")
	f.BoolVar(&showBits, "entropy", false, "print the exact entropy in bits after each passphrase")
	f.BoolVar(&asJSON, "json", false, "print one JSON object a line with passphrase and bits")
	count := addCount(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		n, err := parseInt("--words", words, minPassphraseWords, passphrase.MaxWords)
		if err != nil {
			return withHint(err, "4 words is about 51.7 bits, the least that is safe even behind rate limiting")
		}
		c, err := passphrase.ParseCase(caseName)
		if err != nil {
			return usagef("--case %q is not lower, title, upper or random", truncate(caseName))
		}
		opts := passphrase.Options{Words: int(n), Separator: sep, Case: c, Number: number}
		if wordlist != "" {
			if opts.List, err = readWordList(s, wordlist); err != nil {
				return err
			}
		}
		if err := opts.Validate(); err != nil {
			return usagef("--wordlist %s: %v", wordlist, err)
		}
		g := passphrase.NewGenerator(opts)
		bits := g.Bits()
		if l := g.Options().List; l.Len() < passphrase.RecommendedMinWords {
			fmt.Fprintf(s.Err, "secrets: warning: the word list has %d distinct words, fewer than %d; these passphrases are %.1f bits (%.2f a word)\n",
				l.Len(), passphrase.RecommendedMinWords, bits, math.Log2(float64(g.Forms())))
		}
		if n < passphrase.DefaultWords {
			fmt.Fprintf(s.Err, "secrets: warning: %d words are %.1f bits: enough only where guessing is rate-limited; use 6 or more for anything an attacker could guess offline\n", n, bits)
		}
		if !g.Exact() {
			fmt.Fprintf(s.Err, "secrets: warning: the separator does not mark word boundaries unambiguously, so %.1f bits is an upper bound; use a separator that appears in no word\n", bits)
		}
		bitsText := strconv.FormatFloat(bits, 'f', 2, 64)
		return writeLines(cmd.Context(), s, count.v, func(dst []byte) []byte {
			switch {
			case asJSON:
				dst = append(dst, `{"passphrase":`...)
				dst = appendJSONString(dst, string(g.Append(nil)))
				dst = append(dst, `,"bits":`...)
				dst = strconv.AppendFloat(dst, bits, 'f', -1, 64)
				return append(dst, '}')
			case showBits:
				dst = g.Append(dst)
				dst = append(dst, '\t')
				dst = append(dst, bitsText...)
				return append(dst, " bits"...)
			}
			return g.Append(dst)
		})
	}
	return cmd
}

// appendJSONString appends s as a JSON string, without the HTML escaping
// of encoding/json's Marshal (which would write & as \u0026).
func appendJSONString(dst []byte, s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(dst, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...)
}

// readWordList reads and parses a --wordlist file.
func readWordList(s Streams, name string) (*passphrase.WordList, error) {
	r := s.In
	if name != "-" {
		f, err := openInput(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	l, err := passphrase.ParseWordList(r)
	if err != nil {
		return nil, usagef("--wordlist %s: %v", name, err)
	}
	return l, nil
}
