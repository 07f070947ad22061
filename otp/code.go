// Package otp generates one-time passwords: uniform numeric codes for
// verification by email or SMS, and HOTP/TOTP codes (RFC 4226, RFC 6238) for
// authenticator apps.
//
// This package only generates and computes codes; it stores nothing. To
// issue a numeric code to a user and check it once, with expiry, attempt
// limits and a send throttle, use package
// [github.com/unguessable/secrets/code].
package otp

import (
	"fmt"

	"github.com/unguessable/secrets"
)

// Digit limits for [Code].
const (
	MinDigits = 4
	MaxDigits = 10
)

// Code returns a numeric code of exactly digits decimal digits, zero-padded,
// uniform over all 10^digits codes: digits x log2(10) bits of entropy (19.9
// bits for 6 digits). Such a code is only safe with a short lifetime and a
// small attempt limit. Code panics if digits is outside [MinDigits, MaxDigits].
func Code(digits int) string {
	if digits < MinDigits || digits > MaxDigits {
		panic(fmt.Sprintf("otp: Code digits %d is outside [%d, %d]", digits, MinDigits, MaxDigits))
	}
	return secrets.TokenString(digits, "0123456789")
}
