package password_test

import (
	"fmt"

	"github.com/unguessable/secrets/password"
)

func ExampleGenerate() {
	p := password.Generate(20)
	fmt.Println(len(p), "characters")
	// Output: 20 characters
}

func ExampleNewGenerator() {
	o := password.DefaultOptions()
	o.Length = 12
	o.RequireEach = true
	o.NoAmbiguous = true
	g, err := password.NewGenerator(o)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(g.Generate()), "characters from", len(g.Alphabet()))
	fmt.Printf("%.2f bits (naive 12 x log2(85) = 76.92)\n", g.Bits())
	// Output:
	// 12 characters from 85
	// 76.31 bits (naive 12 x log2(85) = 76.92)
}

func ExampleNewGenerator_impossible() {
	_, err := password.NewGenerator(password.Options{Length: 3, Lower: true, Upper: true, Digits: true, Symbols: true, RequireEach: true})
	fmt.Println(err)
	// Output: password: length is shorter than the number of required classes: 3 characters cannot hold one each of 4 classes
}
