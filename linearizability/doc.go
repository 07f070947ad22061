// Package linearizability checks, Jepsen-style, that `secrets serve` keeps
// its one-time promises under faults: it records what many concurrent
// clients saw, with real time, and asks a checker
// (github.com/anishathalye/porcupine) whether some sequential order of the
// calls, each placed between its call and its answer, explains every
// answer.
//
// Tests that count the outcomes of a race (of 200 redemptions, one VALID)
// catch many bugs but not all: a redemption that answers USED before the
// VALID it races with, or a limit that admits the right total in the wrong
// order, passes a count and fails here.
//
// # The models
//
// Each model is a plain sequential specification of one promise, checked
// one object at a time (a history is partitioned by object):
//
//   - [TokenModel]: one-time tokens. VALID exactly once, then USED;
//     REVOKED after a revocation or a newer token; EXPIRED after the
//     expiry, by real time within [Margin].
//   - [CodeModel]: one-time codes. Every check of the pending code counts
//     an attempt; APPROVED at most once; MAX_ATTEMPTS once the attempts are
//     spent; a new code cancels the pending one; the send throttle.
//   - [KeyModel]: an API key with remaining uses and a rate limit, which
//     admits exactly what the counters allow.
//   - [AccessModel]: an access key revoked while in use: no call with it
//     succeeds, on any instance, after the revocation answered (which
//     waits out the instances' cache of [AccessCacheTTL] first).
//
// A call whose answer never came (a client timeout, a broken connection, a
// 5xx while the database restarts) is recorded with return time [Never]:
// it may have taken effect at any moment after it was made, or not at all.
//
// # The recorder and the faults
//
// The tests (linearizability_test.go) build cmd/secrets once and run it as
// processes: two instances on one PostgreSQL (a private cluster the test
// makes with initdb on a free port, so that it may restart it; only when
// SECRETS_TEST_POSTGRES_URL is set, as for every PostgreSQL test) and one
// instance on SQLite. Concurrent clients call the instances, directly and
// through a TCP proxy of the test's own, while a nemesis injects faults in
// turn: kill -9 of an instance and its restart, the proxy dropping every
// connection for a moment, a PostgreSQL restart (immediate shutdown), and
// clients that give up sooner than the server finishes.
//
// # Running it
//
//	go test -run TestLinearizability ./linearizability
//	LINEARIZABILITY_DURATION=10m go test -timeout 60m -run TestLinearizability ./linearizability
//
// LINEARIZABILITY_DURATION is how long each store's clients record (every
// model at once); the default is short, for CI. A history that fails is
// written as porcupine's HTML visualization into LINEARIZABILITY_OUT (by
// default a new directory under the system's temporary directory, kept and
// logged).
//
// mutate.sh breaks the service's atomic updates one at a time in a copy of
// the tree and runs the harness on each, to show that it notices.
// docs/CORRECTNESS.md has the figures.
package linearizability
