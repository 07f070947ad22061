package otp_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/unguessable/secrets/otp"
)

func ExampleCode() {
	code := otp.Code(6)
	fmt.Println(len(code), "digits")
	// Output: 6 digits
}

func ExampleNewTOTP() {
	k := otp.NewTOTP()
	uri, err := k.URI("Example", "alice@example.com")
	if err != nil {
		panic(err)
	}
	now := time.Now()
	fmt.Println(len(otp.EncodeSecret(k.Secret)), "base32 characters")
	fmt.Println(strings.HasPrefix(uri, "otpauth://totp/Example:alice@example.com?"))
	fmt.Println(k.Verify(k.Code(now), now))
	// Output:
	// 32 base32 characters
	// true
	// true
}

func ExampleHOTP() {
	// RFC 4226 appendix D, counter 0. A published test key, not a secret.
	fmt.Println(otp.HOTP([]byte("12345678901234567890"), 0, 6, otp.SHA1))
	// Output: 755224
}
