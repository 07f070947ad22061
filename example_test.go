package secrets_test

import (
	"fmt"
	"math/big"
	"regexp"

	"github.com/unguessable/secrets"
)

func ExampleTokenURLSafe() {
	// A password-reset token for a URL: 32 random bytes, 256 bits.
	tok := secrets.TokenURLSafe(secrets.DefaultEntropy)
	fmt.Println(len(tok), regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(tok))
	// Output: 43 true
}

func ExampleTokenHex() {
	tok := secrets.TokenHex(16) // 128 bits
	fmt.Println(len(tok))
	// Output: 32
}

func ExampleTokenString() {
	// A 22-character base62 string carries 22 x log2(62) = 131 bits.
	const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	s := secrets.TokenString(22, base62)
	fmt.Println(len(s))
	// Output: 22
}

func ExampleRandBelow() {
	roll := secrets.RandBelow(6) + 1
	fmt.Println(roll >= 1 && roll <= 6)
	// Output: true
}

func ExampleRandBelowBig() {
	n, _ := new(big.Int).SetString("340282366920938463463374607431768211456", 10) // 2^128
	v := secrets.RandBelowBig(n)
	fmt.Println(v.Sign() >= 0 && v.Cmp(n) < 0)
	// Output: true
}

func ExampleCompareDigest() {
	stored := []byte("2f1c...digest of the issued token")
	presented := []byte("2f1c...digest of the issued token")
	fmt.Println(secrets.CompareDigest(stored, presented))
	// Output: true
}

func ExampleChoice() {
	colour := secrets.Choice([]string{"red", "green", "blue"})
	fmt.Println(colour == "red" || colour == "green" || colour == "blue")
	// Output: true
}

func ExampleSample() {
	winners := secrets.Sample([]string{"ann", "bob", "cy", "di", "ed"}, 2)
	fmt.Println(len(winners), winners[0] != winners[1])
	// Output: 2 true
}
