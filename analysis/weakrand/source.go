package weakrand

import (
	"go/ast"
	"go/types"
)

// findSeeds records the variables filled from crypto/rand or package secrets:
// seeds that make a ChaCha8 generator as strong as crypto/rand.
func (s *fnState) findSeeds() {
	fromCrypto := func(e ast.Expr) bool {
		found := false
		ast.Inspect(e, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if fn := s.callee(call); fn != nil && fn.Pkg() != nil {
					p := fn.Pkg().Path()
					if p == "crypto/rand" || p == "github.com/unguessable/secrets" {
						found = true
					}
				}
			}
			return !found
		})
		return found
	}
	ast.Inspect(s.unit.body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			fn := s.callee(n)
			switch {
			case funcIn(fn, "crypto/rand", "Read") && len(n.Args) == 1:
				s.seeded[s.root(n.Args[0])] = true
			case funcIn(fn, "io", "ReadFull") && len(n.Args) == 2 && isCryptoReader(s.info(), n.Args[0]):
				s.seeded[s.root(n.Args[1])] = true
			}
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if i < len(n.Rhs) && fromCrypto(n.Rhs[i]) {
					s.seeded[s.root(l)] = true
				}
			}
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if i < len(n.Values) && fromCrypto(n.Values[i]) {
					s.seeded[s.info().ObjectOf(name)] = true
				}
			}
		}
		return true
	})
	delete(s.seeded, nil)
}

func isCryptoReader(info *types.Info, e ast.Expr) bool {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	v, ok := info.ObjectOf(sel.Sel).(*types.Var)
	return ok && v.Pkg() != nil && v.Pkg().Path() == "crypto/rand" && v.Name() == "Reader"
}

// isStrong reports whether e is a ChaCha8 generator (or a rand.Rand over
// one) seeded from crypto/rand.
func (s *fnState) isStrong(e ast.Expr) bool {
	switch x := ast.Unparen(e).(type) {
	case *ast.Ident:
		return s.strong[s.info().ObjectOf(x)]
	case *ast.UnaryExpr:
		return s.isStrong(x.X)
	case *ast.CallExpr:
		fn := s.callee(x)
		switch {
		case funcIn(fn, "math/rand/v2", "NewChaCha8") && len(x.Args) == 1:
			return s.seeded[s.root(x.Args[0])]
		case funcIn(fn, "math/rand/v2", "New") && len(x.Args) == 1:
			return s.isStrong(x.Args[0])
		}
	}
	return false
}

// source reports whether call produces a weak random value and names it.
func (s *fnState) source(call *ast.CallExpr) *origin {
	fn := s.callee(call)
	if fn == nil {
		return nil
	}
	if o := s.c.weakFunc(fn); o != nil {
		return o
	}
	if !isRandPkg(fn.Pkg()) {
		return nil
	}
	sig := fn.Type().(*types.Signature)
	if recv := sig.Recv(); recv != nil {
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if ok && s.isStrong(sel.X) {
			return nil
		}
		return randOrigin(fn)
	}
	if fn.Name() == "Seed" || s.isStrong(call) {
		return nil
	}
	return randOrigin(fn)
}
