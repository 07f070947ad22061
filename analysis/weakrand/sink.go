package weakrand

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/types"
	"strings"

	"github.com/unguessable/secrets/analysis/internal/secretname"
)

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
	if v, ok := obj.(*types.Var); ok && isDNSID(v) {
		s.reported[obj] = true
		s.report(l.Pos(), o, "DNS message id "+obj.Name(), obj.Type())
		return
	}
	name := obj.Name()
	if !secretname.IsSecret(name, s.typeOf(l)) && !secretname.IsSecret(name, obj.Type()) {
		return
	}
	if secretname.KeyOnly(name, obj.Type()) && isStringArg(obj.Type()) {
		return // a string that is a secret only by the word key is a lookup key
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

// isDNSID reports whether v is the 16-bit id field of a DNS message
// header (github.com/miekg/dns's MsgHdr.Id, dnsmessage.Header.ID): a
// resolver accepts the first answer whose id and port match, so a
// predictable id lets an off-path attacker forge answers (RFC 5452).
func isDNSID(v *types.Var) bool {
	if !v.IsField() || (v.Name() != "Id" && v.Name() != "ID") || v.Pkg() == nil {
		return false
	}
	if b, ok := v.Type().Underlying().(*types.Basic); !ok || b.Kind() != types.Uint16 {
		return false
	}
	switch v.Pkg().Path() {
	case "github.com/miekg/dns", "codeberg.org/miekg/dns", "golang.org/x/net/dns/dnsmessage":
		return true
	}
	return false
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
			case isDNSID(f):
				s.report(kv.Value.Pos(), o, "DNS message id "+f.Name(), f.Type())
			case secretname.IsSecret(f.Name(), f.Type()) && !s.publishedBeside(lit, kv) && !(secretname.KeyOnly(f.Name(), f.Type()) && isStringArg(f.Type())):
				s.report(kv.Value.Pos(), o, "field "+f.Name(), f.Type())
			}
		}
	}
}

// publishedBeside reports whether the variable that kv's value comes from
// also fills a field of lit whose name says nothing secret: nats-server's
// User{Username: uname, Password: uname[6:]} makes a password out of a
// name it hands out, which is no secret whatever generator made it.
func (s *fnState) publishedBeside(lit *ast.CompositeLit, kv *ast.KeyValueExpr) bool {
	src := s.root(kv.Value)
	if src == nil {
		return false
	}
	for _, el := range lit.Elts {
		other, ok := el.(*ast.KeyValueExpr)
		if !ok || other == kv {
			continue
		}
		name, ok := other.Key.(*ast.Ident)
		if ok && s.root(other.Value) == src && !secretname.IsSecret(name.Name, s.typeOf(other.Value)) {
			return true
		}
	}
	return false
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
			// A string argument of a crypto function is an address, a
			// host or a name (tls.Dial(network, addr, config)), not key
			// material, which crypto APIs take as bytes, readers or
			// integers.
			if !isStringArg(s.typeOf(a)) {
				s.report(a.Pos(), o, "an argument of "+qualified(fn), s.typeOf(a))
				return
			}
			continue
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
		// A string parameter that is a secret only by the word key
		// (GetByKey(key string)) is a lookup key: a shard, a map entry.
		if p.Name() != "" && secretname.IsSecret(p.Name(), pt) && !(secretname.KeyOnly(p.Name(), pt) && isStringArg(pt)) {
			s.report(a.Pos(), o, "parameter "+p.Name()+" of "+fn.Name(), pt)
		} else if sink := s.c.paramSink(fn, pi); sink != "" {
			s.report(a.Pos(), o, sink+" through "+s.c.funcName(fn), pt)
		}
	}
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

// isStringArg reports whether t is a string type.
func isStringArg(t types.Type) bool {
	if t == nil {
		return false
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}
