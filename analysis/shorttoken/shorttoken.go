// Package shorttoken defines an analyzer that reports tokens made from fewer
// than 16 random bytes.
//
// # Analyzer shorttoken
//
// shorttoken: report tokens with less than 128 bits of randomness
//
// A token is only as strong as the randomness in it. With 64 bits, an
// attacker making a billion guesses a second against a service holding a
// million live tokens finds one in about five hours; 128 bits puts that
// beyond reach. The analyzer reports secrets.TokenHex, TokenURLSafe and
// TokenBytes called with a constant below 16, secrets.TokenString with a
// constant length and alphabet worth less than 128 bits, and a buffer of
// fewer than 16 bytes filled by crypto/rand that becomes a token (a variable
// or function result named token, secret, session, csrf, reset, invite,
// verification or API key). Nonces and salts are not tokens: a 12-byte
// AES-GCM nonce is right. Nor is a value named as an identifier (an id, a
// subject, a tag) and not as a token: ids must be unique, not unguessable.
// The message gives the bits.
package shorttoken

import (
	"go/ast"
	"go/constant"
	"go/types"
	"math"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/types/typeutil"

	"github.com/unguessable/secrets/analysis/internal/ignore"
	"github.com/unguessable/secrets/analysis/internal/secretname"
)

// Analyzer reports tokens made from fewer than 16 random bytes.
var Analyzer = &analysis.Analyzer{
	Name: "shorttoken",
	Doc:  "report tokens made from fewer than 16 random bytes (128 bits)",
	URL:  "https://pkg.go.dev/github.com/unguessable/secrets/analysis/shorttoken",
	Run:  run,
}

const (
	secretsPath = "github.com/unguessable/secrets"
	minBytes    = 16
	minBits     = 8 * minBytes
)

func run(pass *analysis.Pass) (any, error) {
	rep := ignore.NewReporter(pass)
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			c := &fnChecker{pass: pass, rep: rep, decl: fd}
			c.check()
		}
	}
	return nil, nil
}

type fnChecker struct {
	pass *analysis.Pass
	rep  *ignore.Reporter
	decl *ast.FuncDecl
}

func (c *fnChecker) info() *types.Info { return c.pass.TypesInfo }

func (c *fnChecker) constInt(e ast.Expr) (int64, bool) {
	tv, ok := c.info().Types[e]
	if !ok || tv.Value == nil {
		return 0, false
	}
	return constant.Int64Val(constant.ToInt(tv.Value))
}

func (c *fnChecker) check() {
	var stack []ast.Node
	ast.Inspect(c.decl.Body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if c.namedNotToken(stack) {
			return true
		}
		fn, _ := typeutil.Callee(c.info(), call).(*types.Func)
		if fn == nil || fn.Pkg() == nil {
			return true
		}
		switch {
		case fn.Pkg().Path() == secretsPath:
			c.secretsCall(call, fn)
		case fn.Pkg().Path() == "crypto/rand" && fn.Name() == "Read" && len(call.Args) == 1:
			c.filled(call, call.Args[0])
		case fn.Pkg().Path() == "io" && fn.Name() == "ReadFull" && len(call.Args) == 2 && isCryptoReader(c.info(), call.Args[0]):
			c.filled(call, call.Args[1])
		}
		return true
	})
}

// notTokenWords name random values that are identifiers, not credentials:
// a record id needs to be unique, not unguessable.
var notTokenWords = map[string]bool{
	"id": true, "ids": true, "subject": true, "tag": true, "label": true,
	"suffix": true, "filename": true, "name": true, "trace": true,
	"request": true, "correlation": true, "nonce": true, "salt": true,
}

// namedNotToken reports whether the innermost names the value at the top of
// stack goes to (the variables it is assigned to, the field it fills, or
// the function or closure variable it is returned from) say it is an
// identifier and none says it is a token.
func (c *fnChecker) namedNotToken(stack []ast.Node) bool {
	var names []string
	for i := len(stack) - 2; i >= 0 && len(names) == 0; i-- {
		switch n := stack[i].(type) {
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				if id, ok := l.(*ast.Ident); ok {
					names = append(names, id.Name)
				}
			}
		case *ast.ValueSpec:
			for _, id := range n.Names {
				names = append(names, id.Name)
			}
		case *ast.KeyValueExpr:
			if id, ok := n.Key.(*ast.Ident); ok {
				names = append(names, id.Name)
			}
		case *ast.ReturnStmt:
			if !insideFuncLit(stack[:i]) {
				names = append(names, c.decl.Name.Name)
			}
		case *ast.CallExpr, *ast.BlockStmt:
			if _, ok := n.(*ast.BlockStmt); ok && i == 0 {
				names = append(names, c.decl.Name.Name)
			}
		}
	}
	idLike := false
	for _, name := range names {
		if secretname.IsTokenName(name) {
			return false
		}
		for _, w := range secretname.Words(name) {
			if notTokenWords[w] {
				idLike = true
			}
		}
	}
	return idLike
}

func insideFuncLit(stack []ast.Node) bool {
	for _, n := range stack {
		if _, ok := n.(*ast.FuncLit); ok {
			return true
		}
	}
	return false
}

func (c *fnChecker) secretsCall(call *ast.CallExpr, fn *types.Func) {
	switch fn.Name() {
	case "TokenHex", "TokenURLSafe", "TokenBytes":
		if len(call.Args) != 1 {
			return
		}
		if n, ok := c.constInt(call.Args[0]); ok && n > 0 && n < minBytes {
			c.rep.Reportf(call.Pos(), "secrets.%s(%d) makes a token of %d random bytes (%d bits); use at least %d bytes (%d bits)", fn.Name(), n, n, 8*n, minBytes, minBits)
		}
	case "TokenString":
		if len(call.Args) != 2 {
			return
		}
		n, ok := c.constInt(call.Args[0])
		tv := c.info().Types[call.Args[1]]
		if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
			return
		}
		symbols := len([]rune(constant.StringVal(tv.Value)))
		if symbols < 2 || n <= 0 {
			return
		}
		bits := float64(n) * math.Log2(float64(symbols))
		if bits < minBits {
			need := int(math.Ceil(minBits / math.Log2(float64(symbols))))
			c.rep.Reportf(call.Pos(), "secrets.TokenString(%d, …) of %d symbols has %.1f bits; use a length of at least %d for %d bits", n, symbols, bits, need, minBits)
		}
	}
}

func isCryptoReader(info *types.Info, e ast.Expr) bool {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	v, ok := info.ObjectOf(sel.Sel).(*types.Var)
	return ok && v.Pkg() != nil && v.Pkg().Path() == "crypto/rand" && v.Name() == "Reader"
}

// rootVar returns the variable buf is rooted in (b in b, b[:], &b).
func (c *fnChecker) rootVar(e ast.Expr) *types.Var {
	for {
		switch x := ast.Unparen(e).(type) {
		case *ast.Ident:
			v, _ := c.info().ObjectOf(x).(*types.Var)
			return v
		case *ast.SliceExpr:
			e = x.X
		case *ast.UnaryExpr:
			e = x.X
		default:
			return nil
		}
	}
}

// size returns the constant length of v: N for a [N]byte, or for a slice
// made with make([]byte, N) where it is defined.
func (c *fnChecker) size(v *types.Var) (int64, bool) {
	if a, ok := v.Type().Underlying().(*types.Array); ok {
		return a.Len(), true
	}
	var n int64
	found := false
	ast.Inspect(c.decl.Body, func(node ast.Node) bool {
		as, ok := node.(*ast.AssignStmt)
		if !ok || found {
			return !found
		}
		for i, l := range as.Lhs {
			id, ok := l.(*ast.Ident)
			if !ok || c.info().ObjectOf(id) != v || i >= len(as.Rhs) {
				continue
			}
			mk, ok := ast.Unparen(as.Rhs[i]).(*ast.CallExpr)
			if !ok || len(mk.Args) < 2 {
				continue
			}
			if id, ok := mk.Fun.(*ast.Ident); !ok || id.Name != "make" {
				continue
			}
			if k, ok := c.constInt(mk.Args[1]); ok {
				n, found = k, true
			}
		}
		return !found
	})
	return n, found
}

// filled checks a buffer filled by crypto/rand at call.
func (c *fnChecker) filled(call *ast.CallExpr, buf ast.Expr) {
	v := c.rootVar(buf)
	if v == nil {
		return
	}
	n, ok := c.size(v)
	if !ok || n >= minBytes || n <= 0 {
		return
	}
	if sink := c.becomesToken(v); sink != "" {
		c.rep.Reportf(call.Pos(), "%s is made from %d random bytes (%d bits) read into %s; use at least %d bytes (%d bits)", sink, n, 8*n, v.Name(), minBytes, minBits)
	}
}

// becomesToken names the token that v's bytes become, or returns "".
func (c *fnChecker) becomesToken(v *types.Var) string {
	if secretname.IsTokenName(v.Name()) {
		return v.Name()
	}
	mentions := func(e ast.Expr) bool {
		found := false
		ast.Inspect(e, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && c.info().ObjectOf(id) == v {
				found = true
			}
			return !found
		})
		return found
	}
	sink := ""
	fnName := c.decl.Name.Name
	ast.Inspect(c.decl.Body, func(n ast.Node) bool {
		if sink != "" {
			return false
		}
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if id, ok := l.(*ast.Ident); ok && i < len(n.Rhs) && secretname.IsTokenName(id.Name) && mentions(n.Rhs[i]) {
					sink = id.Name
				}
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				if i < len(n.Values) && secretname.IsTokenName(id.Name) && mentions(n.Values[i]) {
					sink = id.Name
				}
			}
		case *ast.ReturnStmt:
			for _, r := range n.Results {
				if secretname.IsTokenName(fnName) && mentions(r) {
					sink = "the result of " + fnName
				}
			}
		case *ast.KeyValueExpr:
			if id, ok := n.Key.(*ast.Ident); ok && secretname.IsTokenName(id.Name) && mentions(n.Value) {
				sink = "field " + id.Name
			}
		}
		return sink == ""
	})
	return strings.TrimSpace(sink)
}
