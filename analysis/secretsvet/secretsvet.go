// Package secretsvet runs the secretsvet analyzers (weakrand, timingcompare,
// shorttoken) over Go packages. It is the code behind cmd/secretsvet when run
// on its own and behind "secrets vet"; under go vet -vettool, cmd/secretsvet
// hands the same [Analyzers] to unitchecker instead.
package secretsvet

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/unguessable/secrets/analysis/shorttoken"
	"github.com/unguessable/secrets/analysis/timingcompare"
	"github.com/unguessable/secrets/analysis/weakrand"
)

// Analyzers are the secretsvet analyzers.
var Analyzers = []*analysis.Analyzer{weakrand.Analyzer, timingcompare.Analyzer, shorttoken.Analyzer}

// ErrNoPackages is returned when the patterns match no packages.
var ErrNoPackages = errors.New("no packages matched")

// ErrPattern is returned when a pattern names no loadable package: a
// directory that does not exist, an unknown import path.
var ErrPattern = errors.New("bad package pattern")

// ErrLoad is returned when a package cannot be loaded or type-checked, so
// the analyzers could not run on it; see [LoadError].
var ErrLoad = errors.New("packages do not load")

// loadMode loads the named packages from source and their dependencies
// from export data, which is much faster than type-checking them too (see
// Run for the dependencies loaded from source).
const loadMode = packages.LoadSyntax | packages.NeedModule

// Options control a run.
type Options struct {
	Dir   string // directory to resolve patterns in; "" is the current one
	JSON  bool   // write go vet's JSON tree instead of text lines
	SARIF bool   // write a SARIF 2.1.0 log instead of text lines
	Tests bool   // include test files and test packages
}

// Run loads the packages matching patterns, runs [Analyzers] on them and
// writes the findings to w, one "file:line:col: message" line each, or as
// JSON. It returns the number of distinct findings. A package that does
// not parse or type-check is skipped and the others are analysed: the
// error is then a [*LoadError] naming the skipped packages, returned with
// the findings in the rest.
func Run(patterns []string, opts Options, w io.Writer) (int, error) {
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	cfg := &packages.Config{
		Mode:  loadMode,
		Dir:   opts.Dir,
		Tests: opts.Tests,
	}
	// weakrand follows functions across packages by the facts it exports
	// about them, which it can only learn from source. The packages of the
	// main module that the named ones import are loaded from source too
	// (as extra patterns) and analysed for facts; the rest of the
	// dependencies, the standard library included, come from export data.
	// Which packages those are is guessed from the import clauses first
	// (peekModuleDeps), so that one load does; when the guess misses one,
	// or cannot be made, the named packages are loaded, and then loaded
	// again with the ones they import. Not with Tests: the extra patterns
	// would bring their own test packages along.
	var peeked []string
	if !opts.Tests {
		peeked = peekModuleDeps(opts.Dir, patterns, false)
	}
	pkgs, err := packages.Load(cfg, append(slices.Clone(patterns), peeked...)...)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrLoad, err)
	}
	if len(peeked) > 0 {
		extra := map[string]bool{}
		for _, p := range peeked {
			extra[p] = true
		}
		pkgs = slices.DeleteFunc(pkgs, func(p *packages.Package) bool { return extra[p.PkgPath] })
		for _, dep := range mainModuleDeps(pkgs) {
			if !extra[dep] {
				pkgs, err = packages.Load(cfg, patterns...) // the guess missed: load as without it
				if err != nil {
					return 0, fmt.Errorf("%w: %w", ErrLoad, err)
				}
				peeked = nil
				break
			}
		}
	}
	if len(pkgs) == 0 {
		return 0, fmt.Errorf("%w %s", ErrNoPackages, strings.Join(patterns, " "))
	}
	if extra := mainModuleDeps(pkgs); len(peeked) == 0 && len(extra) > 0 {
		named := map[string]bool{}
		for _, p := range pkgs {
			named[p.ID] = true
		}
		all, err := packages.Load(cfg, append(slices.Clone(patterns), extra...)...)
		if err != nil {
			return 0, fmt.Errorf("%w: %w", ErrLoad, err)
		}
		pkgs = slices.DeleteFunc(all, func(p *packages.Package) bool { return !named[p.ID] })
	}
	var roots []*packages.Package
	var broken LoadError
	for _, p := range pkgs {
		e := firstError(p)
		switch {
		case e == nil:
			// A package whose dependency does not type-check is marked
			// ill-typed too, but its own code type-checked: analyse it.
			roots = append(roots, p)
		case e.Kind == packages.ListError && len(p.GoFiles) == 0:
			return 0, fmt.Errorf("%w: %s", ErrPattern, strings.TrimPrefix(oneLine(e.Error()), "-: "))
		default:
			broken.Packages = append(broken.Packages, PackageError{Path: p.PkgPath, Err: oneLine(e.Error())})
		}
	}
	// weakrand also runs on the dependencies, for the facts it exports
	// about their functions. A dependency that did not type-check is left
	// without syntax, so that weakrand learns nothing from it instead of
	// failing, and so failing every package that imports it.
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if len(p.Errors) > 0 && !slices.Contains(roots, p) {
			p.Syntax, p.TypesInfo = nil, nil
		}
		p.IllTyped = false
	})
	// The analyzers learn facts only from syntax, so a package loaded
	// from export data (the standard library, other modules) has none to
	// pass on. Cutting them out of the import graph spares the checker an
	// action per analyzer for each of them (about 140 for a package that
	// imports net/http) with nothing to do.
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for path, imp := range p.Imports {
			if len(imp.Syntax) == 0 {
				delete(p.Imports, path)
			}
		}
	})
	var brokenErr *LoadError
	if len(broken.Packages) > 0 {
		brokenErr = &broken
	}
	var graph *checker.Graph
	n := 0
	if len(roots) > 0 {
		if graph, err = checker.Analyze(Analyzers, roots, nil); err != nil {
			return 0, err
		}
		if n, err = count(graph); err != nil {
			return 0, err
		}
	}
	switch {
	case opts.SARIF:
		err = writeSARIF(w, graph, brokenErr, opts.Dir)
	case graph == nil:
	case opts.JSON:
		err = graph.PrintJSON(w)
	default:
		err = graph.PrintText(w, -1)
	}
	if err != nil {
		return n, err
	}
	if brokenErr != nil {
		return n, brokenErr
	}
	return n, nil
}

// mainModuleDeps returns the import paths of the packages of the main
// module that pkgs import, directly or not, and that are not among them.
func mainModuleDeps(pkgs []*packages.Package) []string {
	named := map[string]bool{}
	for _, p := range pkgs {
		named[p.PkgPath] = true
	}
	var deps []string
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if !named[p.PkgPath] && p.Module != nil && p.Module.Main {
			named[p.PkgPath] = true
			deps = append(deps, p.PkgPath)
		}
	})
	return deps
}

// firstError returns the error that best describes why p did not load: a
// parse or type error names the file and line, where go list's error for
// the same failure says only "# package". It returns nil if p loaded.
func firstError(p *packages.Package) *packages.Error {
	var first *packages.Error
	for i, e := range p.Errors {
		if first == nil || (first.Kind == packages.ListError && e.Kind != packages.ListError) {
			first = &p.Errors[i]
		}
	}
	return first
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// LoadError is returned, together with the findings in the packages that
// did load, when some packages did not parse or type-check: those were
// not analysed. It wraps [ErrLoad].
type LoadError struct {
	Packages []PackageError
}

// PackageError says why one package was not analysed.
type PackageError struct {
	Path string // the package's import path
	Err  string // its first parse or type error, with file and line
}

func (e *LoadError) Error() string {
	msgs := make([]string, len(e.Packages))
	for i, p := range e.Packages {
		msgs[i] = p.Path + ": " + p.Err
	}
	return fmt.Sprintf("%v: %d not analysed: %s", ErrLoad, len(e.Packages), strings.Join(msgs, "; "))
}

func (e *LoadError) Unwrap() error { return ErrLoad }

// count returns the number of distinct findings: a file in both a package
// and its test variant is reported once.
func count(g *checker.Graph) (int, error) {
	type key struct {
		pos, msg string
	}
	seen := map[key]bool{}
	for act := range g.All() {
		if act.Err != nil {
			return 0, fmt.Errorf("%s on %s: %w", act.Analyzer.Name, act.Package.PkgPath, act.Err)
		}
		if !act.IsRoot {
			continue
		}
		for _, d := range act.Diagnostics {
			seen[key{act.Package.Fset.Position(d.Pos).String(), d.Message}] = true
		}
	}
	return len(seen), nil
}
