// Package client is a Go client of the HTTP API of secrets serve: API keys
// and their roles, one-time tokens and codes, access keys, the audit trail,
// deliveries and the health check, one method per operation of
// /openapi.json, each taking a context.Context.
//
// The request and answer types mirror the service's JSON exactly (the same
// field and member names). Times are time.Time, zero where the service
// answers null; durations (expires_in, overlap, ratelimit.window) are whole
// seconds, as on the wire.
//
// # Errors
//
// A call the service refuses returns an [*Error] carrying the HTTP status
// and the API's error code, field and message; check it with errors.As. A
// call that never got an answer returns the transport's error, wrapped. No
// error, of either kind, contains a key, token, code or access key: the
// client never puts one in an error string, and the service never puts one
// in a message.
//
// # Retries
//
// A call is retried, with jittered exponential backoff, only when doing it
// twice cannot do more than doing it once:
//
//   - GET, PATCH (it sets values, it adds nothing) and DELETE calls, and
//     POST /v1/tokens/verify (it reads a token and spends nothing) and
//     POST /v1/roles (it sets a role's permissions), are
//     retried after a 503 and after a connection error, up to
//     Options.MaxRetries times. After a 503 the client waits at least its
//     Retry-After; when that is longer than Options.MaxRetryWait it does not
//     retry and returns the 503 as an *Error with RetryAfter set.
//   - Every other POST (creating, rerolling, issuing, verifying a key or a
//     code, redeeming a token) may have spent a use, counted an attempt or
//     made a record before the answer was lost, so it is retried only when
//     the connection could not be opened at all (the service never saw the
//     request), never after a 503 or a connection that failed later.
//
// The context bounds the whole call, its retries and waits included.
package client
