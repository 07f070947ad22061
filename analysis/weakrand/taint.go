package weakrand

import (
	"go/ast"
	"go/types"
	"strings"

	"github.com/unguessable/secrets/analysis/internal/secretname"
)

// taint returns the origin of e's value if it is weak.
func (s *fnState) taint(e ast.Expr) *origin {
	switch x := e.(type) {
	case *ast.ParenExpr:
		return s.taint(x.X)
	case *ast.Ident:
		if obj := s.info().ObjectOf(x); obj != nil {
			return s.weakAt(obj, x.Pos())
		}
	case *ast.SelectorExpr:
		if sel := s.info().Selections[x]; sel != nil && sel.Kind() == types.FieldVal {
			if o := s.weakAt(sel.Obj(), x.Pos()); o != nil {
				return o
			}
			return s.taint(x.X)
		}
	case *ast.CallExpr:
		return s.callTaint(x)
	case *ast.BinaryExpr:
		if o := s.taint(x.X); o != nil {
			return o
		}
		return s.taint(x.Y)
	case *ast.UnaryExpr:
		return s.taint(x.X)
	case *ast.StarExpr:
		return s.taint(x.X)
	case *ast.IndexExpr:
		if o := s.taint(x.Index); o != nil {
			return o.with(true, o.reported)
		}
		return s.taint(x.X)
	case *ast.SliceExpr:
		return s.taint(x.X)
	case *ast.TypeAssertExpr:
		return s.taint(x.X)
	case *ast.KeyValueExpr:
		return s.taint(x.Value)
	case *ast.CompositeLit:
		for _, el := range x.Elts {
			if o := s.taint(el); o != nil {
				return o
			}
		}
	}
	return nil
}

func (s *fnState) callTaint(call *ast.CallExpr) *origin {
	if tv, ok := s.info().Types[call.Fun]; ok && tv.IsType() {
		if len(call.Args) == 1 {
			return s.taint(call.Args[0]) // a conversion
		}
		return nil
	}
	if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok {
		if _, ok := s.info().Uses[id].(*types.Builtin); ok {
			if id.Name != "append" {
				return nil // len, cap, copy, min, max of lengths…
			}
		}
	}
	if o := s.source(call); o != nil {
		return o
	}
	if o := s.calledValue(call.Fun); o != nil {
		return o
	}
	// A crypto function is a sink: its result (a cipher, a ciphertext, a
	// MAC) is not itself a weak random value, so the report stays at the sink.
	if fn := s.callee(call); fn != nil && isCryptoPkg(fn.Pkg()) {
		return nil
	}
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
		if _, isMethod := s.info().Selections[sel]; isMethod {
			if o := s.taint(sel.X); o != nil {
				return o
			}
		}
	}
	for _, a := range call.Args {
		if o := s.taint(a); o != nil {
			return o
		}
	}
	return nil
}

// propagate spreads taint over one node: assignments, ranges, and calls
// that fill their arguments or receivers.
func (s *fnState) propagate(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.AssignStmt:
		for i, l := range n.Lhs {
			r := n.Rhs[0]
			if len(n.Rhs) == len(n.Lhs) {
				r = n.Rhs[i]
			} else if !s.tupleHolds(l, r) {
				continue
			}
			if obj := s.root(l); obj != nil && s.isStrong(r) && !s.strong[obj] {
				s.strong[obj] = true
				s.changed = true
			}
			s.mark(s.root(l), s.taint(r), n.Pos())
			s.markFunc(s.root(l), s.funcValue(r))
		}
	case *ast.ValueSpec:
		for i, name := range n.Names {
			var r ast.Expr
			switch {
			case len(n.Values) == len(n.Names):
				r = n.Values[i]
			case len(n.Values) == 1:
				r = n.Values[0]
				if len(n.Names) > 1 && !s.tupleHolds(name, r) {
					continue
				}
			default:
				continue
			}
			obj := s.info().ObjectOf(name)
			if obj != nil && s.isStrong(r) && !s.strong[obj] {
				s.strong[obj] = true
				s.changed = true
			}
			s.mark(obj, s.taint(r), n.Pos())
			s.markFunc(obj, s.funcValue(r))
		}
	case *ast.RangeStmt:
		if o := s.taint(n.X); o != nil {
			if n.Key != nil {
				s.mark(s.root(n.Key), o, n.Pos())
			}
			if n.Value != nil {
				s.mark(s.root(n.Value), o, n.Pos())
			}
		}
	case *ast.CallExpr:
		s.propagateCall(n)
	}
	return true
}

func (s *fnState) propagateCall(call *ast.CallExpr) {
	fn := s.callee(call)
	if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok && id.Name == "copy" && len(call.Args) == 2 {
		if _, ok := s.info().Uses[id].(*types.Builtin); ok {
			s.mark(s.root(call.Args[0]), s.taint(call.Args[1]), call.Pos())
			return
		}
	}
	if fn == nil {
		return
	}
	if obj, _, o := s.readFill(fn, call); obj != nil {
		if o != nil && s.secretBuffer(obj) {
			// Reported where it is filled (see sinks), and only there.
			o = o.with(o.indexed, true)
		}
		s.mark(obj, o, call.Pos())
		return
	}
	// A method that writes or stores a weak value makes its receiver weak
	// from the call on: sb.WriteByte(charset[rand.Intn(n)]), buf.Write(b),
	// values.Set("state", s). Any other method (peer.SetDelay(jitter))
	// leaves its receiver alone.
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || isRandPkg(fn.Pkg()) || isCryptoPkg(fn.Pkg()) || !storesArgument(fn.Name()) {
		return
	}
	if _, isMethod := s.info().Selections[sel]; !isMethod {
		return
	}
	for _, a := range call.Args {
		if o := s.taint(a); o != nil {
			s.mark(s.root(sel.X), o, call.Pos())
			return
		}
	}
}

// storesArgument reports whether a method of this name keeps what it is
// given in its receiver: Write, WriteString, WriteByte, Append…, and the
// container methods Add, Set, Put, Store, Push, Insert.
func storesArgument(name string) bool {
	switch name {
	case "Add", "Set", "Put", "Store", "Push", "Insert":
		return true
	}
	return strings.HasPrefix(name, "Write") || strings.HasPrefix(name, "Append")
}

// tupleHolds reports whether l, assigned one of the results of r (a call,
// a map index, a type assertion, a receive), can take a weak value from
// it: an error or a bool (ok) cannot, nor can the count that a Read into a
// buffer returns (n, err := rand.Read(key): the buffer is what is weak).
func (s *fnState) tupleHolds(l, r ast.Expr) bool {
	if call, ok := ast.Unparen(r).(*ast.CallExpr); ok {
		if obj, _, _ := s.readFill(s.callee(call), call); obj != nil {
			return false
		}
	}
	t := s.typeOf(l)
	if t == nil {
		return true // the blank identifier
	}
	if types.Identical(t, types.Universe.Lookup("error").Type()) {
		return false
	}
	b, ok := t.Underlying().(*types.Basic)
	return !ok || b.Info()&types.IsBoolean == 0
}

// readFill recognises Read(buf) on a math/rand generator and io.ReadFull(r,
// buf): it returns buf's variable, buf, and the origin of the bytes that
// fill it (nil if they are not weak). obj is nil for any other call.
func (s *fnState) readFill(fn *types.Func, call *ast.CallExpr) (obj types.Object, buf ast.Expr, o *origin) {
	switch {
	case fn == nil:
	case fn.Name() == "Read" && isRandPkg(fn.Pkg()) && len(call.Args) == 1:
		buf, o = call.Args[0], s.source(call)
	case funcIn(fn, "io", "ReadFull") && len(call.Args) == 2:
		buf, o = call.Args[1], s.taint(call.Args[0])
	default:
		return nil, nil, nil
	}
	if obj = s.root(buf); obj == nil {
		return nil, nil, nil
	}
	return obj, buf, o
}

// secretBuffer reports whether a buffer filled by Read is named as a secret
// (key, salt, nonce, token…): the fill is then the sink.
func (s *fnState) secretBuffer(obj types.Object) bool {
	return secretname.IsSecret(obj.Name(), obj.Type())
}
