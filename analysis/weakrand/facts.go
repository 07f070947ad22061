package weakrand

import (
	"fmt"
	"go/types"
	"slices"
	"strings"
)

// weakResult is the fact that a function's results, or the results of the
// function literal a package-level variable holds, derive from math/rand or
// math/rand/v2. It carries the origin across packages, so that a
// GetRandomString in one package is a source in every package that calls
// it.
type weakResult struct {
	Pkg, Recv, Name string // the math/rand function or method
	Via             string // the function the value came out of, package-qualified
	Indexed         bool   // it picked characters out of a charset
	Reported        bool   // already reported where the function returns it
}

func (*weakResult) AFact() {}

func (f *weakResult) String() string { return "weakResult(" + f.origin().String() + ")" }

func (f *weakResult) origin() *origin {
	return &origin{pkg: f.Pkg, recv: f.Recv, name: f.Name, via: f.Via, indexed: f.Indexed, reported: f.Reported}
}

// weakFunc returns the origin of the results of obj, a function or a
// variable holding one, if they are weak: found in this package, or a fact
// exported by the package that declares obj.
func (c *checker) weakFunc(obj types.Object) *origin {
	if o := c.funcs[obj]; o != nil {
		return o
	}
	if obj.Pkg() == nil || obj.Pkg() == c.pass.Pkg {
		return nil
	}
	var f weakResult
	if !c.pass.ImportObjectFact(obj, &f) {
		return nil
	}
	o := f.origin()
	c.funcs[obj] = o
	return o
}

// exportFacts exports a weakResult fact for each exported function (and
// variable holding one) of this package whose results are weak. The function's name
// in the origin is qualified by its package for the importers' reports.
func (c *checker) exportFacts() {
	for obj, o := range c.funcs {
		if obj.Pkg() != c.pass.Pkg || !obj.Exported() {
			continue // only an exported name can be called from another package
		}
		via := o.via
		if !strings.Contains(via, ".") {
			via = c.pass.Pkg.Name() + "." + via
		}
		c.pass.ExportObjectFact(obj, &weakResult{Pkg: o.pkg, Recv: o.recv, Name: o.name, Via: via, Indexed: o.indexed, Reported: o.reported})
	}
	for obj, sinks := range c.paramSinks {
		if obj.Pkg() == c.pass.Pkg && obj.Exported() && slices.ContainsFunc(sinks, func(s string) bool { return s != "" }) {
			c.pass.ExportObjectFact(obj, &paramSinks{Sinks: sinks})
		}
	}
}

// paramSinks is the fact that arguments passed to some parameters of a
// function reach a sink inside it: Sinks[i] describes the sink parameter i
// reaches, or is "". func SetSession(w http.ResponseWriter, v string) that
// puts v in a cookie makes SetSession(w, weak) a report in its callers.
type paramSinks struct {
	Sinks []string
}

func (*paramSinks) AFact() {}

func (f *paramSinks) String() string { return fmt.Sprintf("paramSinks(%q)", f.Sinks) }

// recordParamSink records that parameter i of u reaches sink (the first
// sink found for it stays).
func (c *checker) recordParamSink(u unit, i int, sink string) {
	sinks := c.paramSinks[u.obj]
	if sinks == nil {
		sinks = make([]string, u.sig.Params().Len())
		c.paramSinks[u.obj] = sinks
	}
	if i < len(sinks) && sinks[i] == "" {
		sinks[i] = sink
		c.sinksFound[u.obj] = true
	}
}

// paramSink returns the sink that parameter i of fn reaches, or "".
func (c *checker) paramSink(fn *types.Func, i int) string {
	sinks, ok := c.paramSinks[fn]
	if !ok && fn.Pkg() != nil && fn.Pkg() != c.pass.Pkg {
		var f paramSinks
		if c.pass.ImportObjectFact(fn, &f) {
			sinks = f.Sinks
		}
		c.paramSinks[fn] = sinks
	}
	if i < len(sinks) {
		return sinks[i]
	}
	return ""
}

// funcName names fn in a report: qualified by its package when it is
// another package's.
func (c *checker) funcName(fn *types.Func) string {
	if fn.Pkg() == nil || fn.Pkg() == c.pass.Pkg {
		return fn.Name()
	}
	return fn.Pkg().Name() + "." + fn.Name()
}
