package store

import "errors"

// ErrInvalid is returned, as an [*InvalidError] naming the field, by the
// managers over a Store (token, code and keys) when an argument is out of
// range. Their own ErrInvalid is this value.
var ErrInvalid = errors.New("store: invalid argument")

// ErrStorageFull is returned, wrapping the database's own error, by a
// write that failed because the database's disk is full (SQLite's
// SQLITE_FULL, PostgreSQL's disk_full). Reads still work, and writes work
// again once space is freed.
var ErrStorageFull = errors.New("store: the database's storage is full")

// InvalidError says which argument of a manager was bad and why. It never
// holds the value of a token, code or key.
type InvalidError struct {
	Package string // the manager: "token", "code" or "keys"
	Field   string // the argument, as the service's JSON names it: "purpose", "ttl", "meta", …
	Reason  string
}

func (e *InvalidError) Error() string        { return e.Package + ": " + e.Field + " " + e.Reason }
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// MaxNameBytes is the longest purpose, subject, namespace, owner or key name
// the managers accept.
const MaxNameBytes = 256
