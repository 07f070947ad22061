package otp

import (
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	potp "github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/unguessable/secrets"
)

// TOTP and HOTP parameters.
const (
	// SecretSize is the size of the secrets [NewTOTP] makes: 20 bytes, 160
	// bits, the length RFC 4226 recommends and what authenticator apps
	// expect.
	SecretSize = 20
	// MinSecretSize is the shortest secret [ParseSecret] accepts: 10 bytes,
	// 80 bits, the length of many secrets already enrolled in
	// authenticator apps. RFC 4226 asks for at least 16 (128 bits); new
	// secrets should use SecretSize.
	MinSecretSize = 10
	// MaxSecretSize is the longest secret ParseSecret accepts.
	MaxSecretSize = 1024

	DefaultTOTPDigits = 6
	DefaultPeriod     = 30 * time.Second
)

// Errors.
var (
	// ErrInvalidSecret is returned when a secret is not base32 (RFC 4648,
	// letters A-Z in either case and digits 2-7, with optional spaces and
	// padding) or is longer than MaxSecretSize bytes.
	ErrInvalidSecret = errors.New("otp: invalid secret")
	// ErrShortSecret is returned when a secret decodes to fewer than
	// MinSecretSize bytes.
	ErrShortSecret = errors.New("otp: secret too short")
	// ErrInvalidLabel is returned when an issuer or account name for an
	// otpauth URI is empty or is not valid UTF-8.
	ErrInvalidLabel = errors.New("otp: invalid issuer or account name")
	// ErrInvalidAlgorithm is returned when an algorithm name is not SHA1,
	// SHA256 or SHA512.
	ErrInvalidAlgorithm = errors.New("otp: invalid algorithm")
)

// Algorithm is the HMAC hash of an HOTP or TOTP code.
type Algorithm int

const (
	SHA1   Algorithm = iota // HMAC-SHA-1, the default and the only one every authenticator app supports
	SHA256                  // HMAC-SHA-256
	SHA512                  // HMAC-SHA-512
)

func (a Algorithm) pquerna() potp.Algorithm {
	switch a {
	case SHA1:
		return potp.AlgorithmSHA1
	case SHA256:
		return potp.AlgorithmSHA256
	case SHA512:
		return potp.AlgorithmSHA512
	}
	panic(fmt.Sprintf("otp: unknown Algorithm %d", int(a)))
}

// String returns "SHA1", "SHA256" or "SHA512".
func (a Algorithm) String() string { return a.pquerna().String() }

// ParseAlgorithm returns the Algorithm named "SHA1", "SHA256" or "SHA512",
// in either case: the names otpauth URIs use. Any other name is
// ErrInvalidAlgorithm.
func ParseAlgorithm(name string) (Algorithm, error) {
	for _, a := range []Algorithm{SHA1, SHA256, SHA512} {
		if strings.EqualFold(name, a.String()) {
			return a, nil
		}
	}
	return 0, fmt.Errorf("%w %q: the algorithms are SHA1, SHA256 and SHA512", ErrInvalidAlgorithm, name)
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// EncodeSecret returns secret in unpadded upper-case base32, the form
// authenticator apps and otpauth URIs use.
func EncodeSecret(secret []byte) string { return b32.EncodeToString(secret) }

// ParseSecret decodes a base32 TOTP or HOTP secret as people copy it: in
// upper or lower case, with or without "=" padding, with spaces between
// groups. The error never includes the secret: it gives only the position
// of the first character that is not base32.
func ParseSecret(s string) ([]byte, error) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z', c >= '2' && c <= '7':
			b.WriteByte(c)
		case c == ' ' || c == '\t':
		case c == '=' && strings.Trim(s[i:], "= \t") == "":
			i = len(s)
		default:
			return nil, fmt.Errorf("%w: character %d is not base32 (A-Z, 2-7)", ErrInvalidSecret, i+1)
		}
	}
	clean := b.String()
	if b32.DecodedLen(len(clean)) > MaxSecretSize {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalidSecret, MaxSecretSize)
	}
	secret, err := b32.DecodeString(clean)
	if r := len(clean) % 8; err != nil || r == 1 || r == 3 || r == 6 {
		// 1, 3 or 6 characters past a multiple of 8 encode no whole byte.
		return nil, fmt.Errorf("%w: %d base32 characters is not a whole number of bytes", ErrInvalidSecret, len(clean))
	}
	if len(secret) < MinSecretSize {
		return nil, fmt.Errorf("%w: %d bytes (%d bits); the least is %d bytes and 20 is recommended", ErrShortSecret, len(secret), 8*len(secret), MinSecretSize)
	}
	return secret, nil
}

// HOTP returns the RFC 4226 HMAC-based one-time password for secret and
// counter: digits decimal digits (6 to 8), zero-padded. It panics if digits
// is outside [6, 8] or alg is not one of the constants.
func HOTP(secret []byte, counter uint64, digits int, alg Algorithm) string {
	checkDigits(digits)
	code, err := hotp.GenerateCodeCustom(EncodeSecret(secret), counter, hotp.ValidateOpts{
		Digits:    potp.Digits(digits),
		Algorithm: alg.pquerna(),
	})
	if err != nil {
		// The secret was encoded just above, so it is always valid base32.
		panic("otp: HOTP: " + err.Error())
	}
	return code
}

func checkDigits(digits int) {
	if digits < 6 || digits > 8 {
		panic(fmt.Sprintf("otp: HOTP/TOTP digits %d is outside [6, 8]", digits))
	}
}

// TOTP is a time-based one-time password key (RFC 6238). The zero values of
// Digits, Period and Algorithm mean 6 digits, 30 seconds and SHA-1, the
// settings every authenticator app supports.
type TOTP struct {
	Secret    []byte
	Digits    int           // 6 to 8; 0 means 6
	Period    time.Duration // a whole number of seconds; 0 means 30s
	Algorithm Algorithm
}

// NewTOTP returns a TOTP key with a new random secret of SecretSize bytes
// (160 bits) and the default settings.
func NewTOTP() *TOTP { return &TOTP{Secret: secrets.TokenBytes(SecretSize)} }

// params returns the key's settings with defaults filled in, panicking on
// values no authenticator could use.
func (k *TOTP) params() (digits int, period uint) {
	if len(k.Secret) == 0 {
		panic("otp: TOTP has no Secret")
	}
	digits = k.Digits
	if digits == 0 {
		digits = DefaultTOTPDigits
	}
	checkDigits(digits)
	p := k.Period
	if p == 0 {
		p = DefaultPeriod
	}
	if p < time.Second || p%time.Second != 0 {
		panic(fmt.Sprintf("otp: TOTP Period %v is not a positive whole number of seconds", p))
	}
	return digits, uint(p / time.Second)
}

func (k *TOTP) opts() totp.ValidateOpts {
	digits, period := k.params()
	return totp.ValidateOpts{Period: period, Digits: potp.Digits(digits), Algorithm: k.Algorithm.pquerna()}
}

// Code returns the code for time t.
func (k *TOTP) Code(t time.Time) string {
	code, err := totp.GenerateCodeCustom(EncodeSecret(k.Secret), t, k.opts())
	if err != nil {
		panic("otp: TOTP.Code: " + err.Error())
	}
	return code
}

// Verify reports whether code is the code for time t or for the time step
// just before or after it, allowing one step of clock skew either way. The
// comparison is in constant time. A code of the wrong length is false.
//
// Verify does not stop a code from being used twice within its window, nor
// limit attempts: a 6-digit code is 19.9 bits, so the caller must record the
// last accepted time step and lock out after a few failures.
func (k *TOTP) Verify(code string, t time.Time) bool {
	o := k.opts()
	o.Skew = 1
	ok, err := totp.ValidateCustom(code, EncodeSecret(k.Secret), t, o)
	return err == nil && ok
}

// URI returns the otpauth:// URI that enrols the key in an authenticator
// app (usually shown as a QR code). It contains the secret. The URI follows
// Google's Key Uri Format: the label is "issuer:account", and the issuer is
// repeated in the issuer parameter. Any character of issuer and account may
// be used: the URI is ASCII, with everything but letters, digits, "-._~"
// and (in the label) "@" percent-encoded, so a ':' within either name is
// "%3A" and only the separator is a literal colon, and a space is "%20",
// never "+". URI returns ErrInvalidLabel if issuer or account is empty or
// is not valid UTF-8.
//
// Apps that read the issuer from the label, rather than from the issuer
// parameter, and decode the label before splitting it at its first colon
// show an issuer with a colon of its own cut short; the key and its codes
// are not affected.
func (k *TOTP) URI(issuer, account string) (string, error) {
	for _, c := range []struct{ what, v string }{{"issuer", issuer}, {"account", account}} {
		switch {
		case c.v == "":
			return "", fmt.Errorf("%w: the %s is empty", ErrInvalidLabel, c.what)
		case !utf8.ValidString(c.v):
			return "", fmt.Errorf("%w: the %s %q is not valid UTF-8", ErrInvalidLabel, c.what, c.v)
		}
	}
	digits, period := k.params()
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	b.WriteString(escapeLabel(issuer))
	b.WriteByte(':')
	b.WriteString(escapeLabel(account))
	b.WriteString("?secret=")
	b.WriteString(EncodeSecret(k.Secret))
	b.WriteString("&issuer=")
	b.WriteString(escapeQuery(issuer))
	b.WriteString("&algorithm=")
	b.WriteString(k.Algorithm.String())
	b.WriteString("&digits=")
	b.WriteString(strconv.Itoa(digits))
	b.WriteString("&period=")
	b.WriteString(strconv.FormatUint(uint64(period), 10))
	return b.String(), nil
}

// escapeQuery escapes a query value. A space becomes "%20", not
// url.QueryEscape's "+": parsers that decode query values with
// decodeURIComponent (the npm otpauth package) or Android's
// Uri.getQueryParameter keep a "+" as a plus sign. QueryEscape writes a
// literal "+" as "%2B", so every "+" it returns stands for a space.
func escapeQuery(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// escapeLabel escapes one part of the label: everything but the unreserved
// characters of RFC 3986 and "@" (kept for readable e-mail addresses, which
// RFC 3986 allows in a path) is percent-encoded. That is stricter than
// url.PathEscape, which keeps ':' (the separator), '&', '=' and '+', which
// some parsers treat specially.
func escapeLabel(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '@':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
