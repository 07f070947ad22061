package passphrase

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The EFF large word list, copyright 2016 Electronic Frontier Foundation,
// licensed under CC BY 3.0 US; see the package documentation and NOTICE.
//
//go:embed eff_large_wordlist.txt
var effLargeWordList string

// Limits on a word list read by [ParseWordList].
const (
	// MaxWordListBytes is the largest word list ParseWordList reads.
	MaxWordListBytes = 16 << 20
	// MaxWordBytes is the longest line ParseWordList accepts.
	MaxWordBytes = 1 << 10
	// MaxListWords is the most lines with a word that ParseWordList
	// accepts: 16 bits a word, far above the lists in use (the EFF and
	// Diceware lists have 7,776 words). It also keeps memory small however
	// large the file.
	MaxListWords = 1 << 16
	// RecommendedMinWords is the size below which a list gives noticeably
	// weak words: 1000 words is about 10 bits a word, against the EFF
	// list's 12.9.
	RecommendedMinWords = 1000
)

// Errors returned by [ParseWordList] and [NewWordList].
var (
	// ErrTooFewWords is returned when a word list holds fewer than 2
	// distinct words, which cannot carry any entropy.
	ErrTooFewWords = errors.New("passphrase: word list has fewer than 2 distinct words")
	// ErrMalformedLine is returned when a line of a word list is neither one
	// word nor a dice number (digits 1 to 6) followed by one word.
	ErrMalformedLine = errors.New("passphrase: malformed word list line")
	// ErrWordListTooLarge is returned when a word list is longer than
	// MaxWordListBytes, has more than MaxListWords words or has a line
	// longer than MaxWordBytes.
	ErrWordListTooLarge = errors.New("passphrase: word list too large")
)

// WordList is a set of distinct words to draw passphrases from. It is
// immutable and safe for concurrent use.
type WordList struct {
	words []string
}

var eff = sync.OnceValue(func() *WordList {
	l, err := ParseWordList(strings.NewReader(effLargeWordList))
	if err != nil || l.Len() != 7776 {
		panic(fmt.Sprintf("passphrase: embedded EFF word list is corrupt: %v", err))
	}
	return l
})

// EFF returns the EFF large word list: 7776 words, log2(7776) = 12.925 bits
// each when chosen uniformly.
func EFF() *WordList { return eff() }

// NewWordList returns a list of the distinct words in words, in their first
// order of appearance. Words are used exactly as given; an empty word or one
// with white space or invalid UTF-8 is a malformed line. It returns
// ErrTooFewWords if fewer than 2 distinct words remain.
func NewWordList(words []string) (*WordList, error) {
	seen := make(map[string]struct{}, len(words))
	out := make([]string, 0, len(words))
	for i, w := range words {
		if err := checkWord(w); err != nil {
			return nil, fmt.Errorf("%w: word %d %v", ErrMalformedLine, i+1, err)
		}
		if _, dup := seen[w]; dup {
			continue
		}
		seen[w] = struct{}{}
		out = append(out, w)
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("%w (it has %d)", ErrTooFewWords, len(out))
	}
	return &WordList{words: out}, nil
}

// ParseWordList reads a word list from r, one entry a line, in either of two
// formats, which may be mixed:
//
//	correct                 (one word a line)
//	11111	abacus          (a Diceware number of digits 1 to 6, white space, a word)
//
// Blank lines are skipped, a trailing carriage return is dropped, and
// duplicate words are removed, so that every word in the result is equally
// likely to be drawn. It returns ErrMalformedLine (with the line number) for
// any other line, ErrWordListTooLarge past MaxWordListBytes, and
// ErrTooFewWords if fewer than 2 distinct words remain.
func ParseWordList(r io.Reader) (*WordList, error) {
	cr := &countingReader{r: io.LimitReader(r, MaxWordListBytes+1)}
	sc := bufio.NewScanner(cr)
	sc.Buffer(make([]byte, 0, MaxWordBytes), MaxWordBytes)
	var words []string
	var n int
	for sc.Scan() {
		n++
		if cr.n > MaxWordListBytes {
			return nil, fmt.Errorf("%w: more than %d MiB", ErrWordListTooLarge, MaxWordListBytes>>20)
		}
		line := strings.TrimSuffix(sc.Text(), "\r")
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("%w: line %d is not valid UTF-8", ErrMalformedLine, n)
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
			continue
		case len(fields) == 1:
			words = append(words, fields[0])
		case len(fields) == 2 && isDiceNumber(fields[0]):
			words = append(words, fields[1])
		default:
			return nil, fmt.Errorf("%w: line %d has %d fields; want a word, or a dice number (digits 1-6) and a word", ErrMalformedLine, n, len(fields))
		}
		if len(words) > MaxListWords {
			return nil, fmt.Errorf("%w: more than %d words", ErrWordListTooLarge, MaxListWords)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: line %d is longer than %d bytes", ErrWordListTooLarge, n+1, MaxWordBytes)
		}
		return nil, fmt.Errorf("passphrase: reading word list: %w", err)
	}
	if cr.n > MaxWordListBytes {
		return nil, fmt.Errorf("%w: more than %d MiB", ErrWordListTooLarge, MaxWordListBytes>>20)
	}
	return NewWordList(words)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func isDiceNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '1' || s[i] > '6' {
			return false
		}
	}
	return s != ""
}

func checkWord(w string) error {
	switch {
	case w == "":
		return errors.New("is empty")
	case !utf8.ValidString(w):
		return errors.New("is not valid UTF-8")
	case strings.IndexFunc(w, unicode.IsSpace) >= 0:
		return errors.New("contains white space")
	}
	return nil
}

// Len returns the number of distinct words in the list.
func (l *WordList) Len() int { return len(l.words) }

// Words returns a copy of the words in the list.
func (l *WordList) Words() []string { return append([]string(nil), l.words...) }

// BitsPerWord returns log2(Len()), the entropy of one word chosen uniformly
// from the list as it is (lower-case words for the EFF list).
func (l *WordList) BitsPerWord() float64 { return math.Log2(float64(len(l.words))) }
