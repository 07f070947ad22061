package secretsvet

import (
	"go/ast"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"
)

// TestLabelledCorpus scores the analyzers on analysis/testdata/corpus, the
// cases bench/vet-compare.sh compares with gosec: every function labelled
// weak or timing must be reported (by weakrand or timingcompare), and no
// function labelled ok or timing-ok may be.
func TestLabelledCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the corpus module with go list")
	}
	dir, err := filepath.Abs("../testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := packages.Load(&packages.Config{Mode: loadMode, Dir: dir}, "./...")
	if err != nil {
		t.Fatal(err)
	}
	if packages.PrintErrors(pkgs) > 0 {
		t.Fatal("the corpus does not type-check")
	}
	graph, err := checker.Analyze(Analyzers, pkgs, nil)
	if err != nil {
		t.Fatal(err)
	}
	type place struct {
		file string
		line int
	}
	found := map[string]map[place]bool{} // analyzer → lines reported
	for act := range graph.All() {
		if act.Err != nil {
			t.Fatalf("%s on %s: %v", act.Analyzer.Name, act.Package.PkgPath, act.Err)
		}
		if !act.IsRoot {
			continue
		}
		for _, d := range act.Diagnostics {
			p := act.Package.Fset.Position(d.Pos)
			if found[act.Analyzer.Name] == nil {
				found[act.Analyzer.Name] = map[place]bool{}
			}
			found[act.Analyzer.Name][place{filepath.Base(p.Filename), p.Line}] = true
		}
	}
	analyzerOf := map[string]string{"weak": "weakrand", "ok": "weakrand", "timing": "timingcompare", "timing-ok": "timingcompare"}
	counts := map[string]int{}
	for _, pkg := range pkgs {
		for _, f := range pkg.Syntax {
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Doc == nil {
					continue
				}
				label := ""
				for _, c := range fd.Doc.List {
					if l, ok := strings.CutPrefix(c.Text, "// label: "); ok {
						label = strings.TrimSpace(l)
					}
				}
				name, ok := analyzerOf[label]
				if !ok {
					continue
				}
				counts[label]++
				start, end := pkg.Fset.Position(fd.Pos()), pkg.Fset.Position(fd.End())
				flagged := false
				for line := start.Line; line <= end.Line; line++ {
					flagged = flagged || found[name][place{filepath.Base(start.Filename), line}]
				}
				want := label == "weak" || label == "timing"
				if flagged != want {
					t.Errorf("%s:%d: %s, labelled %s: reported by %s = %v, want %v", filepath.Base(start.Filename), start.Line, fd.Name.Name, label, name, flagged, want)
				}
			}
		}
	}
	t.Logf("cases: %v", counts)
	if counts["weak"] == 0 || counts["timing"] == 0 || counts["ok"] == 0 || counts["timing-ok"] == 0 {
		t.Errorf("the corpus lost a kind of case: %v", counts)
	}
}
