package weakrand

import (
	"go/types"
	"strings"
)

// origin says where a tainted value came from: the math/rand function or
// method that drew it and, when it came out of another function's result,
// that function.
type origin struct {
	pkg      string // "math/rand" or "math/rand/v2"
	recv     string // the generator type of a method ("Rand", "ChaCha8"); "" for a function
	name     string // the function or method: "Intn", "Int63"
	via      string // the function whose result carried the value, if any
	indexed  bool   // it picked characters out of a charset
	reported bool   // already reported at an earlier sink (a function's result)
	param    int    // while summarizing a function: 1 + the index of the parameter it is
}

// randOrigin is the origin of a value drawn by fn, a function or method of
// math/rand or math/rand/v2.
func randOrigin(fn *types.Func) *origin {
	o := &origin{pkg: fn.Pkg().Path(), name: fn.Name()}
	if recv := fn.Type().(*types.Signature).Recv(); recv != nil {
		o.recv = recvName(recv.Type())
	}
	return o
}

// String names the source as reports show it: "math/rand.Intn",
// "math/rand/v2.ChaCha8.Uint64", "math/rand.Int63 (via genToken)".
func (o *origin) String() string {
	s := o.pkg + "."
	if o.recv != "" {
		s += o.recv + "."
	}
	s += o.name
	if o.via != "" {
		s += " (via " + o.via + ")"
	}
	return s
}

// with returns a copy of o with indexed and reported set as given.
func (o *origin) with(indexed, reported bool) *origin {
	c := *o
	c.indexed, c.reported = indexed, reported
	return &c
}

// bounded reports whether the value is an integer drawn below a bound.
func (o *origin) bounded() bool {
	switch o.name {
	case "Intn", "Int31n", "Int63n", "IntN", "Int32N", "Int64N", "UintN", "Uint32N", "Uint64N", "N":
		return true
	}
	return false
}

func isRandPkg(p *types.Package) bool {
	return p != nil && (p.Path() == "math/rand" || p.Path() == "math/rand/v2")
}

func isCryptoPkg(p *types.Package) bool {
	return p != nil && (p.Path() == "crypto" || strings.HasPrefix(p.Path(), "crypto/"))
}

func recvName(t types.Type) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := t.(*types.Named); ok {
		return n.Obj().Name()
	}
	return t.String()
}

func qualified(fn *types.Func) string {
	sig := fn.Type().(*types.Signature)
	if r := sig.Recv(); r != nil {
		return fn.Pkg().Path() + "." + recvName(r.Type()) + "." + fn.Name()
	}
	return fn.Pkg().Path() + "." + fn.Name()
}
