#!/usr/bin/env bash
# test.sh: the project's whole check, as CI runs it.
#   gofmt (no file may need formatting), go vet, secretsvet, and every test with the race
#   detector. PostgreSQL tests run when SECRETS_TEST_POSTGRES_URL is set
#   (.ci/run sets it to the local server) and skip, saying so, otherwise.
# Extra arguments go to go test, e.g. ./test.sh -run TestRandBelow ./...
set -uo pipefail
cd "$(dirname "$0")"

fail=0
unformatted=$(gofmt -l . | grep -v '/testdata/' || true)
if [ -n "$unformatted" ]; then
	echo "gofmt: these files need formatting (run gofmt -w):"
	echo "$unformatted"
	fail=1
fi

echo "== go vet ./..."
go vet ./... || fail=1

# The project's own analyzers on the project: no weak randomness, no
# variable-time comparison of secrets, no short tokens.
echo "== secretsvet ./..."
go run ./cmd/secretsvet ./... || fail=1

args=("$@")
[ ${#args[@]} -eq 0 ] && args=(./...)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "== go test -race ${args[*]}"
go test -race -count=1 -v "${args[@]}" > "$log" 2>&1
status=$?
# Package results, then every failure in full.
grep -E '^(ok|FAIL|\?|panic:)' "$log"
if [ $status -ne 0 ]; then
	echo
	echo "== failures"
	grep -E -B3 -A25 -- '--- FAIL|^panic:|build failed|\[setup failed\]' "$log" | head -400
	fail=1
fi
passed=$(grep -cE -- '^ *--- PASS' "$log")
failed=$(grep -cE -- '^ *--- FAIL' "$log")
skipped=$(grep -cE -- '^ *--- SKIP' "$log")
echo
grep -E -A1 -- '^ *--- SKIP' "$log" | grep -vE -- '^ *--- SKIP|^--$' | sed 's/^ */skipped: /' | sort | uniq -c | sort -rn | head -10
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $fail
