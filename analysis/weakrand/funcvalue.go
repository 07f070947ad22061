package weakrand

import (
	"go/ast"
	"go/types"
	"strings"
)

func (s *fnState) markFunc(obj types.Object, o *origin) {
	if obj == nil || o == nil || s.funcVals[obj] != nil {
		return
	}
	s.funcVals[obj] = o
	s.changed = true
}

// funcValue returns the origin of the values a function value returns when
// called, if they are weak: a math/rand function or a generator's method
// taken as a value (f := rand.Int63, next := r.Uint64), a same-package
// function that returns weak values, a closure that returns them, or a
// variable holding any of these.
func (s *fnState) funcValue(e ast.Expr) *origin {
	switch x := ast.Unparen(e).(type) {
	case *ast.FuncLit:
		var o *origin
		inspectOwn(x.Body, func(n ast.Node) {
			if ret, ok := n.(*ast.ReturnStmt); ok && o == nil {
				for _, r := range ret.Results {
					if o = s.taint(r); o != nil {
						return
					}
				}
			}
		})
		return o
	case *ast.Ident:
		switch obj := s.info().ObjectOf(x).(type) {
		case *types.Func:
			return s.funcOrigin(obj)
		case *types.Var:
			return s.varFunc(obj)
		}
	case *ast.SelectorExpr:
		sel := s.info().Selections[x]
		switch {
		case sel == nil: // a qualified identifier: rand.Int63, util.SetState
			switch obj := s.info().Uses[x.Sel].(type) {
			case *types.Func:
				return s.funcOrigin(obj)
			case *types.Var:
				return s.varFunc(obj)
			}
		case sel.Kind() == types.MethodVal:
			fn, _ := sel.Obj().(*types.Func)
			if fn != nil && isRandPkg(fn.Pkg()) && !s.isStrong(x.X) {
				return randOrigin(fn)
			}
			if fn != nil {
				return s.c.weakFunc(fn)
			}
		}
	}
	return nil
}

func (s *fnState) funcOrigin(fn *types.Func) *origin {
	if o := s.c.weakFunc(fn); o != nil {
		return o
	}
	if isRandPkg(fn.Pkg()) && fn.Type().(*types.Signature).Recv() == nil && fn.Name() != "Seed" && !strings.HasPrefix(fn.Name(), "New") {
		return randOrigin(fn)
	}
	return nil
}

// calledValue returns the origin of a call's result when what it calls is a
// function value (a variable, a closure written in place) that returns weak
// values.
func (s *fnState) calledValue(fun ast.Expr) *origin {
	switch x := ast.Unparen(fun).(type) {
	case *ast.FuncLit:
		return s.funcValue(x)
	case *ast.Ident:
		if v, ok := s.info().ObjectOf(x).(*types.Var); ok {
			return s.varFunc(v)
		}
	case *ast.SelectorExpr:
		if v, ok := s.info().Uses[x.Sel].(*types.Var); ok && s.info().Selections[x] == nil {
			return s.varFunc(v) // util.SetState(…)
		}
	}
	return nil
}

// varFunc returns the origin of the values returned by the function that
// variable v holds, if they are weak: a local variable assigned in this
// body, or a package-level one, of this package or another.
func (s *fnState) varFunc(v *types.Var) *origin {
	if o := s.funcVals[v]; o != nil {
		return o
	}
	return s.c.weakFunc(v)
}
