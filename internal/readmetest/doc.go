// Package readmetest runs the examples of README.md and docs/*.md, so that
// none of them can rot. The package holds the parser of those files; its
// tests check every fenced block, then build the commands, start a server
// and run every example.
//
// # Fenced blocks
//
// Every fenced code block names its language, which says what the test
// does with it:
//
//   - sh: shell commands; each is run and checked (see below).
//   - go: a complete program (package main), built against this module and
//     run; it must exit 0 and write nothing on standard error.
//   - text: output, tables and anything else that is not a command; not run.
//
// An example that cannot be run as written carries an explicit marker with
// its reason:
//
//   - one command: a trailing comment that contains "not run: REASON",
//     as in `… | dieharder -g 200 -a   # not run: needs dieharder and an hour`;
//   - a whole block: the same words after the language in the fence's info
//     string, as in "```sh not run: each run takes minutes" (not shown on
//     a rendered page).
//
// A block of another language or of none, a go block that is not a whole
// program, a marker without a reason, and a command that is neither run nor
// marked fail the test.
//
// # How the commands run
//
// The secrets and secretsvet commands are built with go build and come
// first on PATH. Each file gets one bash session, so a variable set by one
// command (KEY=$(…)) is there for the next, with pipefail set and standard
// input from /dev/null. Commands that work on the repository's files (those
// that start with go, ./ or bench/, or name a ./... pattern) run in the
// repository's root; all others run in a scratch directory that holds
// secret.txt (a TOTP secret), pw.txt and guess.txt (a password), names.txt
// and words.txt. The environment holds ADMIN, the root key (SECRETS_ADMIN_KEY)
// of a server the test started on a free port (whose address replaces 127.0.0.1:8427 in
// every command); SECRETS_DB, a database in the scratch directory (so `go run
// ./cmd/secrets serve` in the repository leaves no file there); GOBIN, the
// directory of the commands just built (so go install has nothing left to
// link); and a curl configuration that reports each response's status on
// standard error.
//
// A command passes when it exits 0 and every HTTP response it got was 2xx,
// unless an entry of the test's expectations says otherwise; those entries
// also check outputs where the text makes a claim (43 characters, the RFC
// 6238 code, a VALID redemption), and each must match some command.
//
// A `secrets serve` command (or `go run ./cmd/secrets serve`) runs in the
// background on a free port of its own (its --addr and SECRETS_ADDR are
// replaced), with a postgres:// URL replaced by SECRETS_TEST_POSTGRES_URL on
// a new schema (skipped, saying so, without it). It passes when it answers
// GET /healthz with 200 and stops cleanly on SIGINT (logging msg=stopped;
// the exit status of go run, which is 1 after any interrupt, is not
// checked). Expectations may check its log, such as whether it made a
// root key, and the files it made.
//
// The test needs bash, curl, jq, python3 and sqlite3. Without one it skips,
// saying which, unless CI=true, where it fails.
package readmetest
