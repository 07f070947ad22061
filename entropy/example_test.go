package entropy_test

import (
	"fmt"

	"github.com/unguessable/secrets/entropy"
)

func ExampleFromBits() {
	e := entropy.FromBits(entropy.Bytes(16), entropy.OfflineRate)
	fmt.Printf("%.0f bits, %s guesses, %s\n", e.Bits, entropy.Scientific(e.GuessesLog10), entropy.Duration(e.SecondsLog10()))
	// Output: 128 bits, 1.7 x 10^38 guesses, 5.4 x 10^18 years
}

func ExampleWords() {
	fmt.Printf("%.1f bits\n", entropy.Words(6, 7776))
	// Output: 77.5 bits
}

func ExamplePassword() {
	s := entropy.Password("password1", nil)
	fmt.Println("score", s.Score)
	fmt.Println(s.Why[0])
	// Output:
	// score 0
	// characters 1-9: a common password (in the top 1000)
}
