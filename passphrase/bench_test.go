package passphrase_test

import (
	"testing"

	"github.com/unguessable/secrets/passphrase"
)

func BenchmarkGenerate6(b *testing.B) {
	for b.Loop() {
		passphrase.Generate(6)
	}
}

func BenchmarkGeneratorAppend6RandomCase(b *testing.B) {
	o := passphrase.DefaultOptions()
	o.Case = passphrase.Random
	g := passphrase.NewGenerator(o)
	var buf []byte
	for b.Loop() {
		buf = g.Append(buf[:0])
	}
}
