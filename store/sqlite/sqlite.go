// Package sqlite is the embedded default [store.Store]: one SQLite file, pure
// Go (modernc.org/sqlite), no server to run.
//
// The database runs in WAL mode, so reads (the verification of a plain API
// key, a token lookup) never wait for writes. All writes go through one
// connection, queued in Go rather than retried on SQLITE_BUSY; a busy timeout
// covers other processes on the same file. Writes that hand out a secret
// (issuing a token or code, creating or rerolling a key) commit with
// synchronous=FULL, so a secret that was returned survives a power loss;
// other writes use synchronous=NORMAL, which in WAL mode still survives a
// crash of the process. Migrations are embedded and applied on [Open].
//
// The read behind every plain-key verification, the key with a given hash,
// skips database/sql: it runs on connections of its own through the C API
// of the same SQLite (lookup.go), and concurrent lookups share statements
// (internal/coalesce). Everything else goes through database/sql.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/unguessable/secrets/internal/coalesce"
	"github.com/unguessable/secrets/store"
)

var _ store.Store = (*SQLite)(nil)

// BusyTimeout is how long a statement waits for another process's write lock.
const BusyTimeout = 10 * time.Second

// SQLite is a store.Store on one SQLite database file.
type SQLite struct {
	w *sql.DB // one connection: every write
	r *sql.DB // read-only connections

	// Lookups of keys by hash, the read behind every plain-key
	// verification, go through readers (see lookup.go); concurrent
	// lookups share their runs through byHash.
	readers chan *reader
	byHash  *coalesce.Coalescer[store.Key]
}

// Lookups of keys by hash are coalesced: under load, the callers that
// arrive while one lookup runs are served together by the next, one
// statement for up to lookupBatch keys. lookupWorkers statements run at
// once, one a core of this 2-core target; more only contend for SQLite's
// locks.
const (
	lookupWorkers = 2
	lookupBatch   = 64
)

// Open opens (creating if needed) the database file at path and applies any
// migrations it lacks. Several processes may open one file.
func Open(ctx context.Context, path string) (*SQLite, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: database path %q is empty or holds '?' or '#'", path)
	}
	dsn := func(extra ...string) string {
		q := url.Values{}
		q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		for _, e := range extra {
			k, v, _ := strings.Cut(e, "=")
			q.Add(k, v)
		}
		return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	}
	// The file holds digests, code MACs and perhaps the pepper that keys
	// them, with which a reader computes every pending code: create it
	// readable by its owner only (SQLite gives the -wal and -shm files the
	// mode of the database file). An existing file keeps its mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w, err := sql.Open("sqlite", dsn("_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := migrateRetrying(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn("_pragma=query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	// One reader for each worker and one for a caller's lone lookup.
	s := &SQLite{w: w, r: r, readers: make(chan *reader, lookupWorkers+1)}
	for range lookupWorkers + 1 {
		rd, err := openReader(path)
		if err != nil {
			s.closeReaders()
			r.Close()
			w.Close()
			return nil, fmt.Errorf("sqlite: %s: %w", path, err)
		}
		s.readers <- rd
	}
	s.byHash = coalesce.New(s.keysByHash, coalesce.Options[store.Key]{Workers: lookupWorkers, MaxBatch: lookupBatch, Copy: store.Key.Clone})
	return s, nil
}

// migrateRetrying migrates, retrying while another process holds the file.
// Processes opening a new file at once can get SQLITE_BUSY without the busy
// handler being called (while one of them switches the file to WAL), so the
// busy timeout alone does not cover them.
func migrateRetrying(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(BusyTimeout)
	wait := time.Millisecond
	for {
		err := migrate(ctx, db)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// Close closes the database.
func (s *SQLite) Close() error {
	s.byHash.Close()
	s.closeReaders()
	return errors.Join(s.r.Close(), s.w.Close())
}

// closeReaders closes the readers, which no lookup holds any more.
func (s *SQLite) closeReaders() {
	for {
		select {
		case rd := <-s.readers:
			rd.close()
		default:
			return
		}
	}
}

// Ping checks that the database answers.
func (s *SQLite) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// DB returns the read-only handle, for benchmarks and tests that compare
// with raw queries.
func (s *SQLite) DB() *sql.DB { return s.r }

// secretWrite runs fn in an immediate transaction committed with
// synchronous=FULL.
func (s *SQLite) secretWrite(ctx context.Context, fn func(tx *sql.Tx) error) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous=FULL"); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous=NORMAL")
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

type scanner interface{ Scan(dest ...any) error }

func nullMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func nullText(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

func fromNull(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// Tokens.

const tokenCols = "id, hash, purpose, subject, meta, created_at, expires_at, used_at, revoked_at"

func scanToken(row scanner) (store.Token, error) {
	var t store.Token
	var meta sql.NullString
	var created, expires int64
	var used, revoked sql.NullInt64
	if err := row.Scan(&t.ID, &t.Hash, &t.Purpose, &t.Subject, &meta, &created, &expires, &used, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return t, store.ErrNotFound
		}
		return t, fmt.Errorf("sqlite: %w", err)
	}
	if meta.Valid {
		t.Meta = []byte(meta.String)
	}
	t.CreatedAt, t.ExpiresAt = store.FromMillis(created), store.FromMillis(expires)
	t.UsedAt, t.RevokedAt = fromNull(used), fromNull(revoked)
	return t, nil
}

// InsertToken stores t, revoking the subject's unused tokens first if asked.
func (s *SQLite) InsertToken(ctx context.Context, t store.Token, revokeOthers bool) error {
	return s.secretWrite(ctx, func(tx *sql.Tx) error {
		if revokeOthers {
			if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = $1
				WHERE purpose = $2 AND subject = $3 AND used_at IS NULL AND revoked_at IS NULL`,
				t.CreatedAt.UnixMilli(), t.Purpose, t.Subject); err != nil {
				return fmt.Errorf("sqlite: revoke tokens: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO tokens (`+tokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL)`,
			t.ID, t.Hash, t.Purpose, t.Subject, nullText(t.Meta), t.CreatedAt.UnixMilli(), t.ExpiresAt.UnixMilli())
		if isUnique(err) {
			return store.ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("sqlite: insert token: %w", err)
		}
		return nil
	})
}

// GetToken returns the token with this purpose and hash.
func (s *SQLite) GetToken(ctx context.Context, purpose string, hash []byte) (store.Token, error) {
	return scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = $1 AND purpose = $2`, hash, purpose))
}

// RedeemToken marks the token used if it is still redeemable at now.
func (s *SQLite) RedeemToken(ctx context.Context, purpose string, hash []byte, now time.Time) (store.Token, bool, error) {
	t, err := scanToken(s.w.QueryRowContext(ctx, `UPDATE tokens SET used_at = $1
		WHERE hash = $2 AND purpose = $3 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1
		RETURNING `+tokenCols, now.UnixMilli(), hash, purpose))
	if err == nil {
		return t, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return t, false, err
	}
	t, err = scanToken(s.w.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = $1 AND purpose = $2`, hash, purpose))
	return t, false, err
}

// RevokeTokens revokes the subject's unused tokens for purpose.
func (s *SQLite) RevokeTokens(ctx context.Context, purpose, subject string, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE tokens SET revoked_at = $1
		WHERE purpose = $2 AND subject = $3 AND used_at IS NULL AND revoked_at IS NULL`, now.UnixMilli(), purpose, subject)
	if err != nil {
		return 0, fmt.Errorf("sqlite: revoke tokens: %w", err)
	}
	return res.RowsAffected()
}

// Codes.

const codeCols = "id, purpose, subject, mac, created_at, expires_at, attempts, max_attempts, approved_at, cancelled_at"

func scanCode(row scanner) (store.Code, error) {
	var c store.Code
	var created, expires int64
	var approved, cancelled sql.NullInt64
	if err := row.Scan(&c.ID, &c.Purpose, &c.Subject, &c.MAC, &created, &expires, &c.Attempts, &c.MaxAttempts, &approved, &cancelled); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return c, store.ErrNotFound
		}
		return c, fmt.Errorf("sqlite: %w", err)
	}
	c.CreatedAt, c.ExpiresAt = store.FromMillis(created), store.FromMillis(expires)
	c.ApprovedAt, c.CancelledAt = fromNull(approved), fromNull(cancelled)
	return c, nil
}

// InsertCode stores c unless the send throttle refuses, cancelling the
// subject's pending code.
func (s *SQLite) InsertCode(ctx context.Context, c store.Code, window time.Duration, maxSends int) (time.Time, error) {
	var retryAt time.Time
	err := s.secretWrite(ctx, func(tx *sql.Tx) error {
		now := c.CreatedAt.UnixMilli()
		rows, err := tx.QueryContext(ctx, `SELECT created_at FROM codes
			WHERE purpose = $1 AND subject = $2 AND created_at > $3
			ORDER BY created_at DESC LIMIT $4`, c.Purpose, c.Subject, now-window.Milliseconds(), maxSends)
		if err != nil {
			return fmt.Errorf("sqlite: count codes: %w", err)
		}
		var n int
		var oldest int64
		for rows.Next() {
			if err := rows.Scan(&oldest); err != nil {
				rows.Close()
				return fmt.Errorf("sqlite: count codes: %w", err)
			}
			n++
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("sqlite: count codes: %w", err)
		}
		if n >= maxSends {
			retryAt = store.FromMillis(oldest).Add(window)
			return store.ErrThrottled
		}
		// Approved codes are cancelled too, so that the subject has at most
		// one uncancelled code, even when two share a millisecond.
		if _, err := tx.ExecContext(ctx, `UPDATE codes SET cancelled_at = $1
			WHERE purpose = $2 AND subject = $3 AND cancelled_at IS NULL`, now, c.Purpose, c.Subject); err != nil {
			return fmt.Errorf("sqlite: cancel codes: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO codes (`+codeCols+`) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, NULL, NULL)`,
			c.ID, c.Purpose, c.Subject, c.MAC, now, c.ExpiresAt.UnixMilli(), c.MaxAttempts)
		if isUnique(err) {
			return store.ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("sqlite: insert code: %w", err)
		}
		return nil
	})
	return retryAt, err
}

const latestCode = `(SELECT id FROM codes WHERE purpose = $1 AND subject = $2 AND cancelled_at IS NULL
	ORDER BY created_at DESC, id DESC LIMIT 1)`

// CheckCode counts one attempt against the subject's current code.
func (s *SQLite) CheckCode(ctx context.Context, purpose, subject string, mac []byte, now time.Time) (store.Code, bool, bool, error) {
	c, err := scanCode(s.w.QueryRowContext(ctx, `UPDATE codes SET attempts = attempts + 1,
			approved_at = CASE WHEN mac = $3 THEN $4 ELSE NULL END
		WHERE id = `+latestCode+`
			AND cancelled_at IS NULL AND approved_at IS NULL AND expires_at > $4 AND attempts < max_attempts
		RETURNING `+codeCols, purpose, subject, mac, now.UnixMilli()))
	if err == nil {
		return c, true, !c.ApprovedAt.IsZero(), nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return c, false, false, err
	}
	c, err = scanCode(s.w.QueryRowContext(ctx, `SELECT `+codeCols+` FROM codes WHERE id = `+latestCode, purpose, subject))
	return c, false, false, err
}

// Keys.

const keyCols = "id, hash, prefix, start, namespace, owner, name, meta, enabled, created_at, updated_at, expires_at, revoked_at, remaining, rl_limit, rl_window, rl_start, rl_count"

func scanKey(row scanner) (store.Key, error) {
	var k store.Key
	var meta sql.NullString
	var created, updated, rlStart int64
	var expires, revoked, remaining, rlLimit, rlWindow sql.NullInt64
	if err := row.Scan(&k.ID, &k.Hash, &k.Prefix, &k.Start, &k.Namespace, &k.Owner, &k.Name, &meta, &k.Enabled,
		&created, &updated, &expires, &revoked, &remaining, &rlLimit, &rlWindow, &rlStart, &k.RateCount); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return k, store.ErrNotFound
		}
		return k, fmt.Errorf("sqlite: %w", err)
	}
	if meta.Valid {
		k.Meta = []byte(meta.String)
	}
	k.CreatedAt, k.UpdatedAt = store.FromMillis(created), store.FromMillis(updated)
	k.ExpiresAt, k.RevokedAt = fromNull(expires), fromNull(revoked)
	if remaining.Valid {
		k.Remaining = &remaining.Int64
	}
	if rlLimit.Valid && rlWindow.Valid {
		k.RateLimit = &store.RateLimit{Limit: rlLimit.Int64, Window: time.Duration(rlWindow.Int64) * time.Millisecond}
		k.RateStart = store.FromMillis(rlStart)
	}
	return k, nil
}

func keyArgs(k store.Key) []any {
	var limit, window any
	if k.RateLimit != nil {
		limit, window = k.RateLimit.Limit, k.RateLimit.Window.Milliseconds()
	}
	var remaining any
	if k.Remaining != nil {
		remaining = *k.Remaining
	}
	return []any{k.ID, k.Hash, k.Prefix, k.Start, k.Namespace, k.Owner, k.Name, nullText(k.Meta), k.Enabled,
		k.CreatedAt.UnixMilli(), k.UpdatedAt.UnixMilli(), nullMillis(k.ExpiresAt), nullMillis(k.RevokedAt),
		remaining, limit, window, store.Millis(k.RateStart), k.RateCount}
}

const insertKey = `INSERT INTO api_keys (` + keyCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`

// InsertKey stores k.
func (s *SQLite) InsertKey(ctx context.Context, k store.Key) error {
	return s.secretWrite(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, insertKey, keyArgs(k)...)
		if isUnique(err) {
			return store.ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("sqlite: insert key: %w", err)
		}
		return nil
	})
}

// KeyByHash returns the key with this hash: one indexed read, shared with
// the lookups running concurrently.
func (s *SQLite) KeyByHash(ctx context.Context, hash []byte) (store.Key, error) {
	k, ok, err := s.byHash.Get(ctx, string(hash))
	if errors.Is(err, coalesce.ErrClosed) {
		return store.Key{}, fmt.Errorf("sqlite: key lookup: database is closed")
	}
	if err != nil {
		return store.Key{}, err
	}
	if !ok {
		return store.Key{}, store.ErrNotFound
	}
	return k, nil
}

// keysByHash reads the keys with these hashes on a reader of its own (no
// fetch waits for one: there is a reader for each worker and one for a
// lone lookup, as many as fetches run at once).
func (s *SQLite) keysByHash(_ context.Context, hashes []string) (map[string]store.Key, error) {
	rd := <-s.readers
	defer func() { s.readers <- rd }()
	return rd.keys(hashes)
}

// KeyByID returns the key with this id.
func (s *SQLite) KeyByID(ctx context.Context, id string) (store.Key, error) {
	return scanKey(s.r.QueryRowContext(ctx, `SELECT `+keyCols+` FROM api_keys WHERE id = $1`, id))
}

// UseKey spends cost from the key's uses and rate-limit window atomically.
// The window only moves forward: a caller whose clock is behind the stored
// window (another instance, a little skewed) counts in it rather than
// restarting an older one.
func (s *SQLite) UseKey(ctx context.Context, id string, cost int64, now time.Time) (store.Key, bool, error) {
	k, err := scanKey(s.w.QueryRowContext(ctx, `UPDATE api_keys SET
			remaining = CASE WHEN remaining IS NULL THEN NULL ELSE remaining - $2 END,
			rl_count = CASE WHEN rl_limit IS NULL THEN rl_count
				WHEN ($3 / rl_window) * rl_window <= rl_start THEN rl_count + $2 ELSE $2 END,
			rl_start = CASE WHEN rl_limit IS NULL THEN rl_start ELSE MAX(rl_start, ($3 / rl_window) * rl_window) END
		WHERE id = $1 AND enabled AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)
			AND (remaining IS NULL OR remaining >= $2)
			AND (rl_limit IS NULL OR
				(CASE WHEN ($3 / rl_window) * rl_window <= rl_start THEN rl_count ELSE 0 END) + $2 <= rl_limit)
		RETURNING `+keyCols, id, cost, now.UnixMilli()))
	if err == nil {
		return k, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return k, false, err
	}
	k, err = scanKey(s.w.QueryRowContext(ctx, `SELECT `+keyCols+` FROM api_keys WHERE id = $1`, id))
	return k, false, err
}

// ListKeys returns keys matching f in id order.
func (s *SQLite) ListKeys(ctx context.Context, f store.KeyFilter) ([]store.Key, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys
		WHERE ($1 = '' OR owner = $1) AND ($2 = '' OR namespace = $2) AND id > $3
		ORDER BY id LIMIT $4`, f.Owner, f.Namespace, f.After, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list keys: %w", err)
	}
	defer rows.Close()
	var keys []store.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list keys: %w", err)
	}
	return keys, nil
}

// UpdateKey applies u to the key, unless it is revoked.
func (s *SQLite) UpdateKey(ctx context.Context, id string, u store.KeyUpdate, now time.Time) (store.Key, error) {
	set := []string{"updated_at = $2"}
	args := []any{id, now.UnixMilli()}
	add := func(col string, v any) {
		args = append(args, v)
		set = append(set, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	if u.Enabled != nil {
		add("enabled", *u.Enabled)
	}
	if u.Meta != nil {
		add("meta", string(u.Meta))
	}
	if u.SetRemaining {
		var v any
		if u.Remaining != nil {
			v = *u.Remaining
		}
		add("remaining", v)
	}
	if u.SetExpiry {
		add("expires_at", nullMillis(u.ExpiresAt))
	}
	k, err := scanKey(s.w.QueryRowContext(ctx, `UPDATE api_keys SET `+strings.Join(set, ", ")+`
		WHERE id = $1 AND revoked_at IS NULL RETURNING `+keyCols, args...))
	if errors.Is(err, store.ErrNotFound) {
		// No such key, or a revoked one: revocation is for good, so the
		// answer cannot go stale.
		if _, err = s.KeyByID(ctx, id); err == nil {
			err = store.ErrRevoked
		}
	}
	return k, err
}

// RevokeKey revokes the key.
func (s *SQLite) RevokeKey(ctx context.Context, id string, now time.Time) (store.Key, error) {
	return scanKey(s.w.QueryRowContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2), updated_at = $2
		WHERE id = $1 RETURNING `+keyCols, id, now.UnixMilli()))
}

// RerollKey stores nk in place of oldID, which expires at oldExpiresAt.
func (s *SQLite) RerollKey(ctx context.Context, oldID string, nk store.Key, oldExpiresAt time.Time) (store.Key, error) {
	err := s.secretWrite(ctx, func(tx *sql.Tx) error {
		old, err := scanKey(tx.QueryRowContext(ctx, `SELECT `+keyCols+` FROM api_keys WHERE id = $1`, oldID))
		if err != nil {
			return err
		}
		if !old.RevokedAt.IsZero() {
			return store.ErrRevoked
		}
		nk = store.Inherit(nk, old)
		if _, err := tx.ExecContext(ctx, insertKey, keyArgs(nk)...); err != nil {
			if isUnique(err) {
				return store.ErrDuplicate
			}
			return fmt.Errorf("sqlite: insert key: %w", err)
		}
		exp := store.Sooner(old.ExpiresAt, oldExpiresAt)
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET expires_at = $2, updated_at = $3 WHERE id = $1`,
			oldID, nullMillis(exp), nk.CreatedAt.UnixMilli()); err != nil {
			return fmt.Errorf("sqlite: expire old key: %w", err)
		}
		return nil
	})
	return nk, err
}

// LoadOrStoreSetting returns the setting, storing value first if unset.
func (s *SQLite) LoadOrStoreSetting(ctx context.Context, name string, value []byte) ([]byte, error) {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return nil, fmt.Errorf("sqlite: store setting: %w", err)
	}
	var v []byte
	if err := s.w.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, fmt.Errorf("sqlite: load setting: %w", err)
	}
	return v, nil
}

// Sweep deletes expired, used and revoked records older than cutoff.
func (s *SQLite) Sweep(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM tokens WHERE id IN (SELECT id FROM tokens
			WHERE expires_at < $1 OR used_at < $1 OR revoked_at < $1 LIMIT $2)`,
		// Never a live code; created_at <= expires_at, so its term only
		// lets the codes_created index narrow the scan.
		`DELETE FROM codes WHERE id IN (SELECT id FROM codes WHERE created_at < $1 AND expires_at < $1 LIMIT $2)`,
		`DELETE FROM api_keys WHERE id IN (SELECT id FROM api_keys
			WHERE expires_at < $1 OR revoked_at < $1 LIMIT $2)`,
	} {
		for {
			res, err := s.w.ExecContext(ctx, q, cutoff.UnixMilli(), batch)
			if err != nil {
				return total, fmt.Errorf("sqlite: sweep: %w", err)
			}
			n, _ := res.RowsAffected()
			total += n
			if n < int64(batch) {
				break
			}
		}
	}
	return total, nil
}
