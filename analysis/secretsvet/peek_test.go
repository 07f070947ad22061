package secretsvet

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// peekModule writes a module in which app imports util, util imports
// util/inner, a file of app that only Windows builds imports winonly (a
// package with Windows files alone), and app imports sub, which is a module
// of its own. util.Get returns math/rand output; app makes a nonce of it.
func peekModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.26\n\nrequire example.com/m/sub v0.0.0\n\nreplace example.com/m/sub => ./sub\n",
		"app/app.go": `package app

import (
	"fmt"

	"example.com/m/sub"
	"example.com/m/util"
)

func Nonce() string {
	nonce := util.Get()
	return fmt.Sprint(nonce, sub.X)
}
`,
		"app/app_windows.go": "//go:build windows\n\npackage app\n\nimport _ \"example.com/m/winonly\"\n",
		"app/app_test.go":    "package app\n\nimport _ \"example.com/m/testonly\"\n",
		"util/util.go": `package util

import "example.com/m/util/inner"

func Get() string { return inner.Draw() }
`,
		"util/inner/inner.go": `package inner

import (
	"fmt"
	"math/rand"
)

func Draw() string { return fmt.Sprint(rand.Int63()) }
`,
		"winonly/w_windows.go":  "package winonly\n",
		"testonly/testonly.go":  "package testonly\n",
		"sub/go.mod":            "module example.com/m/sub\n\ngo 1.26\n",
		"sub/sub.go":            "package sub\n\nconst X = 1\n",
		"other/other.go":        "package other\n",
		"app/testdata/x/x.go":   "package x\n\nimport _ \"example.com/m/other\"\n",
		"app/_skip/skip.go":     "package skip\n\nimport _ \"example.com/m/other\"\n",
		"app/.hidden/hidden.go": "package hidden\n\nimport _ \"example.com/m/other\"\n",
	}
	for name, src := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPeekModuleDeps(t *testing.T) {
	dir := peekModule(t)
	for _, tc := range []struct {
		patterns []string
		tests    bool
		want     []string
	}{
		// Build constraints are ignored (winonly); sub is another module.
		{[]string{"./app"}, false, []string{"example.com/m/util", "example.com/m/util/inner", "example.com/m/winonly"}},
		{[]string{"./app"}, true, []string{"example.com/m/testonly", "example.com/m/util", "example.com/m/util/inner", "example.com/m/winonly"}},
		{[]string{filepath.Join(dir, "app")}, false, []string{"example.com/m/util", "example.com/m/util/inner", "example.com/m/winonly"}},
		// A named package is not an extra one; testdata, _ and . directories are not walked.
		{[]string{"./app/...", "./util"}, false, []string{"example.com/m/util/inner", "example.com/m/winonly"}},
		{[]string{"./..."}, false, nil},
		{[]string{"./util/inner"}, false, nil},
		// Not directories: nothing is guessed.
		{[]string{"example.com/m/app"}, false, nil},
		{[]string{"./app", "std"}, false, nil},
		{[]string{"./a...p"}, false, nil},
		{[]string{"../outside"}, false, nil},
	} {
		got := peekModuleDeps(dir, tc.patterns, tc.tests)
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("peekModuleDeps(%q, tests=%v) = %q, want %q", tc.patterns, tc.tests, got, tc.want)
		}
	}
	if got := peekModuleDeps(t.TempDir(), []string{"."}, false); got != nil {
		t.Errorf("no go.mod: got %q, want nil", got)
	}
}

// TestRunWithPeekedDeps checks that a run on ./app, loaded together with
// the packages the peek guessed (one of which no build on this system
// includes), follows the weak value through util and inner, reports it (as the nonce and as Nonce's result)
// and names no package as not analysed.
func TestRunWithPeekedDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a module with go list")
	}
	dir := peekModule(t)
	var out strings.Builder
	n, err := Run([]string{"./app"}, Options{Dir: dir}, &out)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, &out)
	}
	if n != 2 || !strings.Contains(out.String(), "app.go:11:2: weak random value from math/rand.Int63 (via inner.Draw) reaches variable nonce") {
		t.Errorf("Run: %d findings, want the nonce and the result:\n%s", n, &out)
	}
}
