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
//   - a map entry whose constant key says secret (values["csrf_token"]);
//   - the 16-bit id of a DNS message (github.com/miekg/dns's MsgHdr.Id,
//     dnsmessage.Header.ID), which an off-path attacker must not predict.
//
// Not sinks: a string argument of a crypto function (an address or a name:
// tls.Dial(network, addr, config)), a string parameter or variable that is
// a secret only by the word key (a lookup key: GetByKey(key string)), a
// secret field filled from the same variable as a field the same literal
// hands out (User{Username: uname, Password: uname[6:]}). A value held in
// a variable named as a reply subject, an inbox or a route is not weak: a
// routing name, which anyone on the bus sees.
//
// The value is followed through assignments, conversions, indexing
// (charset[rand.Intn(n)]), string building (fmt.Sprintf, strings.Builder,
// append, encoders), byte slices filled by Read (a buffer named as a secret
// is reported where it is filled), the results of functions, and function
// values: a math/rand function or method taken as a value (next :=
// r.Int63), a closure that returns a weak value, or a function literal
// held in a package-level variable (var SetState = func() string { … })
// or a package-level variable initialised with a function (var Id = id).
// An exported function whose results are weak carries a fact, so a
// GetRandomString helper in one package is a source in every package that
// calls it (the report says "via util.GetRandomString"). The other way
// round, a parameter whose name says nothing but whose value reaches a sink
// inside the function (func SetSession(w http.ResponseWriter, v string)
// that puts v in a cookie) makes a call that passes it a weak value a
// report ("reaches http.Cookie Value through util.SetSession"), in this
// package and, by a fact, in others. Generators made with rand.New are sources too, except
// a ChaCha8 generator seeded from crypto/rand, which is a cryptographically
// secure generator. Test files are not checked.
//
// The order of statements counts: a variable is weak from the first
// statement that makes it so (anywhere in a loop around that statement). A
// method makes its receiver weak only when it writes or stores its
// argument (sb.WriteByte, buf.Write, values.Set); peer.SetDelay(jitter)
// leaves the peer alone. The count and the error that rand.Read returns
// are not weak; the buffer it fills is.
//
// A report names the source and the sink and what to use instead. A
// //secretsvet:ignore comment with a reason on the line silences it.
package weakrand

import (
	"go/ast"
	"go/build"
	"go/token"
	"go/types"
	"path/filepath"
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
	// The functions whose results are weak, for the packages that call them.
	FactTypes: []analysis.Fact{new(weakResult)},
}

// checker holds the state for one package.
type checker struct {
	pass       *analysis.Pass
	rep        *ignore.Reporter
	funcs      map[types.Object]*origin  // functions, and variables holding functions, that return weak values
	paramSinks map[types.Object][]string // for each function, the sink each parameter reaches, or ""
	// summarizing finds paramSinks: each parameter is a source of its own
	// (origin.param) and a sink it reaches is recorded, not reported.
	summarizing bool
	reporting   bool
	bodies      map[*ast.BlockStmt]*body
	sinksFound  map[types.Object]bool // the functions given a new parameter sink in this round
}

// body holds what checkFunc finds in a body regardless of taint.
type body struct {
	seeded map[types.Object]bool // nil until checkFunc first runs on the body
	loops  []ast.Node
	uses   map[types.Object]bool // the package-level functions and variables, and methods, it uses
	// external is set when the body uses a function, method or variable
	// of math/rand or math/rand/v2, or one of another package with a
	// weakResult fact: a source of weak values that is not in this package.
	external bool
}

// scan returns what u's body holds regardless of taint, found once.
func (c *checker) scan(u unit) *body {
	if b := c.bodies[u.body]; b != nil {
		return b
	}
	b := &body{uses: map[types.Object]bool{}}
	seen := map[types.Object]bool{}
	ast.Inspect(u.body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ForStmt, *ast.RangeStmt, *ast.FuncLit:
			b.loops = append(b.loops, n)
		case *ast.Ident:
			obj := c.pass.TypesInfo.Uses[n]
			switch {
			case obj == nil || obj.Pkg() == nil:
			case obj.Pkg() == c.pass.Pkg:
				b.uses[obj] = true
			case !b.external && !seen[obj]:
				seen[obj] = true
				b.external = c.externalSource(obj)
			}
		}
		return true
	})
	c.bodies[u.body] = b
	return b
}

// externalSource reports whether obj, declared in another package, may
// give weak values: a function, method or variable of math/rand or
// math/rand/v2, or a function or variable with a weakResult fact.
func (c *checker) externalSource(obj types.Object) bool {
	if isRandPkg(obj.Pkg()) {
		return true
	}
	switch o := obj.(type) {
	case *types.Func:
		return c.weakFunc(o) != nil || o.Origin() != o && c.weakFunc(o.Origin()) != nil
	case *types.Var:
		return !o.IsField() && c.weakFunc(o) != nil
	}
	return false
}

// mayBeWeak reports whether u's body can hold a weak value: it uses a
// source of another package or a function of this one found to return
// weak values. A body that cannot is skipped when looking for weak
// results and when reporting; each of its values is strong.
func (c *checker) mayBeWeak(u unit) bool {
	b := c.scan(u)
	if b.external {
		return true
	}
	for obj := range b.uses {
		if c.funcs[obj] != nil {
			return true
		}
	}
	return false
}

// uses reports whether u's body uses one of objs.
func (c *checker) uses(u unit, objs map[types.Object]bool) bool {
	for obj := range c.scan(u).uses {
		if objs[obj] {
			return true
		}
	}
	return false
}

// unit is a function body checked on its own: a function or method
// declaration, or a function literal held in a package-level variable
// (var SetState = func() string { … }).
type unit struct {
	obj  types.Object // the *types.Func, or the *types.Var holding the literal
	name string
	sig  *types.Signature
	body *ast.BlockStmt
}

func run(pass *analysis.Pass) (any, error) {
	if len(pass.Files) == 0 || pass.TypesInfo == nil {
		return nil, nil // a dependency loaded from export data: nothing to learn
	}
	c := &checker{pass: pass, rep: ignore.NewReporter(pass), funcs: map[types.Object]*origin{}, paramSinks: map[types.Object][]string{}, bodies: map[*ast.BlockStmt]*body{}}
	var units []unit
	aliases := map[*types.Var]*types.Func{} // var Id = id
	for _, f := range pass.Files {
		name := pass.Fset.File(f.Pos()).Name()
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				fn, _ := pass.TypesInfo.Defs[d.Name].(*types.Func)
				if d.Body != nil && fn != nil {
					units = append(units, unit{fn, d.Name.Name, fn.Type().(*types.Signature), d.Body})
				}
			case *ast.GenDecl:
				units = append(units, c.funcVars(d)...)
				c.funcAliases(d, aliases)
			}
		}
	}
	// Functions returning weak values taint their callers, which may be
	// functions themselves: iterate to a fixed point (bounded by the number
	// of functions, since each round adds at least one). After the first
	// round only the functions that use one found in the last are checked.
	var last map[types.Object]bool
	for range len(units) + 1 {
		found := map[types.Object]bool{}
		for _, u := range units {
			if c.funcs[u.obj] != nil || (last != nil && !c.uses(u, last)) || (last == nil && !c.mayBeWeak(u)) {
				continue
			}
			if o := c.checkFunc(u); o != nil {
				c.funcs[u.obj] = o
				found[u.obj] = true
			}
		}
		for v, fn := range aliases {
			if o := c.funcs[fn]; o != nil && c.funcs[v] == nil {
				c.funcs[v] = o
				found[v] = true
			}
		}
		if len(found) == 0 {
			break
		}
		last = found
	}
	// Then which parameters of each function reach a sink inside it (or
	// inside a function it passes them to), for the calls that pass a weak
	// value to a parameter whose name says nothing.
	c.summarizing = true
	var summarized []unit
	for _, u := range units {
		params := u.sig.Params()
		for i := range params.Len() {
			if secretname.Holds(params.At(i).Type()) {
				summarized = append(summarized, u)
				break
			}
		}
	}
	last = nil
	for range len(summarized) + 1 {
		c.sinksFound = map[types.Object]bool{}
		for _, u := range summarized {
			if last == nil || c.uses(u, last) {
				c.checkFunc(u)
			}
		}
		if len(c.sinksFound) == 0 {
			break
		}
		last = c.sinksFound
	}
	c.summarizing = false
	if !inGOROOT(pass) {
		// math/rand's own functions are the sources, known by name; the
		// rest of the standard library returns none of their values.
		c.exportFacts()
	}
	c.reporting = true
	for _, u := range units {
		if c.mayBeWeak(u) {
			c.checkFunc(u)
		}
	}
	return nil, nil
}

// inGOROOT reports whether the package is part of the standard library.
func inGOROOT(pass *analysis.Pass) bool {
	root := filepath.Clean(build.Default.GOROOT) + string(filepath.Separator)
	return root != string(filepath.Separator) && strings.HasPrefix(pass.Fset.File(pass.Files[0].Pos()).Name(), root)
}

// funcVars returns the function literals that d, a package-level var
// declaration, assigns to variables.
func (c *checker) funcVars(d *ast.GenDecl) []unit {
	var units []unit
	if d.Tok != token.VAR {
		return nil
	}
	for _, spec := range d.Specs {
		vs := spec.(*ast.ValueSpec)
		if len(vs.Values) != len(vs.Names) {
			continue
		}
		for i, id := range vs.Names {
			lit, ok := ast.Unparen(vs.Values[i]).(*ast.FuncLit)
			v, _ := c.pass.TypesInfo.Defs[id].(*types.Var)
			if !ok || v == nil {
				continue
			}
			if sig, ok := c.pass.TypesInfo.TypeOf(lit).(*types.Signature); ok {
				units = append(units, unit{v, id.Name, sig, lit.Body})
			}
		}
	}
	return units
}

// funcAliases records the package-level variables that d initializes with
// a function of this package (miekg/dns's var Id = id, there so that tests
// can replace it): calling the variable calls the function.
func (c *checker) funcAliases(d *ast.GenDecl, aliases map[*types.Var]*types.Func) {
	if d.Tok != token.VAR {
		return
	}
	for _, spec := range d.Specs {
		vs := spec.(*ast.ValueSpec)
		if len(vs.Values) != len(vs.Names) {
			continue
		}
		for i, id := range vs.Names {
			ref, ok := ast.Unparen(vs.Values[i]).(*ast.Ident)
			if !ok {
				continue
			}
			v, _ := c.pass.TypesInfo.Defs[id].(*types.Var)
			fn, _ := c.pass.TypesInfo.Uses[ref].(*types.Func)
			if v != nil && fn != nil && fn.Pkg() == c.pass.Pkg {
				aliases[v] = fn
			}
		}
	}
}

// fnState is the taint state of one function body. A variable is weak from
// the first statement that makes it weak on (see weakAt): the order of
// statements counts, except in loops and function literals.
type fnState struct {
	c        *checker
	unit     unit
	vars     map[types.Object]*origin
	from     map[types.Object]token.Pos // where each weak variable first became weak
	loops    []ast.Node                 // loops and function literals of the body: order does not hold inside them
	funcVals map[types.Object]*origin   // variables holding functions that return weak values
	strong   map[types.Object]bool      // ChaCha8 generators seeded from crypto/rand
	seeded   map[types.Object]bool      // variables filled from crypto/rand or package secrets
	reported map[types.Object]bool
	lines    map[int]bool // lines with a report: one report a line is enough
	changed  bool
}

// checkFunc computes the taint of u's body and, when reporting, reports the
// sinks it reaches. It returns the origin of u's results if they are weak.
func (c *checker) checkFunc(u unit) *origin {
	s := &fnState{c: c, unit: u, vars: map[types.Object]*origin{}, from: map[types.Object]token.Pos{}, funcVals: map[types.Object]*origin{}, strong: map[types.Object]bool{}, seeded: map[types.Object]bool{}, reported: map[types.Object]bool{}, lines: map[int]bool{}}
	// A body is checked several times (to a fixed point, summarised,
	// reported); what does not depend on taint is found once.
	b := c.scan(u)
	if b.seeded == nil {
		s.findSeeds()
		b.seeded = s.seeded
	}
	s.seeded, s.loops = b.seeded, b.loops
	if c.summarizing {
		// Each parameter that can hold a secret is a source of its own.
		params := u.sig.Params()
		for i := range params.Len() {
			if p := params.At(i); secretname.Holds(p.Type()) {
				s.mark(p, &origin{param: i + 1, name: p.Name()}, u.body.Pos())
			}
		}
	}
	for range 20 {
		s.changed = false
		ast.Inspect(u.body, s.propagate)
		if !s.changed {
			break
		}
	}
	if c.reporting || c.summarizing {
		ast.Inspect(u.body, s.sinks)
	}
	if c.summarizing {
		return nil
	}
	var result *origin
	resultSink := s.resultIsSink()
	inspectOwn(u.body, func(n ast.Node) {
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
				result = o.with(o.indexed, resultSink != "")
			}
			if obj := s.root(r); c.reporting && resultSink != "" && (obj == nil || !s.reported[obj]) {
				s.report(r.Pos(), o, resultSink, s.typeOf(ret.Results[i]))
			}
		}
	})
	if result != nil && result.via == "" {
		result.via = u.name
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
	name := s.unit.name
	res := s.unit.sig.Results()
	for i := range res.Len() {
		v := res.At(i)
		if v.Name() != "" && secretname.IsSecret(v.Name(), v.Type()) {
			return "result " + v.Name() + " of " + name
		}
		if secretname.IsSecret(name, v.Type()) {
			return "the result of " + name
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

// mark records that obj holds a weak value from the statement at at on.
func (s *fnState) mark(obj types.Object, o *origin, at token.Pos) {
	if obj == nil || o == nil || secretname.IsRouting(obj.Name()) {
		// A reply subject or inbox says where an answer goes; a token cut
		// from it (NATS's _INBOX.<prefix>.<token>) is a routing name too.
		return
	}
	if s.vars[obj] == nil {
		s.vars[obj] = o
		s.from[obj] = at
		s.changed = true
	} else if at < s.from[obj] {
		s.from[obj] = at
		s.changed = true
	}
}

// weakAt returns the origin of obj's value where it is used at pos: weak
// once a statement at or before pos made it weak, or anywhere in a loop
// around that statement, or anywhere in a function literal (which may run
// at any time). A variable filled by sb.WriteByte(weak) is not weak before.
func (s *fnState) weakAt(obj types.Object, pos token.Pos) *origin {
	o := s.vars[obj]
	if o == nil {
		return nil
	}
	from := s.from[obj]
	if pos >= from {
		return o
	}
	for _, r := range s.loops {
		if r.Pos() <= pos && from < r.End() {
			return o
		}
	}
	return nil
}

// callee returns the function or method a call calls, or nil.
func (s *fnState) callee(call *ast.CallExpr) *types.Func {
	fn, _ := typeutil.Callee(s.info(), call).(*types.Func)
	return fn
}

func funcIn(fn *types.Func, pkg, name string) bool {
	return fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == pkg && fn.Name() == name
}
