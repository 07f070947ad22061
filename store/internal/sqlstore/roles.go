package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/unguessable/secrets/store"
)

const roleCols = "namespace, name, permissions, created_at, updated_at"

func (c *Core) scanRole(row Row) (store.Role, error) {
	var r store.Role
	var perms string
	var created, updated int64
	if err := row.Scan(&r.Namespace, &r.Name, &perms, &created, &updated); err != nil {
		return store.Role{}, c.row("role", err)
	}
	if err := json.Unmarshal([]byte(perms), &r.Permissions); err != nil {
		return store.Role{}, c.errorf("role "+r.Name+": permissions", err)
	}
	r.CreatedAt, r.UpdatedAt = fromMillis(&created), fromMillis(&updated)
	return r, nil
}

func (c *Core) scanRoles(rows Rows, op string) ([]store.Role, error) {
	defer rows.Close()
	var roles []store.Role
	for rows.Next() {
		r, err := c.scanRole(rows)
		if err != nil {
			return nil, err
		}
		roles = append(roles, r)
	}
	if err := rows.Err(); err != nil {
		return nil, c.errorf(op, err)
	}
	return roles, nil
}

// optionalList is a list of strings as an optional column: NULL when
// empty, else a JSON array.
func optionalList(v []string) any {
	if len(v) == 0 {
		return nil
	}
	return jsonList(v)
}

// listOf reads an optional list column.
func listOf(s *string) ([]string, error) {
	if s == nil {
		return nil, nil
	}
	var v []string
	err := json.Unmarshal([]byte(*s), &v)
	return v, err
}

// PutRole inserts the role, or replaces its permissions: an insert that
// does nothing on a conflict, then an update, so that concurrent first
// puts in several processes make one row.
func (c *Core) PutRole(ctx context.Context, r store.Role) (store.Role, bool, error) {
	n, err := c.w.Exec(ctx, `INSERT INTO roles (`+roleCols+`) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (namespace, name) DO NOTHING`,
		r.Namespace, r.Name, jsonList(r.Permissions), r.CreatedAt.UnixMilli())
	if err != nil {
		return store.Role{}, false, c.errorf("insert role", err)
	}
	if n == 1 {
		r.UpdatedAt = r.CreatedAt
		return r.Clone(), true, nil
	}
	stored, err := c.scanRole(c.w.QueryRow(ctx, `UPDATE roles SET permissions = $3, updated_at = $4
		WHERE namespace = $1 AND name = $2 RETURNING `+roleCols, r.Namespace, r.Name, jsonList(r.Permissions), r.CreatedAt.UnixMilli()))
	return stored, false, err
}

// RolesByName returns the named roles of namespace that exist.
func (c *Core) RolesByName(ctx context.Context, namespace string, names []string) ([]store.Role, error) {
	if len(names) == 0 {
		return nil, nil
	}
	args := []any{namespace}
	ph := make([]string, len(names))
	for i, n := range names {
		args = append(args, n)
		ph[i] = fmt.Sprintf("$%d", i+2)
	}
	rows, err := c.r.Query(ctx, `SELECT `+roleCols+` FROM roles WHERE namespace = $1 AND name IN (`+strings.Join(ph, ", ")+`) ORDER BY name`, args...)
	if err != nil {
		return nil, c.errorf("read roles", err)
	}
	return c.scanRoles(rows, "read roles")
}

// ListRoles returns the roles of namespace in name order.
func (c *Core) ListRoles(ctx context.Context, namespace, after string, limit int) ([]store.Role, error) {
	rows, err := c.r.Query(ctx, `SELECT `+roleCols+` FROM roles WHERE namespace = $1 AND name > $2 ORDER BY name LIMIT $3`, namespace, after, limit)
	if err != nil {
		return nil, c.errorf("list roles", err)
	}
	return c.scanRoles(rows, "list roles")
}
