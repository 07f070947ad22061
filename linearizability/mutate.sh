#!/usr/bin/env bash
# mutate.sh [NAME...]: shows that the linearizability harness has teeth.
#   For each mutation in mutations/ (or the NAMEs given, e.g. single-use),
#   it copies the tree to a temporary directory, applies the patch there
#   (the tree itself is never changed), and runs TestLinearizability on the
#   mutated service: every mutation must make a history that is not
#   linearizable. It prints, per mutation and store, whether it was caught,
#   how many histories failed, and how far into the recording the first of
#   them began.
#
#   LINEARIZABILITY_DURATION (default 15s) is each store's recording time;
#   SECRETS_TEST_POSTGRES_URL set adds the PostgreSQL run, as in the test.
#   Exits 1 if any mutation went unnoticed, or a model it does not touch
#   failed (the log is then kept).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
export LINEARIZABILITY_DURATION=${LINEARIZABILITY_DURATION:-15s}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for p in "$here"/mutations/*.patch; do
		names+=("$(basename "$p" .patch)")
	done
fi

missed=0
for name in "${names[@]}"; do
	patch="$here/mutations/$name.patch"
	if [ ! -f "$patch" ]; then
		echo "mutate.sh: no mutation $name (the mutations are in $here/mutations)" >&2
		exit 2
	fi
	tmp=$(mktemp -d -t secrets-mutant.XXXXXX)
	# The tree as it is, untracked files too, without .git.
	(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$tmp")
	if ! (cd "$tmp" && git apply "$patch"); then
		echo "mutate.sh: $name does not apply to this tree any more; remake the patch" >&2
		rm -rf "$tmp"
		exit 2
	fi
	out="$tmp/test.log"
	began=$(date +%s)
	(cd "$tmp" && LINEARIZABILITY_OUT="$tmp/out" go test -count=1 -timeout 30m -run TestLinearizability -v ./linearizability) >"$out" 2>&1
	status=$?
	took=$(($(date +%s) - began))
	echo "== $name (recording $LINEARIZABILITY_DURATION per store; the whole run took ${took}s)"
	grep -o 'the [a-z ]* history on [A-Za-z]* is not linearizable.*into the recording' "$out" | sed 's/^/   caught: /'
	grep -o 'store=[A-Za-z]* model="[a-z ]*".*result=Ok' "$out" | sed 's/^/   passed: /'
	# A model that the mutation does not touch must still pass: a failure
	# there is a finding of its own (or a fault of the harness), kept.
	case $name in
	single-use) mine=tokens ;;
	attempt-count) mine=codes ;;
	remaining-uses) mine=keys ;;
	*) mine= ;;
	esac
	if [ -n "$mine" ] && grep -o 'the [a-z ]* history on' "$out" | grep -qv "the $mine history"; then
		echo "   UNEXPECTED: a model that $name does not touch failed; the log and visualizations are in $tmp"
		grep -A60 'the first history that fails' "$out" | head -80
		missed=1
		continue
	fi
	if [ $status -eq 0 ] || ! grep -q 'is not linearizable' "$out"; then
		echo "   NOT CAUGHT (exit status $status); the log is $out"
		grep -E '^\s+(--- FAIL|.*_test.go:[0-9]+: )' "$out" | head -20
		missed=1
		continue
	fi
	rm -rf "$tmp"
done
exit $missed
