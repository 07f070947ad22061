package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/unguessable/secrets/store"
)

const accessCols = "id, hash, start, name, scopes, namespaces, created_at, last_used_at, revoked_at"

func (c *Core) scanAccessKey(row Row) (store.AccessKey, error) {
	var k store.AccessKey
	var scopes, namespaces string
	var created int64
	var used, revoked *int64
	if err := row.Scan(&k.ID, &k.Hash, &k.Start, &k.Name, &scopes, &namespaces, &created, &used, &revoked); err != nil {
		return store.AccessKey{}, c.row("access key", err)
	}
	if err := json.Unmarshal([]byte(scopes), &k.Scopes); err != nil {
		return store.AccessKey{}, c.errorf("access key "+k.ID+": scopes", err)
	}
	if err := json.Unmarshal([]byte(namespaces), &k.Namespaces); err != nil {
		return store.AccessKey{}, c.errorf("access key "+k.ID+": namespaces", err)
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromMillis(&created), fromMillis(used), fromMillis(revoked)
	return k, nil
}

// jsonList is a list of strings as stored: a JSON array, never null.
func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v) // strings always marshal
	return string(b)
}

// InsertAccessKey stores k.
func (c *Core) InsertAccessKey(ctx context.Context, k store.AccessKey) error {
	return c.b.SecretTx(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO access_keys (`+accessCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			k.ID, k.Hash, k.Start, k.Name, jsonList(k.Scopes), jsonList(k.Namespaces), k.CreatedAt.UnixMilli(), millis(k.LastUsedAt), millis(k.RevokedAt))
		return c.insertErr("insert access key", err)
	})
}

// AccessKeyByHash returns the access key with this hash.
func (c *Core) AccessKeyByHash(ctx context.Context, hash []byte) (store.AccessKey, error) {
	return c.scanAccessKey(c.r.QueryRow(ctx, `SELECT `+accessCols+` FROM access_keys WHERE hash = $1`, hash))
}

// AccessKeyByID returns the access key with this id.
func (c *Core) AccessKeyByID(ctx context.Context, id string) (store.AccessKey, error) {
	return c.scanAccessKey(c.r.QueryRow(ctx, `SELECT `+accessCols+` FROM access_keys WHERE id = $1`, id))
}

// ListAccessKeys returns access keys in id order.
func (c *Core) ListAccessKeys(ctx context.Context, after string, limit int) ([]store.AccessKey, error) {
	rows, err := c.r.Query(ctx, `SELECT `+accessCols+` FROM access_keys WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, c.errorf("list access keys", err)
	}
	defer rows.Close()
	var keys []store.AccessKey
	for rows.Next() {
		k, err := c.scanAccessKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, c.errorf("list access keys", err)
	}
	return keys, nil
}

// RevokeAccessKey revokes the access key.
func (c *Core) RevokeAccessKey(ctx context.Context, id string, now time.Time) (store.AccessKey, error) {
	return c.scanAccessKey(c.w.QueryRow(ctx, `UPDATE access_keys SET revoked_at = COALESCE(revoked_at, $2)
		WHERE id = $1 RETURNING `+accessCols, id, now.UnixMilli()))
}

// TouchAccessKey moves the key's last use forward to now.
func (c *Core) TouchAccessKey(ctx context.Context, id string, now time.Time) error {
	if _, err := c.w.Exec(ctx, `UPDATE access_keys SET last_used_at = $2
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`, id, now.UnixMilli()); err != nil {
		return c.errorf("touch access key", err)
	}
	return nil
}
