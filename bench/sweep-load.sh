#!/usr/bin/env bash
# bench/sweep-load.sh: verification latency while the sweeper deletes a
# backlog of expired tokens from a SQLite file, against the same file with
# the sweeper finding nothing.
#
#   bench/sweep-load.sh DB [MINUTES]      (default 6 minutes of sweeping;
#                                          "all": until no filler token is left)
#
# DB is a SQLite file full of expired filler tokens (purpose "fill"), such
# as the one `go run ./bench/capacity -store sqlite -records 10000000
# -expired -fill-only` makes and names. The file is changed: the sweep
# deletes what it reaches, and 1,000 keys and an access key are added.
#
# First `secrets serve` runs on DB with --retention 1000000h, so that its
# sweeper finds nothing to delete, and wrk verifies plain keys for three
# windows of 10 s (the baseline); then a second service starts on DB with
# start, and wrk verifies for a window of 10 s every 30 s for MINUTES,
# each window with the number of filler tokens left when it began. After
# each verification window (baseline and sweeping alike) wrk issues tokens
# (POST /v1/tokens, a new subject each) for 5 s: on SQLite the writes share
# the one writer connection with the sweeper's deletes. p99 from wrk; 2
# threads and 64 connections for verification, 16 for issues. Listens on
# 127.0.0.1:$PORT (8427) only.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: bench/sweep-load.sh DB [MINUTES|all]" >&2; exit 2; }
DB=$1
MINUTES=${2:-6}
[ "$MINUTES" = all ] && MINUTES=100000
case $MINUTES in '' | *[!0-9]*) echo "sweep-load: MINUTES must be a whole number or all, not $MINUTES" >&2; exit 2 ;; esac
PORT=${PORT:-8427}
[ -f "$DB" ] || { echo "sweep-load: no file $DB" >&2; exit 2; }
command -v wrk >/dev/null || { echo "sweep-load: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "sweep-load: python3 counts the tokens left; it is not installed" >&2; exit 1; }
if curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"; then
	echo "sweep-load: something already answers on port $PORT" >&2
	exit 1
fi

tmp=$(mktemp -d)
spid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/secrets" ./cmd/secrets
go build -o "$tmp/serveprep" ./bench/serveprep
export SECRETS_ADMIN_KEY="bench-admin-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# The pepper of the run that filled DB is not known here: a new one keys
# the codes from now on (the filler has no codes worth keeping).
python3 - "$DB" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
c.execute("DELETE FROM settings WHERE name = 'server.pepper_id'")
c.commit()
PY

cat > "$tmp/verify.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args)
	wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_VERIFY_KEY")
	keys, i = {}, 0
	local n = 0
	for line in io.lines("$tmp/keys.txt") do
		if n % 2 == id then keys[#keys + 1] = line end
		n = n + 1
	end
end
function request()
	i = i + 1
	return wrk.format(nil, "/v1/keys/verify", nil, '{"key":"' .. keys[((i - 1) % #keys) + 1] .. '"}')
end
LUA

cat > "$tmp/issue.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args)
	wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_ISSUE_KEY")
	i, stamp = 0, os.time()
end
function request()
	i = i + 1
	return wrk.format(nil, "/v1/tokens", nil, '{"purpose":"probe","subject":"p' .. id .. '-' .. stamp .. '-' .. i .. '"}')
end
LUA

left() {
	python3 - "$DB" <<'PY'
import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=30)
print(c.execute("SELECT count(*) FROM tokens WHERE purpose = 'fill'").fetchone()[0])
PY
}
window() { # LABEL
	wrk -t2 -c64 -d10s -s "$tmp/verify.lua" --latency "http://127.0.0.1:$PORT" >"$tmp/wrk.out" 2>&1
	awk -v label="$1" -v at="$(date -u +%T)" '/Requests\/sec/ { r = $2 } / 99%/ { p = $2 } /Non-2xx/ { e = " (" $0 ")" }
		END { printf "| %s | %s | %s | %s%s |", at, label, r, p, e }' "$tmp/wrk.out"
	wrk -t2 -c16 -d5s -s "$tmp/issue.lua" --latency "http://127.0.0.1:$PORT" >"$tmp/wrk.out" 2>&1
	awk '/Requests\/sec/ { r = $2 } / 99%/ { p = $2 } /Non-2xx/ { e = " (" $0 ")" }
		END { printf " %s | %s%s |\n", r, p, e }' "$tmp/wrk.out"
}
serve() { # FLAGS...
	(cd "$tmp" && exec "$tmp/secrets" serve --db "$DB" --addr "127.0.0.1:$PORT" --no-auth-throttle --quiet-requests "$@" 2>"$tmp/serve.log") &
	spid=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0
		kill -0 "$spid" 2>/dev/null || { echo "sweep-load: secrets serve exited:" >&2; cat "$tmp/serve.log" >&2; exit 1; }
		sleep 0.2
	done
	echo "sweep-load: secrets serve does not answer" >&2
	exit 1
}

serve --retention 1000000h --audit-retention 1000000h
"$tmp/serveprep" -url "http://127.0.0.1:$PORT" -admin "$SECRETS_ADMIN_KEY" -out "$tmp" -keys 1000 -tokens 10 -codes 10 >/dev/null
BENCH_VERIFY_KEY=$(curl -fs -H "Authorization: Bearer $SECRETS_ADMIN_KEY" -H 'Content-Type: application/json' \
	-d '{"name":"bench","scopes":["keys:verify"],"namespaces":["*"]}' "http://127.0.0.1:$PORT/v1/access-keys" |
	sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
export BENCH_VERIFY_KEY
BENCH_ISSUE_KEY=$(curl -fs -H "Authorization: Bearer $SECRETS_ADMIN_KEY" -H 'Content-Type: application/json' \
	-d '{"name":"bench-issue","scopes":["tokens:issue"],"namespaces":["*"]}' "http://127.0.0.1:$PORT/v1/access-keys" |
	sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
export BENCH_ISSUE_KEY
echo "filler tokens in $DB: $(left)"
echo
echo "| time (UTC) | window | verifications/s | verify p99 | token issues/s | issue p99 |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
for _ in 1 2 3; do
	window "no sweep (--retention 1000000h)"
	sleep 5
done
kill "$spid"; wait "$spid" 2>/dev/null || true; spid=

serve
start=$(date +%s)
while [ $(($(date +%s) - start)) -lt $((MINUTES * 60)) ]; do
	n=$(left)
	if [ "$n" = 0 ]; then
		window "swept, 0 filler tokens left"
		break
	fi
	window "sweeping, $n filler tokens left"
	sleep 15
done
echo
echo "filler tokens left: $(left), $(($(date +%s) - start)) s after the sweeping service started"
