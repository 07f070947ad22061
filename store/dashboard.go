package store

import (
	"context"
	"time"
)

// Session is a signed-in browser of the dashboard: the SHA-256 of its
// random id (the id itself is only in the browser's cookie) and the access
// key it acts as.
type Session struct {
	Hash        []byte // SHA-256 of the session id
	AccessKeyID string
	// KeyCheck is a digest of the access key's own digest, so that a
	// session ends when its key is replaced (the root key) or revoked.
	KeyCheck   []byte
	CreatedAt  time.Time
	LastSeenAt time.Time // moved forward at most about once a minute
	ExpiresAt  time.Time // the absolute end, however active the session
}

// KeySearch selects API keys for the dashboard's list: Text matches an id
// by prefix, an owner exactly or a name by substring, without regard to
// case; Namespaces, unless nil, lists the namespaces the caller may see;
// Namespace and Status (KeyActive, …, "" for any, judged at Now) narrow
// further. Keys come in id order after the id After, at most Limit.
type KeySearch struct {
	Text       string
	Namespaces []string
	Namespace  string
	Status     KeyStatus
	Now        time.Time
	After      string
	Limit      int
}

// Dashboard is what the web dashboard needs of a store beyond [Store]:
// its sessions, and a search of API keys. Both store backends implement it.
type Dashboard interface {
	// InsertSession stores s.
	InsertSession(ctx context.Context, s Session) error
	// SessionByHash returns the session with this hash, or ErrNotFound.
	SessionByHash(ctx context.Context, hash []byte) (Session, error)
	// TouchSession moves the session's last use forward to now.
	TouchSession(ctx context.Context, hash []byte, now time.Time) error
	// DeleteSession deletes the session with this hash, if there is one.
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteSessions deletes the sessions of access key id, if id is not
	// "", and every session past its expiry at now or unused since
	// idleSince; it returns how many.
	DeleteSessions(ctx context.Context, id string, now, idleSince time.Time) (int64, error)
	// SearchKeys returns the keys s selects.
	SearchKeys(ctx context.Context, s KeySearch) ([]Key, error)
	// CountKeys counts the keys of the namespaces (nil: all) in each
	// status at now, keyed by KeyActive, KeyDisabled, KeyRevoked and
	// KeyExpired.
	CountKeys(ctx context.Context, namespaces []string, now time.Time) (map[string]int64, error)
}
