package secretsvet

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
)

// peekModuleDeps guesses, before anything is loaded, the packages of the
// main module that the packages named by patterns import, directly or
// not, and that the patterns do not name: it reads the import clauses of
// the Go files in the named directories (test files too when tests is
// set) and follows the imports that fall in the main module to their
// directories. Build constraints are ignored, so it may name a package
// that no build imports; loading it as well costs a little and changes
// nothing, since only the named packages are reported on. It returns nil
// when a pattern is not a directory (an import path, "std") or no go.mod
// is found; Run then learns the packages from a first load, as before.
//
// It exists to save a load: without it, Run loads the named packages,
// finds their main-module dependencies, and loads everything again, which
// runs go list and type-checks the named packages twice.
func peekModuleDeps(dir string, patterns []string, tests bool) []string {
	if dir == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return nil
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	root, modPath := findModule(dir)
	if root == "" {
		return nil
	}
	named := map[string]bool{} // directories the patterns name
	var queue []string
	for _, p := range patterns {
		if !(p == "." || p == ".." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") || filepath.IsAbs(p)) {
			return nil // an import path or a meta-pattern such as std
		}
		d, recursive := p, false
		if rest, ok := strings.CutSuffix(p, "/..."); ok {
			d, recursive = rest, true
		} else if strings.Contains(p, "...") {
			return nil
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		if !within(root, d) {
			return nil
		}
		if !recursive {
			named[d] = true
			queue = append(queue, d)
			continue
		}
		filepath.WalkDir(d, func(path string, e os.DirEntry, err error) error {
			if err != nil || !e.IsDir() {
				return nil
			}
			base := e.Name()
			if path != d && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || base == "testdata" || base == "vendor" || fileExists(filepath.Join(path, "go.mod"))) {
				return filepath.SkipDir
			}
			named[path] = true
			queue = append(queue, path)
			return nil
		})
	}
	seen := map[string]bool{}
	var extra []string
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if seen[d] {
			continue
		}
		seen[d] = true
		for _, imp := range imports(d, tests && named[d]) {
			if imp != modPath && !strings.HasPrefix(imp, modPath+"/") {
				continue
			}
			dep := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(imp, modPath)))
			if named[dep] || seen[dep] || nestedModule(root, dep) {
				continue
			}
			if !slicesContains(extra, imp) {
				extra = append(extra, imp)
			}
			queue = append(queue, dep)
		}
	}
	return extra
}

// findModule returns the directory of the go.mod that governs dir and the
// module path it declares, or "", "".
func findModule(dir string) (root, path string) {
	for d := dir; ; {
		if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			if p := modfile.ModulePath(data); p != "" {
				return d, p
			}
			return "", ""
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", ""
		}
		d = parent
	}
}

// imports returns the import paths of the Go files in dir, read from
// their import clauses alone.
func imports(dir string, tests bool) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	fset := token.NewFileSet()
	var paths []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue
		}
		if !tests && strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ImportsOnly)
		if err != nil || f == nil {
			continue
		}
		for _, imp := range f.Imports {
			if p, err := strconv.Unquote(imp.Path.Value); err == nil {
				paths = append(paths, p)
			}
		}
	}
	return paths
}

// within reports whether d is root or below it.
func within(root, d string) bool {
	rel, err := filepath.Rel(root, d)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// nestedModule reports whether dir, below root, belongs to another module:
// it or a directory between it and root holds a go.mod.
func nestedModule(root, dir string) bool {
	for d := dir; d != root && within(root, d); d = filepath.Dir(d) {
		if fileExists(filepath.Join(d, "go.mod")) {
			return true
		}
	}
	return false
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
