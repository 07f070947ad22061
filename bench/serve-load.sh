#!/usr/bin/env bash
# bench/serve-load.sh: HTTP load on "secrets serve", beside the HTTP ceiling.
#
#   bench/serve-load.sh [sqlite|postgres|both]      (default both)
#
# Environment: CONNS (64), THREADS (2), DURATION (5s per run), ROUNDS (3),
# SPORT and CPORT (the ports of the service and the ceiling, 8431 and 8499), KEYS (plain keys the verify runs cycle through, 1000), TOKENS (fresh tokens to issue for the redeem runs, 210000, split evenly
# between the rounds), VERIFY_ONLY (1: only the plain-key verify runs, with and without analytics; TOKENS and CODES then default to a few), CODES (subjects with a live code, 3000), SECRETS_TEST_POSTGRES_URL (the PostgreSQL server;
# the run makes and drops a schema of its own).
#
# Each workload calls with an access key that holds only its scope
# (keys:verify, tokens:verify, codes:verify); AS_ROOT=1 calls with the root
# key instead, to compare.
# Workloads, each run with wrk at $CONNS connections for $DURATION:
#   verify  POST /v1/keys/verify of plain keys (no use count, no rate limit),
#           cycling through $KEYS of them, so no lookup repeats the last
#   redeem  POST /v1/tokens/redeem, every request a fresh token
#   codes   POST /v1/codes/verify, a wrong guess of the right length (six
#           digits) at a live code, spread over $CODES subjects with 100
#           attempts and a failure budget of 100 each: every check counts
#           an attempt and a failure
# Each run of the service alternates with the same wrk script against
# bench/ceiling, a bare net/http JSON handler on the same machine, for
# $ROUNDS rounds; the table gives the median of each side and the ratio of
# the medians, and lists the ratio of each round, since other work on the
# shared cores comes and goes between runs. Everything listens on
# 127.0.0.1 only. The server runs with --quiet-requests (no log line per
# request); one more verify run keeps the request log on (to /dev/null) to
# show what it costs, and one more with --analytics=false shows what the
# usage analytics cost (docs/ANALYTICS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

WHICH=${1:-both}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
KEYS=${KEYS:-1000}
VERIFY_ONLY=${VERIFY_ONLY:-0}
if [ "$VERIFY_ONLY" = 1 ]; then # no redeem or code runs: prepare only a few
	TOKENS=${TOKENS:-$((ROUNDS * 10))}
	CODES=${CODES:-10}
fi
TOKENS=${TOKENS:-210000}
CODES=${CODES:-3000}
SPORT=${SPORT:-8431}
CPORT=${CPORT:-8499}

command -v wrk >/dev/null || { echo "serve-load: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/secrets" ./cmd/secrets
go build -o "$tmp/ceiling" ./bench/ceiling
go build -o "$tmp/serveprep" ./bench/serveprep

export BENCH_DIR=$tmp BENCH_THREADS=$THREADS
export BENCH_ADMIN="bench-admin-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"

cat > "$tmp/common.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_ADMIN")
local counter = 0
function setup(thread)
	thread:set("id", counter)
	counter = counter + 1
end
-- lines returns this thread's share of a file's lines.
function lines(name)
	local n, mine, nthreads = 0, {}, tonumber(os.getenv("BENCH_THREADS"))
	for line in io.lines(os.getenv("BENCH_DIR") .. "/" .. name) do
		if n % nthreads == id then mine[#mine + 1] = line end
		n = n + 1
	end
	return mine
end
LUA
cat > "$tmp/verify.lua" <<'LUA'
dofile(os.getenv("BENCH_DIR") .. "/common.lua")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_VERIFY_KEY")
function init(args)
	keys, i = lines("keys.txt"), 0
end
function request()
	i = i + 1
	return wrk.format(nil, "/v1/keys/verify", nil, '{"key":"' .. keys[((i - 1) % #keys) + 1] .. '"}')
end
LUA
cat > "$tmp/redeem.lua" <<'LUA'
dofile(os.getenv("BENCH_DIR") .. "/common.lua")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKENS_KEY")
function init(args)
	tokens, i = lines(string.format("tokens-%02d", tonumber(os.getenv("BENCH_ROUND")))), 0
end
function request()
	i = i + 1
	local t = tokens[((i - 1) % #tokens) + 1]
	return wrk.format(nil, "/v1/tokens/redeem", nil, '{"purpose":"bench","token":"' .. t .. '"}')
end
LUA
cat > "$tmp/codes.lua" <<'LUA'
dofile(os.getenv("BENCH_DIR") .. "/common.lua")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_CODES_KEY")
function init(args)
	subjects, i = lines("subjects.txt"), 0
end
function request()
	i = i + 1
	local s = subjects[((i - 1) % #subjects) + 1]
	return wrk.format(nil, "/v1/codes/verify", nil, '{"purpose":"bench","subject":"' .. s .. '","code":"000000"}')
end
LUA

# wrkrun PORT SCRIPT: prints "req/s p50_ms p99_ms" of one wrk run.
wrkrun() {
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$tmp/$2" "http://127.0.0.1:$1" > "$tmp/wrk.out" 2>&1 || { cat "$tmp/wrk.out" >&2; exit 1; }
	if grep -q "Non-2xx" "$tmp/wrk.out"; then
		echo "serve-load: non-2xx answers:" >&2; cat "$tmp/wrk.out" >&2; exit 1
	fi
	awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec:/ { rps = $2 }
		END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }' "$tmp/wrk.out"
}

waitfor() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1$2" && return 0; sleep 0.1; done; echo "serve-load: nothing on port $1" >&2; exit 1; }

# outcome OPERATION STATUS: the count of a verify outcome from /metrics.
outcome() {
	curl -fs -H "Authorization: Bearer $BENCH_ADMIN" "http://127.0.0.1:$SPORT/metrics" | awk -v op="$1" -v st="$2" '
		index($0, "secrets_verify_outcomes_total{operation=\"" op "\",status=\"" st "\"}") == 1 { n = $2 } END { print n + 0 }'
}

"$tmp/ceiling" -addr "127.0.0.1:$CPORT" 2>/dev/null & pids+=($!)
waitfor $CPORT / 

# compare NAME SCRIPT: $ROUNDS rounds of ceiling then service; prints a
# markdown row of medians, the ratio of medians and each round's ratios.
compare() {
	local name=$1 script=$2 r
	: > "$tmp/ceil.txt"
	: > "$tmp/serve.txt"
	for r in $(seq "$ROUNDS"); do
		export BENCH_ROUND=$((r - 1))
		wrkrun $CPORT "$script" >> "$tmp/ceil.txt"
		wrkrun $SPORT "$script" >> "$tmp/serve.txt"
	done
	paste -d' ' "$tmp/ceil.txt" "$tmp/serve.txt" | awk -v n="$name" '
		function median(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }; return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
		{ k++; cr[k] = $1; c5[k] = $2; c9[k] = $3; sr[k] = $4; s5[k] = $5; s9[k] = $6; rounds = rounds (k > 1 ? " " : "") sprintf("%.2f", $4 / $1) }
		END {
			CR = median(cr, k); C5 = median(c5, k); C9 = median(c9, k); SR = median(sr, k); S5 = median(s5, k); S9 = median(s9, k)
			printf "| %s | %d | %.2f | %.2f | %d | %.2f | %.2f | **%.2fx** | %.2fx | %s |\n", n, CR, C5, C9, SR, S5, S9, SR / CR, S9 / C9, rounds
		}'
}

# access_key SCOPE: a new access key holding only SCOPE, on every namespace.
access_key() {
	curl -fs -H "Authorization: Bearer $BENCH_ADMIN" -H 'Content-Type: application/json' \
		-d '{"name":"bench","scopes":["'"$1"'"],"namespaces":["*"]}' "http://127.0.0.1:$SPORT/v1/access-keys" |
		sed -n 's/.*"key":"\([^"]*\)".*/\1/p'
}

bench_backend() { # NAME DSN
	local name=$1 dsn=$2
	local args=(serve --addr "127.0.0.1:$SPORT" --db "$dsn")
	# In the scratch directory: on PostgreSQL, serve keeps its pepper and
	# delivery key files in its working directory.
	(cd "$tmp" && SECRETS_ADMIN_KEY=$BENCH_ADMIN exec "$tmp/secrets" "${args[@]}" --quiet-requests 2>"$tmp/serve.log") & local spid=$!
	pids+=($spid)
	waitfor $SPORT /healthz
	"$tmp/serveprep" -url "http://127.0.0.1:$SPORT" -admin "$BENCH_ADMIN" -out "$tmp" -keys "$KEYS" -tokens "$TOKENS" -codes "$CODES" >&2
	(cd "$tmp" && split -n "l/$ROUNDS" -d tokens.txt tokens-) # fresh tokens for each round
	# Each workload calls with an access key that holds only its scope, as
	# an app would: the scope check and the access-key lookup are measured.
	export BENCH_VERIFY_KEY BENCH_TOKENS_KEY BENCH_CODES_KEY
	BENCH_VERIFY_KEY=$(access_key keys:verify)
	BENCH_TOKENS_KEY=$(access_key tokens:verify)
	BENCH_CODES_KEY=$(access_key codes:verify)
	if [ "${AS_ROOT:-}" = 1 ]; then # for comparison: every call with the root key
		BENCH_VERIFY_KEY=$BENCH_ADMIN BENCH_TOKENS_KEY=$BENCH_ADMIN BENCH_CODES_KEY=$BENCH_ADMIN
	fi
	# The preparation wrote hundreds of thousands of rows. On PostgreSQL,
	# vacuum and checkpoint now, which it would otherwise do in the
	# background during the first runs.
	case $dsn in
	postgres*) psql -q "$SECRETS_TEST_POSTGRES_URL" -c "SET search_path = $schema" -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null ;;
	esac

	echo "### $name"
	echo
	echo "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) (other work shares these 2 cores)"
	echo
	echo "| workload | ceiling req/s | p50 ms | p99 ms | serve req/s | p50 ms | p99 ms | req/s ratio | p99 ratio | req/s ratio per round |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
	compare "plain-key verify" verify.lua
	local valid=- used=- invalid=- maxed=-
	if [ "$VERIFY_ONLY" != 1 ]; then
		compare "redeem, fresh tokens" redeem.lua
		valid=$(outcome tokens.redeem VALID); used=$(outcome tokens.redeem USED)
		compare "code check (wrong guess)" codes.lua
		invalid=$(outcome codes.verify INVALID); maxed=$(outcome codes.verify MAX_ATTEMPTS)
	fi
	kill $spid; wait $spid 2>/dev/null || true

	if [ "$VERIFY_ONLY" != 1 ]; then
		(cd "$tmp" && SECRETS_ADMIN_KEY=$BENCH_ADMIN exec "$tmp/secrets" "${args[@]}" 2>/dev/null) & spid=$!
		pids+=($spid)
		waitfor $SPORT /healthz
		compare "plain-key verify, request log on" verify.lua
		kill $spid; wait $spid 2>/dev/null || true
	fi

	# Every run above counts its verifications (analytics are on by
	# default); this one does not, to show what counting costs.
	(cd "$tmp" && SECRETS_ADMIN_KEY=$BENCH_ADMIN exec "$tmp/secrets" "${args[@]}" --quiet-requests --analytics=false 2>/dev/null) & spid=$!
	pids+=($spid)
	waitfor $SPORT /healthz
	compare "plain-key verify, analytics off" verify.lua
	kill $spid; wait $spid 2>/dev/null || true
	echo
	if [ "$VERIFY_ONLY" != 1 ]; then
		echo "Outcomes counted by the server: redeem $valid VALID, $used USED (a USED means a round outlasted its $((TOKENS / ROUNDS)) fresh tokens); code checks $invalid INVALID, $maxed MAX_ATTEMPTS."
		echo
	fi
}

echo "## serve-load, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(uname -sr); $(go version | cut -d' ' -f3); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "wrk: $THREADS threads, $CONNS connections, $DURATION per run, $ROUNDS rounds alternating ceiling and service, on 127.0.0.1; the ceiling is bench/ceiling (bare net/http, JSON in and out). Medians of the rounds."
echo

if [ "$WHICH" = sqlite ] || [ "$WHICH" = both ]; then
	bench_backend SQLite "$tmp/bench.db"
fi
if [ "$WHICH" = postgres ] || [ "$WHICH" = both ]; then
	if [ -z "${SECRETS_TEST_POSTGRES_URL:-}" ]; then
		echo "serve-load: SECRETS_TEST_POSTGRES_URL is not set: skipping PostgreSQL" >&2
	else
		schema="secrets_bench_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
		psql -q "$SECRETS_TEST_POSTGRES_URL" -c "CREATE SCHEMA $schema" >/dev/null
		trap 'psql -q "$SECRETS_TEST_POSTGRES_URL" -c "DROP SCHEMA IF EXISTS '"$schema"' CASCADE" >/dev/null 2>&1; cleanup' EXIT
		sep='?'; case $SECRETS_TEST_POSTGRES_URL in *\?*) sep='&' ;; esac
		# secrets serve keeps 16 connections per instance unless the URL says.
		bench_backend PostgreSQL "${SECRETS_TEST_POSTGRES_URL}${sep}search_path=$schema"
	fi
fi
