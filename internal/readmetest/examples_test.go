package readmetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/internal/backendtest"
)

// The files whose examples are run: README.md and docs/*.md.
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{filepath.Join(root, "README.md")}, files...)
}

// repoRoot is the module's root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at the repository root %s: %v", root, err)
	}
	return root
}

// parseDocs parses every doc file; the name of each is relative to root.
func parseDocs(t *testing.T, root string) map[string][]Block {
	t.Helper()
	docs := map[string][]Block{}
	for _, f := range docFiles(t, root) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(root, f)
		blocks, err := Parse(name, string(src))
		if err != nil {
			t.Fatal(err)
		}
		docs[name] = blocks
	}
	return docs
}

// TestEveryBlockIsRunOrMarked checks the rules of the package comment
// without running anything, so it holds even where the tools are missing.
func TestEveryBlockIsRunOrMarked(t *testing.T) {
	root := repoRoot(t)
	docs := parseDocs(t, root)
	for _, name := range slices.Sorted(maps.Keys(docs)) {
		for _, b := range docs[name] {
			for _, problem := range blockProblems(b) {
				t.Errorf("%s:%d: %s", name, b.Line, problem)
			}
		}
	}
}

// blockProblems returns what breaks the rules in b.
func blockProblems(b Block) []string {
	var problems []string
	if b.Marked && b.NotRun == "" {
		problems = append(problems, `"not run:" without a reason`)
	}
	switch b.Lang {
	case "sh":
		cmds, err := b.Commands()
		if err != nil {
			problems = append(problems, err.Error())
		}
		if len(cmds) == 0 {
			problems = append(problems, "an sh block without a command: use text for output")
		}
		for _, c := range cmds {
			if c.Marked && c.NotRun == "" {
				problems = append(problems, fmt.Sprintf(`line %d: "not run:" without a reason`, c.Line))
			}
		}
	case "go":
		if !b.Marked && !isProgram(b.Body) {
			problems = append(problems, "a go block that is not a whole program (package main) must be marked: ```go not run: REASON")
		}
	case "text":
	case "":
		problems = append(problems, "a fenced block without a language: sh for commands, go for a program, text for anything else")
	default:
		problems = append(problems, fmt.Sprintf("a block of language %q: use sh for commands, go for a program, text for anything else", b.Lang))
	}
	return problems
}

func isProgram(src string) bool {
	return regexp.MustCompile(`(?m)^package main$`).MatchString(src)
}

// TestExamples runs every example that is not marked, file by file.
func TestExamples(t *testing.T) {
	needTools(t, "bash", "curl", "jq", "python3", "sqlite3")
	root := repoRoot(t)
	docs := parseDocs(t, root)
	for _, name := range slices.Sorted(maps.Keys(docs)) {
		for _, b := range docs[name] {
			if len(blockProblems(b)) > 0 {
				t.Fatalf("%s:%d breaks the rules of the fenced blocks; see TestEveryBlockIsRunOrMarked", name, b.Line)
			}
		}
	}

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./cmd/secrets", "./cmd/secretsvet")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv := startServer(t, filepath.Join(bin, "secrets"), tmp)
	curlHome := filepath.Join(tmp, "curl")
	must(t, os.MkdirAll(curlHome, 0o755))
	// Each response's status on stderr, where the checks find it, whatever
	// the command does with the body.
	must(t, os.WriteFile(filepath.Join(curlHome, ".curlrc"), []byte("write-out = \"%{stderr}HTTP %{http_code}\\n\"\n"), 0o644))

	env := baseEnv(map[string]string{
		"PATH":      bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"ADMIN":     srv.admin,
		"GOBIN":     bin, // go install finds the binaries just built there, and need not link them again
		"CURL_HOME": curlHome,
	})
	var mu sync.Mutex
	matched := map[int]int{} // expectation index → commands it checked
	t.Run("files", func(t *testing.T) {
		for _, name := range slices.Sorted(maps.Keys(docs)) {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				f := &fileRun{t: t, root: root, name: name, env: env, server: srv.addr}
				got := f.run(docs[name])
				mu.Lock()
				defer mu.Unlock()
				for i, n := range got {
					matched[i] += n
				}
			})
		}
	})
	if t.Failed() || narrowed() {
		return
	}
	for i, e := range expectations {
		if matched[i] == 0 {
			t.Errorf("the expectation %q (%s) matched no command: the docs changed, so change the expectation", e.command, e.what)
		}
	}
}

// narrowed reports whether -run picks subtests or -skip skips some, so that
// not every file's commands ran.
func narrowed() bool {
	for _, a := range os.Args[1:] {
		if v, ok := strings.CutPrefix(a, "-test.run="); ok && strings.Contains(v, "/") {
			return true
		}
		if v, ok := strings.CutPrefix(a, "-test.skip="); ok && v != "" {
			return true
		}
	}
	return false
}

// needTools skips the test, or fails it under CI=true, when a tool is missing.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("the examples need %s, not found on PATH", strings.Join(missing, ", "))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: install it)")
	}
	t.Skip(msg + " (skipped; with CI=true this fails)")
}

// baseEnv is the test's environment without the service's own variables,
// with set on top.
func baseEnv(set map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; ok || strings.HasPrefix(k, "SECRETS_") && k != "SECRETS_TEST_POSTGRES_URL" {
			continue
		}
		env = append(env, kv)
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		env = append(env, k+"="+set[k])
	}
	return env
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// server is the `secrets serve` that the curl examples talk to.
type server struct {
	addr, admin string
}

// rootKeyFileLine is the log line of a start that made the root access
// key: the file's path, never the key.
var rootKeyFileLine = regexp.MustCompile(`msg="created the root access key[^"]*" file=\S+`)

// startServer starts bin serve on a new database in dir and a free port,
// with a root key of its own in SECRETS_ADMIN_KEY, and stops it at cleanup.
// The first start's key file is checked by the examples that start a
// server themselves.
func startServer(t *testing.T, bin, dir string) server {
	t.Helper()
	addr := freeAddr(t)
	admin := "readmetest_" + secrets.TokenURLSafe(32)
	cmd := exec.Command(bin, "serve", "--db", filepath.Join(dir, "x.db"), "--addr", addr)
	cmd.Env = baseEnv(map[string]string{"SECRETS_ADMIN_KEY": admin})
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	must(t, cmd.Start())
	var log bytes.Buffer
	var logMu sync.Mutex
	ready := make(chan struct{}, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "msg=listening") {
				ready <- struct{}{}
			}
			logMu.Lock()
			log.WriteString(line + "\n")
			logMu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { <-drained; done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("the test's server did not stop cleanly on SIGINT: %v", err)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("the test's server did not stop within 10 s of SIGINT")
		}
		logMu.Lock()
		defer logMu.Unlock()
		if strings.Contains(log.String(), admin) {
			t.Error("the test server's log holds its admin key")
		}
		if t.Failed() {
			t.Logf("the test server's log:\n%s", log.String())
		}
	})
	select {
	case <-ready:
		return server{addr: addr, admin: admin}
	case <-drained:
		t.Fatalf("secrets serve exited before listening:\n%s", log.String())
	case <-time.After(30 * time.Second):
		t.Fatal("secrets serve did not listen within 30 s")
	}
	panic("unreachable")
}

// fileRun runs the examples of one file in one bash session.
type fileRun struct {
	t       *testing.T
	root    string
	name    string
	env     []string
	server  string // address of the test's server
	scratch string
	out     string // per-command output files
	bash    *exec.Cmd
	stdin   io.WriteCloser
	lines   chan string
	n       int
}

// fixtures are the files of the scratch directory that the examples read.
var fixtures = map[string]string{
	"secret.txt": "JBSWY3DPEHPK3PXP\n",
	"pw.txt":     "correct horse battery staple\n",
	"guess.txt":  "Tr0ub4dor&3\n",
	"names.txt":  "alice\nbob\ncarol\n",
	"words.txt":  "apple\nbanana\ncherry\ndamson\nelder\nfig\n",
}

// run runs the blocks of the file and returns how many commands each
// expectation checked.
func (f *fileRun) run(blocks []Block) map[int]int {
	t := f.t
	dir := t.TempDir()
	f.scratch = filepath.Join(dir, "scratch")
	f.out = filepath.Join(dir, "out")
	must(t, os.MkdirAll(f.scratch, 0o755))
	must(t, os.MkdirAll(f.out, 0o755))
	for name, content := range fixtures {
		must(t, os.WriteFile(filepath.Join(f.scratch, name), []byte(content), 0o600))
	}
	f.start()
	defer f.stop()

	matched := map[int]int{}
	for _, b := range blocks {
		if b.Marked {
			continue
		}
		switch b.Lang {
		case "sh":
			cmds, _ := b.Commands()
			for _, c := range cmds {
				if c.Marked {
					continue
				}
				for _, i := range f.command(c) {
					matched[i]++
				}
			}
		case "go":
			f.program(b)
		}
	}
	return matched
}

// start starts the file's bash session: job control, so that a server in
// the background gets a process group of its own, and pipefail.
func (f *fileRun) start() {
	t := f.t
	f.bash = exec.Command("bash", "--noprofile", "--norc", "-s")
	f.bash.Dir = f.scratch
	f.bash.Env = append(slices.Clone(f.env), "SECRETS_DB="+filepath.Join(f.scratch, "secrets.db"))
	f.bash.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var err error
	if f.stdin, err = f.bash.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := f.bash.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	bashErr, err := os.Create(filepath.Join(f.out, "bash.err"))
	if err != nil {
		t.Fatal(err)
	}
	f.bash.Stderr = bashErr
	must(t, f.bash.Start())
	bashErr.Close()
	f.lines = make(chan string, 16)
	go func() {
		defer close(f.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			f.lines <- sc.Text()
		}
	}()
	f.send("set -m -o pipefail")
}

func (f *fileRun) stop() {
	f.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- f.bash.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-f.bash.Process.Pid, syscall.SIGKILL)
		<-done
		f.t.Error("the bash session did not end within 10 s of its input")
	}
}

func (f *fileRun) send(script string) {
	if _, err := io.WriteString(f.stdin, script+"\n"); err != nil {
		f.t.Fatalf("write to bash: %v", err)
	}
}

// await returns the value of the next line that starts with prefix.
func (f *fileRun) await(prefix string, timeout time.Duration) (string, error) {
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-f.lines:
			if !ok {
				return "", errors.New("bash exited")
			}
			if v, found := strings.CutPrefix(line, prefix); found {
				return v, nil
			}
		case <-deadline:
			return "", fmt.Errorf("no answer within %v", timeout)
		}
	}
}

// result is what one command did.
type result struct {
	status   int
	stdout   []byte
	stderr   []byte
	http     []int  // the status of every response curl got
	scratch  string // the scratch directory
	skipped  string // why it was not run
	problem  string // what went wrong with a server, found by the test
	serveLog []byte
}

func (r result) String() string {
	return fmt.Sprintf("exit status %d\nstdout:\n%s\nstderr:\n%s", r.status, clip(r.stdout), clip(r.stderr))
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "\n…"
	}
	return string(b)
}

var (
	serveCommand = regexp.MustCompile(`^(secrets|go run \./cmd/secrets) serve\b`)
	addrFlag     = regexp.MustCompile(`--addr[ =]\S+`)
	postgresURL  = regexp.MustCompile(`'?postgres(ql)?://[^\s']+'?`)
	httpStatus   = regexp.MustCompile(`(?m)^HTTP (\d{3})$`)
)

// inRepository reports whether a command works on the repository's own
// files, and so runs in its root.
func inRepository(plain string) bool {
	first, _, _ := strings.Cut(plain, " ")
	return first == "go" || strings.HasPrefix(first, "./") || strings.HasPrefix(first, "bench/") ||
		strings.Contains(plain, "./...")
}

// command runs c and checks it; it returns the expectations that applied.
func (f *fileRun) command(c Command) []int {
	t := f.t
	where := fmt.Sprintf("%s:%d: %s", f.name, c.Line, c.Plain)
	dir := f.scratch
	if inRepository(c.Plain) {
		dir = f.root
	}
	var r result
	start := time.Now()
	if serveCommand.MatchString(c.Plain) && !strings.Contains(c.Plain, "--help") {
		r = f.serve(c, dir)
	} else {
		r = f.shell(strings.ReplaceAll(c.Text, "127.0.0.1:8427", f.server), dir)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Logf("%s: took %v", where, d.Round(100*time.Millisecond)) // the whole test should stay under a minute
	}
	if r.skipped != "" {
		t.Logf("%s: skipped: %s", where, r.skipped)
		return nil
	}
	r.scratch = f.scratch
	for _, m := range httpStatus.FindAllStringSubmatch(string(r.stderr), -1) {
		code, _ := strconv.Atoi(m[1])
		r.http = append(r.http, code)
	}
	var applied []int
	var checks []func(result) error
	for i, e := range expectations {
		if e.re.MatchString(c.Plain) {
			applied = append(applied, i)
			checks = append(checks, e.check)
		}
	}
	if !slices.ContainsFunc(applied, func(i int) bool { return expectations[i].status }) {
		checks = append([]func(result) error{exitsZero}, checks...)
	}
	checks = append([]func(result) error{serverProblem}, checks...)
	checks = append(checks, httpOK)
	for _, check := range checks {
		if err := check(r); err != nil {
			t.Errorf("%s\n%v\n%v", where, err, r)
			if len(r.serveLog) > 0 {
				t.Logf("its log:\n%s", clip(r.serveLog))
			}
			break
		}
	}
	return applied
}

// shell runs script in the session and returns what it did.
func (f *fileRun) shell(script, dir string) result {
	f.n++
	base := filepath.Join(f.out, strconv.Itoa(f.n))
	f.send(fmt.Sprintf("cd %s\n{\n%s\n} >%s 2>%s </dev/null\necho \"@@done $?\"",
		quote(dir), script, quote(base+".out"), quote(base+".err")))
	v, err := f.await("@@done ", 60*time.Second)
	if err != nil {
		f.t.Fatalf("%s: %v (bash's own stderr: %s)", script, err, readFile(filepath.Join(f.out, "bash.err")))
	}
	status, _ := strconv.Atoi(v)
	return result{status: status, stdout: readFile(base + ".out"), stderr: readFile(base + ".err")}
}

// serve runs a serve command in the background on a free port, asks it for
// /healthz and stops it with SIGINT.
func (f *fileRun) serve(c Command, dir string) result {
	t := f.t
	addr := freeAddr(t)
	script := addrFlag.ReplaceAllString(c.Text, "--addr "+addr)
	script = strings.ReplaceAll(script, "127.0.0.1:8427", addr)
	if postgresURL.MatchString(script) {
		u, reason := postgresSchema(t)
		if u == "" {
			return result{skipped: reason}
		}
		script = postgresURL.ReplaceAllLiteralString(script, quote(u))
	}
	f.n++
	base := filepath.Join(f.out, strconv.Itoa(f.n))
	f.send(fmt.Sprintf("cd %s\nexport SECRETS_ADDR=%s\n{\n%s\n} >%s 2>%s </dev/null &\necho \"@@pid $!\"",
		quote(dir), addr, script, quote(base+".out"), quote(base+".err")))
	v, err := f.await("@@pid ", 10*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	pid, _ := strconv.Atoi(v)
	var problem string
	listening := false
	for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if bytes.Contains(readFile(base+".err"), []byte("msg=listening")) {
			listening = true
			break
		}
		if syscall.Kill(pid, 0) != nil {
			break // it exited
		}
	}
	if listening {
		if code, err := get("http://" + addr + "/healthz"); err != nil {
			problem = fmt.Sprintf("GET /healthz: %v", err)
		} else if code != http.StatusOK {
			problem = fmt.Sprintf("GET /healthz answered %d", code)
		}
	} else {
		problem = "it never logged msg=listening"
	}
	_ = syscall.Kill(-pid, syscall.SIGINT)
	f.send(fmt.Sprintf("wait %d\necho \"@@done $?\"", pid))
	v, err = f.await("@@done ", 15*time.Second)
	if err != nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		t.Fatalf("%s: did not stop within 15 s of SIGINT: %v", script, err)
	}
	status, _ := strconv.Atoi(v)
	r := result{status: status, stdout: readFile(base + ".out"), serveLog: readFile(base + ".err")}
	if problem == "" && !bytes.Contains(r.serveLog, []byte("msg=stopped")) {
		problem = "it did not log msg=stopped after SIGINT"
	}
	if strings.HasPrefix(c.Plain, "go run ") {
		// go run exits 1 after an interrupt, whatever the program's exit
		// status; msg=stopped in the log shows the program's clean stop.
		r.status = 0
	}
	r.problem = problem
	return r
}

func get(u string) (int, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// postgresSchema returns SECRETS_TEST_POSTGRES_URL on a new schema, dropped
// at cleanup, or "" and why not.
func postgresSchema(t *testing.T) (string, string) {
	base := os.Getenv("SECRETS_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Error("CI=true but SECRETS_TEST_POSTGRES_URL is not set: the PostgreSQL examples cannot run")
		}
		return "", "SECRETS_TEST_POSTGRES_URL is not set"
	}
	return backendtest.Postgres(nil).NewDB(t).DSN, ""
}

// program builds the Go program of b against this module and runs it in
// the scratch directory.
func (f *fileRun) program(b Block) {
	t := f.t
	where := fmt.Sprintf("%s:%d: the Go program", f.name, b.Line)
	dir := filepath.Join(t.TempDir(), "prog")
	must(t, os.MkdirAll(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(b.Body+"\n"), 0o644))
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "prog"), filepath.Join(dir, "main.go"))
	build.Dir = f.root
	if out, err := build.CombinedOutput(); err != nil {
		t.Errorf("%s does not build: %v\n%s", where, err, out)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := exec.CommandContext(ctx, filepath.Join(dir, "prog"))
	run.Dir = f.scratch
	run.Env = f.env
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	err := run.Run()
	if err != nil || stderr.Len() > 0 {
		t.Errorf("%s: %v\nstdout:\n%s\nstderr:\n%s", where, err, clip(stdout.Bytes()), clip(stderr.Bytes()))
	}
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func readFile(name string) []byte {
	b, _ := os.ReadFile(name)
	return b
}

// An expectation checks the commands whose Plain form matches command.
type expectation struct {
	command string // a regular expression
	what    string // the claim it checks
	status  bool   // check sets the exit status's rule itself
	check   func(result) error
	re      *regexp.Regexp
}

// expectations check what the docs claim of an output. Each must match at
// least one command, so that none outlives its example.
var expectations = func() []expectation {
	es := []expectation{
		{command: `^secrets urlsafe$`, what: "43 URL-safe characters", check: lineMatches(`^[A-Za-z0-9_-]{43}$`, 1)},
		{command: `^secrets hex 16$`, what: "32 hex characters", check: lineMatches(`^[0-9a-f]{32}$`, 1)},
		{command: `^secrets bytes 32 > key\.bin$`, what: "32 bytes in key.bin", check: fileSize("key.bin", 32)},
		{command: `^secrets urlsafe 32 --count 1000000 > tokens$`, what: "a million tokens", check: fileLines("tokens", 1000000, 43)},
		{command: `^secrets randbelow 1000000$`, what: "an integer in [0, 1000000)", check: intBelow(1000000)},
		{command: `^secrets otp --digits 6$`, what: "6 digits", check: lineMatches(`^[0-9]{6}$`, 1)},
		{command: `^secrets passphrase$`, what: "6 words", check: lineMatches(`^[a-z-]+( [a-z-]+){5}$`, 1)},
		{command: `^secrets password$`, what: "20 printable ASCII characters", check: lineMatches(`^[!-~]{20}$`, 1)},
		{command: `--png alice\.png$`, what: "a PNG file of mode 0600", check: fileMode("alice.png", 0o600)},
		{command: `^secrets totp code GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --time 59$`, what: "the RFC 6238 code 287082", check: lineMatches(`^287082$`, 1)},
		{command: `^secrets totp verify `, what: "exit 0 valid, 1 invalid", status: true, check: statusIn(0, 1)},
		{command: `^secrets apikey check `, what: "a well-formed key", check: contains("well formed")},
		{command: `\| secrets crack mt19937 --next 5$`, what: "5 predictions", check: lineMatches(`^[0-9]+$`, 5)},
		{command: `^go run \./cmd/secrets serve$`, what: "the first start writes the root key and the pepper to files of mode 0600 and logs only the key file's path",
			check: all(logMatches(rootKeyFileLine, true), logLacks("sak_"), fileMode("secrets.db.admin-key", 0o600), fileMode("secrets.db.pepper", 0o600))},
		{command: `^secrets serve$`, what: "later starts make no root key", check: logMatches(rootKeyFileLine, false)},
		{command: `^secrets access create --name checkout `, what: "one access key on stdout", check: lineMatches(`^sak_[0-9A-Za-z]{49}$`, 1)},
		{command: `^secrets hex 32 >> secrets\.db\.pepper$`, what: "a second pepper in the file", check: fileMatches("secrets.db.pepper", `^[0-9a-f]{64}$`, 2)},
		{command: `^curl -sS http://127\.0\.0\.1:8427/healthz$`, what: `{"status":"ok"}`, check: jsonField("status", "ok")},
		{command: `/v1/keys/verify$`, what: "a valid key", check: jsonField("status", "VALID")},
		{command: `/v1/tokens/redeem$`, what: "a token redeemed once", check: jsonField("status", "VALID")},
		{command: `/v1/codes/verify$`, what: "an approved code", check: jsonField("status", "APPROVED")},
		{command: `^secrets keys create --server .* > acme\.key$`, what: "one key on stdout, into acme.key", check: fileMatches("acme.key", `^sk_live_[0-9A-Za-z]+$`, 1)},
		{command: `^secrets keys verify --server .* < acme\.key$`, what: "a valid key, exit 0", check: contains("VALID")},
	}
	for i := range es {
		es[i].re = regexp.MustCompile(es[i].command)
	}
	return es
}()

func serverProblem(r result) error {
	if r.problem != "" {
		return errors.New(r.problem)
	}
	return nil
}

func exitsZero(r result) error {
	if r.status != 0 {
		return fmt.Errorf("exit status %d, want 0", r.status)
	}
	return nil
}

func httpOK(r result) error {
	for _, code := range r.http {
		if code < 200 || code > 299 {
			return fmt.Errorf("an HTTP response was %d, want 2xx", code)
		}
	}
	return nil
}

func statusIn(codes ...int) func(result) error {
	return func(r result) error {
		if !slices.Contains(codes, r.status) {
			return fmt.Errorf("exit status %d, want one of %v", r.status, codes)
		}
		return nil
	}
}

// lineMatches wants n lines of output, each matching pattern.
func lineMatches(pattern string, n int) func(result) error {
	re := regexp.MustCompile(pattern)
	return func(r result) error {
		lines := strings.Split(strings.TrimSuffix(string(r.stdout), "\n"), "\n")
		if len(lines) != n {
			return fmt.Errorf("%d lines of output, want %d", len(lines), n)
		}
		for _, l := range lines {
			if !re.MatchString(l) {
				return fmt.Errorf("output line %q does not match %s", l, pattern)
			}
		}
		return nil
	}
}

// all runs every check, and returns the first failure.
func all(checks ...func(result) error) func(result) error {
	return func(r result) error {
		for _, c := range checks {
			if err := c(r); err != nil {
				return err
			}
		}
		return nil
	}
}

// logLacks wants a serve command's log not to hold s.
func logLacks(s string) func(result) error {
	return func(r result) error {
		if bytes.Contains(r.serveLog, []byte(s)) {
			return fmt.Errorf("its log holds %q", s)
		}
		return nil
	}
}

// logMatches wants a serve command's log to match re, or not to.
func logMatches(re *regexp.Regexp, want bool) func(result) error {
	return func(r result) error {
		if re.Match(r.serveLog) != want {
			return fmt.Errorf("its log matches %s: %v, want %v", re, !want, want)
		}
		return nil
	}
}

func contains(s string) func(result) error {
	return func(r result) error {
		if !bytes.Contains(r.stdout, []byte(s)) {
			return fmt.Errorf("the output does not say %q", s)
		}
		return nil
	}
}

func intBelow(n int64) func(result) error {
	return func(r result) error {
		v, err := strconv.ParseInt(strings.TrimSpace(string(r.stdout)), 10, 64)
		if err != nil || v < 0 || v >= n {
			return fmt.Errorf("the output is not an integer in [0, %d)", n)
		}
		return nil
	}
}

func fileSize(name string, size int64) func(result) error {
	return func(r result) error {
		fi, err := os.Stat(filepath.Join(r.scratch, name))
		if err != nil {
			return err
		}
		if fi.Size() != size {
			return fmt.Errorf("%s has %d bytes, want %d", name, fi.Size(), size)
		}
		return nil
	}
}

func fileMode(name string, mode os.FileMode) func(result) error {
	return func(r result) error {
		fi, err := os.Stat(filepath.Join(r.scratch, name))
		if err != nil {
			return err
		}
		if fi.Mode().Perm() != mode {
			return fmt.Errorf("%s has mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
		return nil
	}
}

// fileMatches wants n lines of the file to match pattern.
func fileMatches(name, pattern string, n int) func(result) error {
	re := regexp.MustCompile(pattern)
	return func(r result) error {
		b, err := os.ReadFile(filepath.Join(r.scratch, name))
		if err != nil {
			return err
		}
		got := 0
		for _, l := range strings.Split(string(b), "\n") {
			if re.MatchString(l) {
				got++
			}
		}
		if got != n {
			return fmt.Errorf("%s has %d lines that match %s, want %d", name, got, pattern, n)
		}
		return nil
	}
}

// fileLines wants n lines of width characters each in the file.
func fileLines(name string, n, width int) func(result) error {
	return func(r result) error {
		b, err := os.ReadFile(filepath.Join(r.scratch, name))
		if err != nil {
			return err
		}
		if got := bytes.Count(b, []byte("\n")); got != n || len(b) != n*(width+1) {
			return fmt.Errorf("%s has %d lines and %d bytes, want %d lines of %d characters", name, got, len(b), n, width)
		}
		return nil
	}
}

// jsonField wants a JSON object on stdout whose field has the value want.
func jsonField(field, want string) func(result) error {
	return func(r result) error {
		var v map[string]any
		if err := json.Unmarshal(r.stdout, &v); err != nil {
			return fmt.Errorf("the output is not a JSON object: %v", err)
		}
		if got := fmt.Sprint(v[field]); got != want {
			return fmt.Errorf("%q is %q, want %q", field, got, want)
		}
		return nil
	}
}
