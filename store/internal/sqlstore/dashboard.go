package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/unguessable/secrets/store"
)

const sessionCols = "hash, access_key_id, key_check, created_at, last_seen_at, expires_at"

// InsertSession stores s.
func (c *Core) InsertSession(ctx context.Context, s store.Session) error {
	_, err := c.w.Exec(ctx, `INSERT INTO dashboard_sessions (`+sessionCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		s.Hash, s.AccessKeyID, s.KeyCheck, s.CreatedAt.UnixMilli(), s.LastSeenAt.UnixMilli(), s.ExpiresAt.UnixMilli())
	return c.insertErr("insert session", err)
}

// SessionByHash returns the session with this hash.
func (c *Core) SessionByHash(ctx context.Context, hash []byte) (store.Session, error) {
	var s store.Session
	var created, seen, expires int64
	err := c.r.QueryRow(ctx, `SELECT `+sessionCols+` FROM dashboard_sessions WHERE hash = $1`, hash).
		Scan(&s.Hash, &s.AccessKeyID, &s.KeyCheck, &created, &seen, &expires)
	if err != nil {
		return store.Session{}, c.row("session", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMillis(&created), fromMillis(&seen), fromMillis(&expires)
	return s, nil
}

// TouchSession moves the session's last use forward.
func (c *Core) TouchSession(ctx context.Context, hash []byte, now time.Time) error {
	if _, err := c.w.Exec(ctx, `UPDATE dashboard_sessions SET last_seen_at = $2 WHERE hash = $1 AND last_seen_at < $2`,
		hash, now.UnixMilli()); err != nil {
		return c.errorf("touch session", err)
	}
	return nil
}

// DeleteSession deletes one session.
func (c *Core) DeleteSession(ctx context.Context, hash []byte) error {
	if _, err := c.w.Exec(ctx, `DELETE FROM dashboard_sessions WHERE hash = $1`, hash); err != nil {
		return c.errorf("delete session", err)
	}
	return nil
}

// DeleteSessions deletes an access key's sessions and the ended ones.
func (c *Core) DeleteSessions(ctx context.Context, id string, now, idleSince time.Time) (int64, error) {
	n, err := c.w.Exec(ctx, `DELETE FROM dashboard_sessions
		WHERE ($1 <> '' AND access_key_id = $1) OR expires_at <= $2 OR last_seen_at < $3`, id, now.UnixMilli(), idleSince.UnixMilli())
	if err != nil {
		return 0, c.errorf("delete sessions", err)
	}
	return n, nil
}

// keyStatusSQL is the condition of each key status (store.KeyStatus),
// with the time as parameter $1, for the dashboard's search and, with
// another parameter, for ListKeys (statusWhere).
var keyStatusSQL = map[store.KeyStatus]string{
	store.KeyActive:   "revoked_at IS NULL AND enabled AND (expires_at IS NULL OR expires_at > $1)",
	store.KeyDisabled: "revoked_at IS NULL AND NOT enabled AND (expires_at IS NULL OR expires_at > $1)",
	store.KeyRevoked:  "revoked_at IS NOT NULL AND CAST($1 AS BIGINT) IS NOT NULL",
	store.KeyExpired:  "revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $1",
}

// likeEscape makes s match itself in a LIKE pattern with ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// namespaceIn appends the condition that a key is in one of namespaces
// (nil: any) to where, binding them after args.
func namespaceIn(where []string, args []any, namespaces []string) ([]string, []any) {
	if namespaces == nil {
		return where, args
	}
	if len(namespaces) == 0 {
		return append(where, "1 = 0"), args
	}
	var ps []string
	for _, ns := range namespaces {
		args = append(args, ns)
		ps = append(ps, fmt.Sprintf("$%d", len(args)))
	}
	return append(where, "namespace IN ("+strings.Join(ps, ", ")+")"), args
}

// SearchKeys returns the keys s selects.
func (c *Core) SearchKeys(ctx context.Context, s store.KeySearch) ([]store.Key, error) {
	args := []any{s.Now.UnixMilli(), s.After, s.Limit}
	where := []string{"id > $2"}
	if s.Status != "" {
		cond, ok := keyStatusSQL[s.Status]
		if !ok {
			return nil, &store.InvalidError{Package: "store", Field: "status", Reason: fmt.Sprintf("%q is not a key status", s.Status)}
		}
		where = append(where, cond)
	} else {
		where = append(where, "CAST($1 AS BIGINT) = CAST($1 AS BIGINT)") // binds $1 either way
	}
	if s.Namespace != "" {
		args = append(args, s.Namespace)
		where = append(where, fmt.Sprintf("namespace = $%d", len(args)))
	}
	if s.Text != "" {
		args = append(args, strings.ToLower(likeEscape(s.Text))+"%", "%"+strings.ToLower(likeEscape(s.Text))+"%", s.Text)
		n := len(args)
		where = append(where, fmt.Sprintf(`(LOWER(id) LIKE $%d ESCAPE '\' OR LOWER(name) LIKE $%d ESCAPE '\' OR owner = $%d)`, n-2, n-1, n))
	}
	where, args = namespaceIn(where, args, s.Namespaces)
	rows, err := c.r.Query(ctx, `SELECT `+KeyCols+` FROM api_keys WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT $3`, args...)
	if err != nil {
		return nil, c.errorf("search keys", err)
	}
	return c.ScanKeys(rows, "search keys")
}

// CountKeys counts keys by status.
func (c *Core) CountKeys(ctx context.Context, namespaces []string, now time.Time) (map[string]int64, error) {
	args := []any{now.UnixMilli()}
	where, args := namespaceIn([]string{"CAST($1 AS BIGINT) = CAST($1 AS BIGINT)"}, args, namespaces)
	var cols []string
	order := []store.KeyStatus{store.KeyActive, store.KeyDisabled, store.KeyRevoked, store.KeyExpired}
	for _, st := range order {
		cols = append(cols, "COALESCE(SUM(CASE WHEN "+keyStatusSQL[st]+" THEN 1 ELSE 0 END), 0)")
	}
	var n [4]int64
	err := c.r.QueryRow(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM api_keys WHERE `+strings.Join(where, " AND "), args...).
		Scan(&n[0], &n[1], &n[2], &n[3])
	if err != nil {
		return nil, c.errorf("count keys", err)
	}
	out := map[string]int64{}
	for i, st := range order {
		out[string(st)] = n[i]
	}
	return out, nil
}
