package apikey_test

import (
	"errors"
	"fmt"

	"github.com/unguessable/secrets/apikey"
)

func Example() {
	key := apikey.New("sk_live_")
	p, err := apikey.Parse(key)
	fmt.Println(len(key), p.Prefix, len(p.Body), err)

	// A single typo is caught by the checksum, with no database lookup.
	typo := []byte(key)
	if typo[20] == 'x' {
		typo[20] = 'y'
	} else {
		typo[20] = 'x'
	}
	_, err = apikey.Parse(string(typo))
	fmt.Println(errors.Is(err, apikey.ErrChecksum))

	// Store the hash, show the redacted form.
	fmt.Println(len(apikey.Hash(key)), len([]rune(apikey.Redact(key))))
	// Output:
	// 57 sk_live_ 43 <nil>
	// true
	// 64 13
}
