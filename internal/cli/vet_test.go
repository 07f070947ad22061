package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vetModule writes a one-package module to a temporary directory, makes it
// the working directory, and returns it.
func vetModule(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/m\n\ngo 1.26\n")
	writeFile(t, filepath.Join(dir, "m.go"), src)
	t.Chdir(dir)
	return dir
}

const vetBad = `package m

import (
	"fmt"
	"math/rand"
)

func NewResetToken() string { return fmt.Sprintf("%x", rand.Int63()) }

func Check(token, got string) bool { return got == token }
`

func TestVetReportsFindingsWithExitStatus3(t *testing.T) {
	vetModule(t, vetBad)
	r := run(t, "", "vet", "./...")
	if r.code != exitFindings {
		t.Fatalf("exit status %d, want %d (stderr %q)", r.code, exitFindings, r.err)
	}
	for _, want := range []string{"m.go:8:", "math/rand.Int63 reaches the result of NewResetToken", "m.go:10:", "== compares secret token"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output %q does not contain %q", r.out, want)
		}
	}
	if r.err != "secrets: vet: 2 findings\n" {
		t.Errorf("stderr %q, want the count of findings", r.err)
	}
}

func TestVetWritesJSON(t *testing.T) {
	vetModule(t, vetBad)
	r := run(t, "", "vet", "--json", "./...")
	if r.code != exitFindings {
		t.Fatalf("exit status %d, want %d", r.code, exitFindings)
	}
	var tree map[string]map[string][]struct {
		Posn, Message string
	}
	if err := json.Unmarshal([]byte(r.out), &tree); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.out)
	}
	pkg := tree["example.com/m"]
	if len(pkg["weakrand"]) != 1 || len(pkg["timingcompare"]) != 1 {
		t.Errorf("JSON findings %+v, want one weakrand and one timingcompare", pkg)
	}
}

func TestVetOfCleanCodeExits0(t *testing.T) {
	vetModule(t, `package m

import "math/rand"

func Jitter() int { return rand.Intn(100) }
`)
	if out := mustRun(t, "vet", "./..."); out != "" {
		t.Errorf("output %q, want nothing", out)
	}
}

func TestVetOfBrokenCodeIsAFailure(t *testing.T) {
	dir := vetModule(t, "package m\n\nfunc f() int { return undefined }\n")
	r := run(t, "", "vet", "./...")
	if r.code != exitFailure || !strings.Contains(r.err, "undefined") {
		t.Errorf("exit %d, stderr %q: want status 1 naming the type error", r.code, r.err)
	}
	_ = os.Remove(filepath.Join(dir, "m.go"))
}

func TestVetOfAMissingDirectoryIsAUsageError(t *testing.T) {
	vetModule(t, "package m\n")
	wantUsageError(t, run(t, "", "vet", "./nothere"), "nothere")
}

func TestVetOfAModuleWithOneBrokenPackageReportsTheRest(t *testing.T) {
	dir := vetModule(t, vetBad)
	if err := os.Mkdir(filepath.Join(dir, "broken"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "broken", "broken.go"), "package broken\n\nfunc f() int { return undefined }\n")
	r := run(t, "", "vet", "./...")
	if r.code != exitFindings {
		t.Fatalf("exit status %d, want %d (stderr %q)", r.code, exitFindings, r.err)
	}
	if !strings.Contains(r.out, "m.go:8:") || !strings.Contains(r.out, "m.go:10:") {
		t.Errorf("output %q lacks the findings in the package that type-checks", r.out)
	}
	if !strings.Contains(r.err, "secrets: vet: example.com/m/broken: not analysed: ") || !strings.Contains(r.err, "undefined: undefined") {
		t.Errorf("stderr %q does not name the broken package and its error", r.err)
	}
}
