// Package secretsvet runs the secretsvet analyzers (weakrand, timingcompare,
// shorttoken) over Go packages. It is the code behind cmd/secretsvet when run
// on its own and behind "secrets vet"; under go vet -vettool, cmd/secretsvet
// hands the same [Analyzers] to unitchecker instead.
package secretsvet

import (
	"errors"
	"fmt"
	"io"
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
// the analyzers could not run on it.
var ErrLoad = errors.New("packages do not load")

// loadMode loads the named packages from source and their dependencies
// from export data, which is much faster than type-checking them too.
const loadMode = packages.LoadSyntax | packages.NeedModule

// Options control a run.
type Options struct {
	Dir   string // directory to resolve patterns in; "" is the current one
	JSON  bool   // write go vet's JSON tree instead of text lines
	Tests bool   // include test files and test packages
}

// Run loads the packages matching patterns, runs [Analyzers] on them and
// writes the findings to w, one "file:line:col: message" line each, or as
// JSON. It returns the number of distinct findings.
func Run(patterns []string, opts Options, w io.Writer) (int, error) {
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	cfg := &packages.Config{
		Mode:  loadMode,
		Dir:   opts.Dir,
		Tests: opts.Tests,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrLoad, err)
	}
	if len(pkgs) == 0 {
		return 0, fmt.Errorf("%w %s", ErrNoPackages, strings.Join(patterns, " "))
	}
	// Report the first parse or type error: it names the file and line,
	// where go list's errors for the same failure say only "# package".
	var first *packages.Error
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for i, e := range p.Errors {
			if first == nil || (first.Kind == packages.ListError && e.Kind != packages.ListError) {
				first = &p.Errors[i]
			}
		}
	})
	if first != nil {
		msg := strings.Join(strings.Fields(first.Error()), " ")
		if first.Kind == packages.ListError {
			return 0, fmt.Errorf("%w: %s", ErrPattern, strings.TrimPrefix(msg, "-: "))
		}
		return 0, fmt.Errorf("%w: %s", ErrLoad, msg)
	}
	graph, err := checker.Analyze(Analyzers, pkgs, nil)
	if err != nil {
		return 0, err
	}
	n, failed := count(graph)
	if failed != nil {
		return 0, failed
	}
	if opts.JSON {
		return n, graph.PrintJSON(w)
	}
	return n, graph.PrintText(w, -1)
}

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
