package password_test

import (
	"testing"

	"github.com/unguessable/secrets/password"
)

// The cost of --require-each is the rejected candidates: 1/AcceptRate
// candidates per password.
func benchmarkGenerate(b *testing.B, length int, require bool) {
	o := password.DefaultOptions()
	o.Length, o.RequireEach = length, require
	g, err := password.NewGenerator(o)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		g.Generate()
	}
	b.ReportMetric(1/g.AcceptRate(), "candidates/op")
}

func BenchmarkGenerate20(b *testing.B)            { benchmarkGenerate(b, 20, false) }
func BenchmarkGenerate20RequireEach(b *testing.B) { benchmarkGenerate(b, 20, true) }
func BenchmarkGenerate8(b *testing.B)             { benchmarkGenerate(b, 8, false) }
func BenchmarkGenerate8RequireEach(b *testing.B)  { benchmarkGenerate(b, 8, true) }
