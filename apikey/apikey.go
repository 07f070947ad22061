// Package apikey defines the format of API keys: a readable prefix, a random
// base62 body and a CRC32 checksum, like GitHub's tokens, so that secret
// scanners and servers reject a mistyped or made-up key without touching a
// database.
//
// A key looks like
//
//	sk_live_<43 base62 characters><6 base62 characters>
//
// The prefix (letters, digits and '_', ending in '_', at most 32 characters)
// says what the key is for. The body is 43 characters drawn uniformly from
// the 62 letters and digits: 43 x log2(62) = 256.03 bits, at least the 32
// random bytes a key needs. The checksum is the CRC32 (IEEE) of prefix and
// body written in 6 base62 digits. It is not a security measure, since anyone
// can compute it; it catches typos and garbage before any lookup.
//
// Store only [Hash] of a key and show only [Redact] of it.
//
// This package only makes and parses keys; it stores nothing. To issue
// keys and verify them against a database, with owners, limits and
// revocation, use package [github.com/unguessable/secrets/keys].
package apikey

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/unguessable/secrets"
)

// Format constants.
const (
	// MaxPrefixLen is the longest prefix a key may have.
	MaxPrefixLen = 32
	// BodyLen is the number of base62 characters in a key's random body.
	BodyLen = 43
	// ChecksumLen is the number of base62 characters of the checksum.
	ChecksumLen = 6
	// Bits is the entropy of a key's body, rounded down: 43 x log2(62).
	Bits = 256
)

// alphabet is base62 in ASCII order, so that checksum digits sort like numbers.
const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Errors returned by [Parse] and [CheckPrefix]. None of them echoes the key.
var (
	// ErrPrefix is returned when a key has no prefix, or its prefix is longer
	// than MaxPrefixLen, holds a character other than letters, digits and
	// '_', or does not end in '_'.
	ErrPrefix = errors.New("bad prefix")
	// ErrLength is returned when the part of a key after its prefix is not
	// BodyLen+ChecksumLen characters long.
	ErrLength = errors.New("wrong length")
	// ErrCharacter is returned when the body or checksum of a key holds a
	// character that is not a base62 letter or digit.
	ErrCharacter = errors.New("character outside base62")
	// ErrChecksum is returned when a key's checksum does not match its prefix
	// and body: the key was mistyped, truncated or made up.
	ErrChecksum = errors.New("checksum mismatch")
)

// Parts are the three parts of a well-formed key. Its String and GoString
// methods redact the body, so a Parts value printed by mistake leaks nothing.
type Parts struct {
	Prefix   string
	Body     string
	Checksum string
}

// String returns the redacted key, as [Redact] does.
func (p Parts) String() string { return Redact(p.Prefix + p.Body + p.Checksum) }

// GoString returns the redacted key, so %#v does not print the body either.
func (p Parts) GoString() string { return "apikey.Parts{" + p.String() + "}" }

// New returns a new key with the given prefix: BodyLen base62 characters of
// randomness (256 bits) and the checksum. New panics if prefix is not a valid
// prefix (see [CheckPrefix]); it is the program's constant, not user input.
func New(prefix string) string {
	if err := CheckPrefix(prefix); err != nil {
		panic(fmt.Sprintf("apikey: New: %v", err))
	}
	b := make([]byte, 0, len(prefix)+BodyLen+ChecksumLen)
	b = append(b, prefix...)
	b = append(b, secrets.TokenString(BodyLen, alphabet)...)
	b = appendChecksum(b, crc32.ChecksumIEEE(b))
	return string(b)
}

// CheckPrefix returns nil if prefix is a valid key prefix: 1 to MaxPrefixLen
// characters, letters, digits and '_', ending in '_' and starting with a
// letter or digit. Otherwise it returns an error wrapping [ErrPrefix].
func CheckPrefix(prefix string) error {
	if why := prefixProblem(prefix); why != "" {
		if prefix == "" || len(prefix) > MaxPrefixLen {
			return fmt.Errorf("%w: %s", ErrPrefix, why)
		}
		return fmt.Errorf("%w: %q %s", ErrPrefix, prefix, why)
	}
	return nil
}

// prefixProblem says what is wrong with prefix, without quoting it, or
// returns "" if it is a valid prefix.
func prefixProblem(prefix string) string {
	switch {
	case prefix == "":
		return "the prefix is empty"
	case len(prefix) > MaxPrefixLen:
		return fmt.Sprintf("the prefix has %d characters, the most is %d", len(prefix), MaxPrefixLen)
	case !strings.HasSuffix(prefix, "_"):
		return "does not end in '_'"
	case prefix[0] == '_':
		return "must start with a letter or digit"
	}
	for i := 0; i < len(prefix); i++ {
		if c := prefix[i]; c != '_' && !isBase62(c) {
			return "holds a character other than letters, digits and '_'"
		}
	}
	return ""
}

// Parse splits key into its parts and checks them: the prefix, the length,
// the characters and the checksum. It does no I/O, so a server can reject a
// malformed key before any lookup. The error wraps ErrPrefix, ErrLength,
// ErrCharacter or ErrChecksum and never contains the key.
func Parse(key string) (Parts, error) {
	i := strings.LastIndexByte(key, '_')
	if i < 0 {
		return Parts{}, fmt.Errorf("apikey: %w: no prefix ending in '_'", ErrPrefix)
	}
	prefix, rest := key[:i+1], key[i+1:]
	if why := prefixProblem(prefix); why != "" {
		// Do not quote a malformed prefix: it may be part of some other
		// secret pasted by mistake (base64url tokens hold '_' and '-').
		if !strings.HasPrefix(why, "the prefix") {
			why = "the prefix " + why
		}
		return Parts{}, fmt.Errorf("apikey: %w: %s", ErrPrefix, why)
	}
	if len(rest) != BodyLen+ChecksumLen {
		return Parts{}, fmt.Errorf("apikey: %w: %d characters after the prefix, want %d", ErrLength, len(rest), BodyLen+ChecksumLen)
	}
	for j := 0; j < len(rest); j++ {
		if !isBase62(rest[j]) {
			return Parts{}, fmt.Errorf("apikey: %w at position %d", ErrCharacter, len(prefix)+j+1)
		}
	}
	p := Parts{Prefix: prefix, Body: rest[:BodyLen], Checksum: rest[BodyLen:]}
	var want [ChecksumLen]byte
	appendChecksum(want[:0], crc32.ChecksumIEEE([]byte(key[:len(key)-ChecksumLen])))
	// The checksum is public information, but comparing in constant time
	// costs nothing and keeps the habit.
	if !secrets.CompareDigest(want[:], []byte(p.Checksum)) {
		return Parts{}, fmt.Errorf("apikey: %w", ErrChecksum)
	}
	return p, nil
}

// Hash returns the SHA-256 of key in lower-case hex: what a server stores and
// looks keys up by. A key's 256 bits of entropy make a plain hash safe: there
// is nothing to guess offline.
func Hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Redact returns a form of key safe for logs and user interfaces: its prefix,
// an ellipsis and the last 4 characters ("sk_live_…a1b2"), which are checksum
// characters and reveal at most 24 bits about a 256-bit body. Input shaped
// unlike a key (no valid prefix, or fewer than 16 base62 characters after
// it, or other characters) redacts to "…" alone, since it may be some other
// secret pasted by mistake.
func Redact(key string) string {
	i := strings.LastIndexByte(key, '_')
	if i < 0 || CheckPrefix(key[:i+1]) != nil {
		return "…"
	}
	rest := key[i+1:]
	if len(rest) < 16 {
		return "…"
	}
	for j := 0; j < len(rest); j++ {
		if !isBase62(rest[j]) {
			return "…"
		}
	}
	return key[:i+1] + "…" + rest[len(rest)-4:]
}

func isBase62(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

// appendChecksum appends sum in ChecksumLen base62 digits, most significant
// first; 62^6 > 2^32, so every CRC32 fits.
func appendChecksum(dst []byte, sum uint32) []byte {
	var d [ChecksumLen]byte
	for i := ChecksumLen - 1; i >= 0; i-- {
		d[i] = alphabet[sum%62]
		sum /= 62
	}
	return append(dst, d[:]...)
}

// Find returns the start and end of the first well-formed key in text (a
// prefix, then a base62 body and checksum that match it), such as a key of
// this package pasted into other text, or -1, -1 if it holds none: the
// checksum makes a chance match of ordinary text about one in 62^6. The
// prefixes tried are each tail of the run of letters, digits and '_'
// before the body that is short enough to be a prefix ("sk_" in "my_sk_…"
// and in "bogussk_…"): a few dozen parses at most, and only where a '_' is
// followed by a body's length of base62, so it is cheap enough for a
// request's path.
func Find(text string) (start, end int) {
	const tail = BodyLen + ChecksumLen
	for i := 0; i+1+tail <= len(text); i++ {
		// A body and checksum: tail base62 characters after a '_'.
		if text[i] != '_' || !allBase62(text[i+1:i+1+tail]) {
			continue
		}
		first := i
		for first > 0 && (text[first-1] == '_' || isBase62(text[first-1])) {
			first--
		}
		for j := first; j < i; j++ {
			if i-j < MaxPrefixLen {
				if _, err := Parse(text[j : i+1+tail]); err == nil {
					return j, i + 1 + tail
				}
			}
		}
	}
	return -1, -1
}

// RedactIn returns text with every well-formed key in it (see Find)
// replaced by its Redact form, for text that repeats what a caller sent,
// such as an error message.
func RedactIn(text string) string {
	var b strings.Builder
	for {
		i, j := Find(text)
		if i < 0 {
			if b.Len() == 0 {
				return text
			}
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		b.WriteString(Redact(text[i:j]))
		text = text[j:]
	}
}

func allBase62(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isBase62(s[i]) {
			return false
		}
	}
	return true
}
