package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// buildTool builds secretsvet into a temporary directory.
func buildTool(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and runs go vet")
	}
	bin := filepath.Join(t.TempDir(), "secretsvet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// module writes a one-file module with a math/rand reset token and a
// variable-time token comparison.
func module(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/bad\n\ngo 1.26\n",
		"bad.go": `package bad

import (
	"fmt"
	"math/rand"
)

func ResetToken() string { return fmt.Sprintf("%x", rand.Int63()) }

func Check(token, got string) bool { return got == token }

func Fixture() string {
	token := fmt.Sprint(rand.Int()) //secretsvet:ignore shown in docs only
	return token
}
`,
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestStandaloneExits3WithFindings(t *testing.T) {
	bin, dir := buildTool(t), module(t)
	for _, args := range [][]string{{"./..."}, {"-json", "./..."}} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if code := exitCode(err); code != 3 {
			t.Errorf("secretsvet %s: exit %d, want 3\n%s", strings.Join(args, " "), code, out)
		}
		for _, want := range []string{"bad.go:8", "bad.go:10", "ResetToken", "compares secret token"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("secretsvet %s output lacks %q:\n%s", strings.Join(args, " "), want, out)
			}
		}
		if strings.Contains(string(out), "bad.go:13") {
			t.Errorf("the line with //secretsvet:ignore was reported:\n%s", out)
		}
	}
}

func TestGoVetVettool(t *testing.T) {
	bin, dir := buildTool(t), module(t)
	cmd := exec.Command("go", "vet", "-vettool="+bin, "./...")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if exitCode(err) == 0 {
		t.Fatalf("go vet -vettool succeeded on bad code:\n%s", out)
	}
	for _, want := range []string{"bad.go:8", "weak random value from math/rand.Int63", "bad.go:10", "compares secret token"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("go vet output lacks %q:\n%s", want, out)
		}
	}
}

func TestCleanCodeExits0(t *testing.T) {
	bin := buildTool(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/ok\n\ngo 1.26\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "ok.go"), []byte("package ok\n\nimport \"math/rand\"\n\nfunc Jitter() int { return rand.Intn(9) }\n"), 0o600)
	for _, c := range [][]string{{bin, "./..."}, {"go", "vet", "-vettool=" + bin, "./..."}} {
		cmd := exec.Command(c[0], c[1:]...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
}

func TestMissingDirectoryExits2(t *testing.T) {
	bin, dir := buildTool(t), module(t)
	cmd := exec.Command(bin, "./nothere")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if code := exitCode(err); code != 2 || !strings.Contains(string(out), "nothere") {
		t.Errorf("exit %d, output %q: want 2 naming the pattern", code, out)
	}
}

// TestBrokenPackageIsNamedAndTheRestAnalysed runs secretsvet in-process on
// testdata/broken, a module whose package broken does not type-check: the
// findings in package good and in package user (which imports broken) are
// still reported, and broken is named once on stderr with its error.
func TestBrokenPackageIsNamedAndTheRestAnalysed(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a module with go list")
	}
	t.Chdir("testdata/broken")
	tests := []struct {
		args     []string
		code     int
		findings []string
	}{
		{[]string{"./..."}, 3, []string{"good.go:9:", "ResetToken", "user.go:6:", "compares secret token"}},
		{[]string{"-json", "./..."}, 3, []string{`"example.com/broken/good"`, `"example.com/broken/user"`}},
		{[]string{"./broken"}, 1, nil},
	}
	for _, tt := range tests {
		t.Run("secretsvet "+strings.Join(tt.args, " ")+" exits "+strconv.Itoa(tt.code), func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			all := stdout.String() + stderr.String()
			for _, want := range tt.findings {
				if !strings.Contains(all, want) {
					t.Errorf("output lacks %q:\n%s", want, all)
				}
			}
			if strings.Contains(stdout.String(), "broken.go") {
				t.Errorf("the broken package's error is on stdout:\n%s", &stdout)
			}
			const named = "secretsvet: example.com/broken/broken: not analysed: "
			if n := strings.Count(stderr.String(), named); n != 1 || !strings.Contains(stderr.String(), "broken.go:5:26: undefined: undefinedName") {
				t.Errorf("stderr names the broken package %d times, want once with its error:\n%s", n, &stderr)
			}
		})
	}
}

// TestSARIFIsValid runs secretsvet -sarif in-process on testdata/broken and
// validates the log against the published SARIF 2.1.0 schema: two results
// with locations relative to the module, and the broken package as an error
// notification of an unsuccessful invocation.
func TestSARIFIsValid(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a module with go list")
	}
	schemaFile, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer schemaFile.Close()
	doc, err := jsonschema.UnmarshalJSON(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const id = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}

	t.Chdir("testdata/broken")
	var stdout, stderr strings.Builder
	if code := run([]string{"-sarif", "./..."}, &stdout, &stderr); code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, &stderr)
	}
	log, err := jsonschema.UnmarshalJSON(strings.NewReader(stdout.String()))
	if err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, &stdout)
	}
	if err := schema.Validate(log); err != nil {
		t.Fatalf("the SARIF log does not follow the schema: %v\n%s", err, &stdout)
	}
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(strings.Replace(stdout.String(), `"level": "error"`, `"level": "fatal"`, 1)))
	if schema.Validate(bad) == nil {
		t.Fatal("the schema accepts a level that SARIF does not have: the validation proves nothing")
	}

	var got struct {
		Runs []struct {
			Invocations []struct {
				ExecutionSuccessful        bool
				ToolExecutionNotifications []struct{ Message struct{ Text string } }
			}
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI, URIBaseID string }
						Region           struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout.String()), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Runs) != 1 || len(got.Runs[0].Results) != 2 {
		t.Fatalf("want one run with two results:\n%s", &stdout)
	}
	var where []string
	for _, r := range got.Runs[0].Results {
		l := r.Locations[0].PhysicalLocation
		where = append(where, fmt.Sprintf("%s %s:%d:%d", r.RuleID, l.ArtifactLocation.URI, l.Region.StartLine, l.Region.StartColumn))
	}
	slices.Sort(where)
	if want := []string{"timingcompare user/user.go:6:43", "weakrand good/good.go:9:35"}; !slices.Equal(where, want) {
		t.Errorf("results at %q, want %q", where, want)
	}
	inv := got.Runs[0].Invocations[0]
	if inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 1 || !strings.Contains(inv.ToolExecutionNotifications[0].Message.Text, "example.com/broken/broken: not analysed") {
		t.Errorf("invocation %+v: want unsuccessful, naming the broken package", inv)
	}
}

// TestCrossPackage checks that a math/rand helper in one package is followed
// into its callers in another, both when the helper's package is named on
// the command line and when only the caller's is, and under go vet.
func TestCrossPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a module with go list")
	}
	wants := []string{
		"app.go:8:2: weak random value from math/rand.Intn (via util.GetRandomString) reaches variable nonce",
		"app.go:13:9: weak random value from math/rand.Int63 (via util.SetState) reaches the result of CSRFToken",
	}
	bin := buildTool(t)
	t.Chdir("testdata/crosspkg")
	for _, pattern := range []string{"./...", "./app"} {
		var stdout, stderr strings.Builder
		if code := run([]string{pattern}, &stdout, &stderr); code != 3 {
			t.Errorf("secretsvet %s: exit %d, want 3\n%s", pattern, code, &stderr)
		}
		for _, want := range wants {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("secretsvet %s: output lacks %q:\n%s", pattern, want, &stderr)
			}
		}
	}
	out, _ := exec.Command("go", "vet", "-vettool="+bin, "./app").CombinedOutput()
	for _, want := range wants {
		if !strings.Contains(string(out), want) {
			t.Errorf("go vet output lacks %q:\n%s", want, out)
		}
	}
}
