// Package weakrand defines an analyzer that reports values from math/rand or
// math/rand/v2 that reach a security sink.
//
// # Analyzer weakrand
//
// weakrand: report predictable random values used as secrets
//
// math/rand and math/rand/v2 are predictable: 624 outputs of a Mersenne
// Twister, or 607 of Go 1's math/rand generator, give away every later one
// (see package crack). That is fine for jitter, shuffling a playlist or a
// simulation, so a call to math/rand alone is not reported. What is reported
// is such a value reaching a security sink:
//
//   - a variable, field, parameter or function result whose name says it is a
//     secret (token, secret, password, passwd, passphrase, apikey, key when a
//     string or bytes, nonce, salt, otp, pin, session, csrf, reset, invite,
//     verification; see package secretname);
//   - an argument of a function or method of a crypto/... package;
//   - the Value of an http.Cookie, or a header value set on a response;
//   - a map entry whose constant key says secret (values["csrf_token"]).
//
// The value is followed through assignments, conversions, indexing
// (charset[rand.Intn(n)]), string building (fmt.Sprintf, strings.Builder,
// append, encoders), byte slices filled by Read (a buffer named as a secret
// is reported where it is filled), the results of functions of the same
// package, and function values: a math/rand function or method taken as a
// value (next := r.Int63) or a closure that returns a weak value. Generators made with rand.New are sources too, except
// a ChaCha8 generator seeded from crypto/rand, which is a cryptographically
// secure generator. Test files are not checked.
//
// A report names the source and the sink and what to use instead. A
// //secretsvet:ignore comment with a reason on the line silences it.
package weakrand

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/types/typeutil"

	"github.com/unguessable/secrets/analysis/internal/ignore"
	"github.com/unguessable/secrets/analysis/internal/secretname"
)

// Analyzer reports values from math/rand that reach a security sink.
var Analyzer = &analysis.Analyzer{
	Name: "weakrand",
	Doc:  "report values from math/rand or math/rand/v2 that become secrets (tokens, passwords, keys, cookies, crypto arguments)",
	URL:  "https://pkg.go.dev/github.com/unguessable/secrets/analysis/weakrand",
	Run:  run,
}

// origin says where a tainted value came from.
type origin struct {
	src      string // the math/rand function or method, e.g. "math/rand.Intn"
	indexed  bool   // it picked characters out of a charset
	reported bool   // already reported at an earlier sink (a function's result)
}

func isRandPkg(p *types.Package) bool {
	return p != nil && (p.Path() == "math/rand" || p.Path() == "math/rand/v2")
}

func isCryptoPkg(p *types.Package) bool {
	return p != nil && (p.Path() == "crypto" || strings.HasPrefix(p.Path(), "crypto/"))
}

// checker holds the state for one package.
type checker struct {
	pass      *analysis.Pass
	rep       *ignore.Reporter
	funcs     map[*types.Func]*origin // same-package functions that return weak values
	reporting bool
}

func run(pass *analysis.Pass) (any, error) {
	c := &checker{pass: pass, rep: ignore.NewReporter(pass), funcs: map[*types.Func]*origin{}}
	var decls []*ast.FuncDecl
	for _, f := range pass.Files {
		name := pass.Fset.File(f.Pos()).Name()
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				decls = append(decls, fd)
			}
		}
	}
	// Functions returning weak values taint their callers, which may be
	// functions themselves: iterate to a fixed point (bounded by the number
	// of functions, since each round adds at least one).
	for range len(decls) + 1 {
		changed := false
		for _, fd := range decls {
			fn, _ := pass.TypesInfo.Defs[fd.Name].(*types.Func)
			if fn == nil || c.funcs[fn] != nil {
				continue
			}
			if o := c.checkFunc(fd); o != nil {
				c.funcs[fn] = o
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	c.reporting = true
	for _, fd := range decls {
		c.checkFunc(fd)
	}
	return nil, nil
}

// fnState is the taint state of one function body, computed without regard
// to the order of statements: a variable is weak if any assignment to it is.
type fnState struct {
	c        *checker
	decl     *ast.FuncDecl
	vars     map[types.Object]*origin
	funcVals map[types.Object]*origin // variables holding functions that return weak values
	strong   map[types.Object]bool    // ChaCha8 generators seeded from crypto/rand
	seeded   map[types.Object]bool    // variables filled from crypto/rand or package secrets
	reported map[types.Object]bool
	lines    map[int]bool // lines with a report: one report a line is enough
	changed  bool
}

// checkFunc computes the taint of fd's body and, when reporting, reports the
// sinks it reaches. It returns the origin of fd's results if they are weak.
func (c *checker) checkFunc(fd *ast.FuncDecl) *origin {
	s := &fnState{c: c, decl: fd, vars: map[types.Object]*origin{}, funcVals: map[types.Object]*origin{}, strong: map[types.Object]bool{}, seeded: map[types.Object]bool{}, reported: map[types.Object]bool{}, lines: map[int]bool{}}
	s.findSeeds()
	for range 20 {
		s.changed = false
		ast.Inspect(fd.Body, s.propagate)
		if !s.changed {
			break
		}
	}
	if c.reporting {
		ast.Inspect(fd.Body, s.sinks)
	}
	var result *origin
	resultSink := s.resultIsSink()
	inspectOwn(fd.Body, func(n ast.Node) {
		ret, ok := n.(*ast.ReturnStmt)
		if !ok {
			return
		}
		for i, r := range ret.Results {
			o := s.taint(r)
			if o == nil || o.reported {
				continue
			}
			if result == nil {
				result = &origin{src: o.src, indexed: o.indexed, reported: resultSink != ""}
			}
			if obj := s.root(r); c.reporting && resultSink != "" && (obj == nil || !s.reported[obj]) {
				s.report(r.Pos(), o, resultSink, s.typeOf(ret.Results[i]))
			}
		}
	})
	if result != nil && result.src != "" && !strings.Contains(result.src, " (via ") {
		result.src += " (via " + fd.Name.Name + ")"
	}
	return result
}

// inspectOwn visits the nodes of body that belong to its own function, not
// to function literals inside it.
func inspectOwn(body ast.Node, f func(ast.Node)) {
	ast.Inspect(body, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		if n != nil {
			f(n)
		}
		return true
	})
}

// resultIsSink describes the function's result as a sink if its name, or the
// name of a result, says it is a secret; otherwise it returns "".
func (s *fnState) resultIsSink() string {
	fn, _ := s.c.pass.TypesInfo.Defs[s.decl.Name].(*types.Func)
	if fn == nil {
		return ""
	}
	res := fn.Type().(*types.Signature).Results()
	for i := range res.Len() {
		v := res.At(i)
		if v.Name() != "" && secretname.IsSecret(v.Name(), v.Type()) {
			return "result " + v.Name() + " of " + fn.Name()
		}
		if secretname.IsSecret(fn.Name(), v.Type()) {
			return "the result of " + fn.Name()
		}
	}
	return ""
}

func (s *fnState) info() *types.Info { return s.c.pass.TypesInfo }

func (s *fnState) typeOf(e ast.Expr) types.Type { return s.info().TypeOf(e) }

// root returns the variable an lvalue or argument expression is rooted in:
// b for b, b[i], b[:n], &b, *b; the field f for x.f.
func (s *fnState) root(e ast.Expr) types.Object {
	for {
		switch x := e.(type) {
		case *ast.ParenExpr:
			e = x.X
		case *ast.Ident:
			if x.Name == "_" {
				return nil
			}
			return s.info().ObjectOf(x)
		case *ast.SelectorExpr:
			if sel := s.info().Selections[x]; sel != nil && sel.Kind() == types.FieldVal {
				return sel.Obj()
			}
			return nil
		case *ast.IndexExpr:
			e = x.X
		case *ast.SliceExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.UnaryExpr:
			e = x.X
		default:
			return nil
		}
	}
}

func (s *fnState) mark(obj types.Object, o *origin) {
	if obj == nil || o == nil || s.vars[obj] != nil {
		return
	}
	s.vars[obj] = o
	s.changed = true
}

// callee returns the function or method a call calls, or nil.
func (s *fnState) callee(call *ast.CallExpr) *types.Func {
	fn, _ := typeutil.Callee(s.info(), call).(*types.Func)
	return fn
}

func funcIn(fn *types.Func, pkg, name string) bool {
	return fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == pkg && fn.Name() == name
}

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
	ast.Inspect(s.decl.Body, func(n ast.Node) bool {
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
	if o := s.c.funcs[fn]; o != nil {
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
		return &origin{src: fn.Pkg().Path() + "." + recvName(recv.Type()) + "." + fn.Name()}
	}
	if fn.Name() == "Seed" || s.isStrong(call) {
		return nil
	}
	return &origin{src: fn.Pkg().Path() + "." + fn.Name()}
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

// taint returns the origin of e's value if it is weak.
func (s *fnState) taint(e ast.Expr) *origin {
	switch x := e.(type) {
	case *ast.ParenExpr:
		return s.taint(x.X)
	case *ast.Ident:
		if obj := s.info().ObjectOf(x); obj != nil {
			return s.vars[obj]
		}
	case *ast.SelectorExpr:
		if sel := s.info().Selections[x]; sel != nil && sel.Kind() == types.FieldVal {
			if o := s.vars[sel.Obj()]; o != nil {
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
			return &origin{src: o.src, indexed: true, reported: o.reported}
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
			}
			if obj := s.root(l); obj != nil && s.isStrong(r) && !s.strong[obj] {
				s.strong[obj] = true
				s.changed = true
			}
			s.mark(s.root(l), s.taint(r))
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
			default:
				continue
			}
			obj := s.info().ObjectOf(name)
			if obj != nil && s.isStrong(r) && !s.strong[obj] {
				s.strong[obj] = true
				s.changed = true
			}
			s.mark(obj, s.taint(r))
			s.markFunc(obj, s.funcValue(r))
		}
	case *ast.RangeStmt:
		if o := s.taint(n.X); o != nil {
			if n.Key != nil {
				s.mark(s.root(n.Key), o)
			}
			if n.Value != nil {
				s.mark(s.root(n.Value), o)
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
			s.mark(s.root(call.Args[0]), s.taint(call.Args[1]))
			return
		}
	}
	if fn == nil {
		return
	}
	if obj, _, o := s.readFill(fn, call); obj != nil {
		if o != nil && s.secretBuffer(obj) {
			// Reported where it is filled (see sinks), and only there.
			o = &origin{src: o.src, indexed: o.indexed, reported: true}
		}
		s.mark(obj, o)
		return
	}
	// A method given a weak value makes its receiver weak:
	// sb.WriteByte(charset[rand.Intn(n)]), buf.Write(b).
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || isRandPkg(fn.Pkg()) || isCryptoPkg(fn.Pkg()) {
		return
	}
	if _, isMethod := s.info().Selections[sel]; !isMethod {
		return
	}
	for _, a := range call.Args {
		if o := s.taint(a); o != nil {
			s.mark(s.root(sel.X), o)
			return
		}
	}
}

// sinks reports weak values reaching security sinks in one node.
func (s *fnState) sinks(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.AssignStmt:
		for i, l := range n.Lhs {
			r := n.Rhs[0]
			if len(n.Rhs) == len(n.Lhs) {
				r = n.Rhs[i]
			}
			s.assignSink(l, r)
		}
	case *ast.ValueSpec:
		for i, name := range n.Names {
			if len(n.Values) == len(n.Names) {
				s.assignSink(name, n.Values[i])
			}
		}
	case *ast.CompositeLit:
		s.literalSink(n)
	case *ast.CallExpr:
		if obj, buf, o := s.readFill(s.callee(n), n); obj != nil {
			if o != nil && !o.reported && s.secretBuffer(obj) && !s.reported[obj] {
				s.reported[obj] = true
				s.report(buf.Pos(), o, "variable "+obj.Name(), obj.Type())
			}
			return true
		}
		s.callSink(n)
	}
	return true
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
			return s.funcVals[obj]
		}
	case *ast.SelectorExpr:
		sel := s.info().Selections[x]
		switch {
		case sel == nil: // a qualified identifier: rand.Int63
			if fn, ok := s.info().Uses[x.Sel].(*types.Func); ok {
				return s.funcOrigin(fn)
			}
		case sel.Kind() == types.MethodVal:
			fn, _ := sel.Obj().(*types.Func)
			if fn != nil && isRandPkg(fn.Pkg()) && !s.isStrong(x.X) {
				return &origin{src: qualified(fn)}
			}
		}
	}
	return nil
}

func (s *fnState) funcOrigin(fn *types.Func) *origin {
	if o := s.c.funcs[fn]; o != nil {
		return o
	}
	if isRandPkg(fn.Pkg()) && fn.Type().(*types.Signature).Recv() == nil && fn.Name() != "Seed" && !strings.HasPrefix(fn.Name(), "New") {
		return &origin{src: qualified(fn)}
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
			return s.funcVals[v]
		}
	}
	return nil
}

func (s *fnState) assignSink(l, r ast.Expr) {
	o := s.taint(r)
	if o == nil || o.reported {
		return
	}
	if key, ok := s.secretMapKey(l, r); ok {
		s.report(l.Pos(), o, fmt.Sprintf("map entry %q", key), s.typeOf(r))
		return
	}
	obj := s.root(l)
	if obj == nil || s.reported[obj] {
		return
	}
	if v, ok := obj.(*types.Var); ok && v.IsField() && obj.Name() == "Value" && isCookie(fieldOwner(s.info(), l)) {
		s.reported[obj] = true
		s.report(l.Pos(), o, "http.Cookie Value", obj.Type())
		return
	}
	name := obj.Name()
	if !secretname.IsSecret(name, s.typeOf(l)) && !secretname.IsSecret(name, obj.Type()) {
		return
	}
	s.reported[obj] = true
	kind := "variable "
	if v, ok := obj.(*types.Var); ok && v.IsField() {
		kind = "field "
	}
	s.report(l.Pos(), o, kind+name, obj.Type())
}

// secretMapKey reports whether l is m["key"] for a map m and a constant key
// that names a secret, as session stores are written:
// session.Values["csrf_token"] = v.
func (s *fnState) secretMapKey(l, r ast.Expr) (string, bool) {
	ix, ok := ast.Unparen(l).(*ast.IndexExpr)
	if !ok {
		return "", false
	}
	if _, ok := s.typeOf(ix.X).Underlying().(*types.Map); !ok {
		return "", false
	}
	tv, ok := s.info().Types[ix.Index]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", false
	}
	key := constant.StringVal(tv.Value)
	return key, secretname.IsSecret(strings.ReplaceAll(key, "-", "_"), s.typeOf(r))
}

// fieldOwner returns the type of x in an lvalue x.f.
func fieldOwner(info *types.Info, l ast.Expr) types.Type {
	if sel, ok := ast.Unparen(l).(*ast.SelectorExpr); ok {
		return info.TypeOf(sel.X)
	}
	return nil
}

func isCookie(t types.Type) bool {
	if t == nil {
		return false
	}
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "net/http" && n.Obj().Name() == "Cookie"
}

func (s *fnState) literalSink(lit *ast.CompositeLit) {
	t := s.typeOf(lit)
	if t == nil {
		return
	}
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return
	}
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		key, ok := kv.Key.(*ast.Ident)
		if !ok {
			continue
		}
		o := s.taint(kv.Value)
		if o == nil || o.reported {
			continue
		}
		for i := range st.NumFields() {
			f := st.Field(i)
			if f.Name() != key.Name {
				continue
			}
			switch {
			case isCookie(t) && f.Name() == "Value":
				s.report(kv.Value.Pos(), o, "http.Cookie Value", f.Type())
			case secretname.IsSecret(f.Name(), f.Type()):
				s.report(kv.Value.Pos(), o, "field "+f.Name(), f.Type())
			}
		}
	}
}

func (s *fnState) callSink(call *ast.CallExpr) {
	fn := s.callee(call)
	if fn == nil || isRandPkg(fn.Pkg()) {
		return
	}
	sig := fn.Type().(*types.Signature)
	if isHeaderSet(s.info(), fn, call) && len(call.Args) == 2 {
		if o := s.taint(call.Args[1]); o != nil && !o.reported && secretHeader(s.info(), call.Args[0]) {
			s.report(call.Args[1].Pos(), o, "response header "+headerName(s.info(), call.Args[0]), s.typeOf(call.Args[1]))
		}
		return
	}
	params := sig.Params()
	for i, a := range call.Args {
		o := s.taint(a)
		if o == nil || o.reported {
			continue
		}
		if isCryptoPkg(fn.Pkg()) {
			s.report(a.Pos(), o, "an argument of "+qualified(fn), s.typeOf(a))
			return
		}
		if params.Len() == 0 {
			return
		}
		pi := min(i, params.Len()-1)
		p := params.At(pi)
		pt := p.Type()
		if sig.Variadic() && pi == params.Len()-1 {
			if sl, ok := pt.(*types.Slice); ok && !call.Ellipsis.IsValid() {
				pt = sl.Elem()
			}
		}
		if p.Name() != "" && secretname.IsSecret(p.Name(), pt) {
			s.report(a.Pos(), o, "parameter "+p.Name()+" of "+fn.Name(), pt)
		}
	}
}

func qualified(fn *types.Func) string {
	sig := fn.Type().(*types.Signature)
	if r := sig.Recv(); r != nil {
		return fn.Pkg().Path() + "." + recvName(r.Type()) + "." + fn.Name()
	}
	return fn.Pkg().Path() + "." + fn.Name()
}

// isHeaderSet reports whether call is w.Header().Set or .Add on a response.
func isHeaderSet(info *types.Info, fn *types.Func, call *ast.CallExpr) bool {
	if fn.Pkg() == nil || fn.Pkg().Path() != "net/http" || (fn.Name() != "Set" && fn.Name() != "Add") {
		return false
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	hdr, ok := ast.Unparen(sel.X).(*ast.CallExpr)
	if !ok {
		return false
	}
	hsel, ok := ast.Unparen(hdr.Fun).(*ast.SelectorExpr)
	if !ok || hsel.Sel.Name != "Header" {
		return false
	}
	return isResponseWriter(info.TypeOf(hsel.X), fn.Pkg())
}

func isResponseWriter(t types.Type, httpPkg *types.Package) bool {
	if t == nil {
		return false
	}
	rw, ok := httpPkg.Scope().Lookup("ResponseWriter").(*types.TypeName)
	if !ok {
		return false
	}
	iface, ok := rw.Type().Underlying().(*types.Interface)
	return ok && types.Implements(t, iface)
}

// secretHeader reports whether a response header named by e carries a
// credential: its name says secret (X-CSRF-Token, X-Api-Key), it is
// Authorization or Set-Cookie, or the name is not a constant. Retry-After
// and other plain headers may carry plain random values.
func secretHeader(info *types.Info, e ast.Expr) bool {
	name := headerName(info, e)
	if name == "value" {
		return true
	}
	lower := strings.ToLower(name)
	if lower == "authorization" || lower == "set-cookie" || lower == "www-authenticate" || strings.Contains(lower, "auth") {
		return true
	}
	return secretname.IsSecret(strings.ReplaceAll(name, "-", "_"), types.Typ[types.String])
}

func headerName(info *types.Info, e ast.Expr) string {
	if tv, ok := info.Types[e]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
		return constant.StringVal(tv.Value)
	}
	return "value"
}

// report reports o reaching sink at pos; t is the sink's type, which picks
// the replacement to suggest.
func (s *fnState) report(pos token.Pos, o *origin, sink string, t types.Type) {
	line := s.c.pass.Fset.Position(pos).Line
	if s.lines[line] {
		return
	}
	s.lines[line] = true
	s.c.rep.Reportf(pos, "weak random value from %s reaches %s: math/rand is predictable from its outputs; use %s", o.src, sink, replacement(o, t))
}

func replacement(o *origin, t types.Type) string {
	if t != nil {
		if b, ok := t.Underlying().(*types.Basic); ok && b.Info()&types.IsInteger != 0 {
			return "secrets.RandBelow"
		}
		if _, ok := t.Underlying().(*types.Slice); ok {
			return "secrets.TokenBytes"
		}
	}
	if o.indexed {
		return "secrets.TokenString"
	}
	if bounded(o.src) {
		// A bounded integer written out as a string is a numeric code:
		// fmt.Sprintf("%06d", rand.Intn(1e6)).
		return "secrets.RandBelow"
	}
	return "secrets.TokenURLSafe"
}

// bounded reports whether src, such as "math/rand.Intn (via f)", draws an
// integer below a bound.
func bounded(src string) bool {
	src, _, _ = strings.Cut(src, " ")
	switch src[strings.LastIndex(src, ".")+1:] {
	case "Intn", "Int31n", "Int63n", "IntN", "Int32N", "Int64N", "UintN", "Uint32N", "Uint64N", "N":
		return true
	}
	return false
}
