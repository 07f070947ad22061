package passphrase_test

import (
	"fmt"
	"strings"

	"github.com/unguessable/secrets/passphrase"
)

func ExampleGenerate() {
	p := passphrase.Generate(6)
	fmt.Println(len(strings.Fields(p)), "words")
	// Output: 6 words
}

func ExampleNewGenerator() {
	o := passphrase.DefaultOptions()
	o.Separator = "."
	o.Case = passphrase.Title
	o.Number = true
	g := passphrase.NewGenerator(o)
	p := g.Generate()
	fmt.Println(len(strings.Split(p, ".")), "words")
	fmt.Printf("%.1f bits, exact: %v\n", g.Bits(), g.Exact())
	// Output:
	// 6 words
	// 83.5 bits, exact: true
}

func ExampleParseWordList() {
	l, err := passphrase.ParseWordList(strings.NewReader("11111\tapple\n11112\tpear\npear\nfig\n"))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d words, %.2f bits each\n", l.Len(), l.BitsPerWord())
	// Output: 3 words, 1.58 bits each
}
