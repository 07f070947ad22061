package keys

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/unguessable/secrets/internal/argcheck"
	"github.com/unguessable/secrets/keys/permquery"
	"github.com/unguessable/secrets/store"
)

// Limits of roles and permissions.
const (
	// MaxPermissions is the most permissions a key or a role holds itself.
	MaxPermissions = 100
	// MaxRoles is the most roles a key names.
	MaxRoles = 20
	// DefaultRoleListLimit and MaxRoleListLimit bound a page of roles.
	DefaultRoleListLimit = 100
	MaxRoleListLimit     = 1000
)

// Role is a named set of permissions in a namespace. A key that names the
// role holds its permissions as the role stands at each verification, so
// replacing a role's permissions changes what its keys may do at once.
type Role struct {
	Namespace   string
	Name        string
	Permissions []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// RoleOptions describe a role to put.
type RoleOptions struct {
	Namespace   string // default DefaultNamespace
	Name        string // a permission-like name: letters, digits and . _ : / -
	Permissions []string
}

// names checks a list of role or permission names and returns it sorted,
// each once; nil for an empty list.
func names(field string, v []string, most int) ([]string, error) {
	if len(v) > most {
		return nil, invalid(field, fmt.Sprintf("has %d entries, more than %d", len(v), most))
	}
	for _, n := range v {
		if !permquery.ValidName(n) {
			return nil, invalid(field, fmt.Sprintf("%q is not a name: 1 to %d letters, digits and . _ : / -, other than AND and OR", truncate(n), permquery.MaxNameBytes))
		}
	}
	if len(v) == 0 {
		return nil, nil
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return slices.Compact(v), nil
}

// truncate shortens a bad name for an error message.
func truncate(s string) string {
	if len(s) > 40 {
		return strings.ToValidUTF8(s[:40], "") + "…"
	}
	return s
}

// PutRole creates the role of opts' namespace and name, or replaces its
// permissions; created reports which.
func (m *Manager) PutRole(ctx context.Context, opts RoleOptions) (r Role, created bool, err error) {
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if err := argcheck.Name("keys", "namespace", opts.Namespace, true); err != nil {
		return Role{}, false, err
	}
	if !permquery.ValidName(opts.Name) {
		return Role{}, false, invalid("name", fmt.Sprintf("must be 1 to %d letters, digits and . _ : / -, other than AND and OR", permquery.MaxNameBytes))
	}
	perms, err := names("permissions", opts.Permissions, MaxPermissions)
	if err != nil {
		return Role{}, false, err
	}
	stored, created, err := m.st.PutRole(ctx, store.Role{Namespace: opts.Namespace, Name: opts.Name, Permissions: perms,
		CreatedAt: m.clock.Now().Truncate(time.Millisecond)})
	if err != nil {
		return Role{}, false, m.wrap("put role", err)
	}
	return Role(stored), created, nil
}

// RoleListOptions select a page of the roles of a namespace.
type RoleListOptions struct {
	Namespace string // default DefaultNamespace
	Limit     int    // default DefaultRoleListLimit, at most MaxRoleListLimit
	Cursor    string // from the previous RolePage; "" for the first page
}

// RolePage is one page of roles in name order.
type RolePage struct {
	Roles  []Role
	Cursor string // pass to the next ListRoles; "" when this is the last page
}

// ListRoles returns the roles of a namespace, a page at a time. The cursor
// is the last role's name, which is no secret.
func (m *Manager) ListRoles(ctx context.Context, opts RoleListOptions) (RolePage, error) {
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.Limit == 0 {
		opts.Limit = DefaultRoleListLimit
	}
	if opts.Limit < 1 || opts.Limit > MaxRoleListLimit {
		return RolePage{}, invalid("limit", fmt.Sprintf("%d is outside [1, %d]", opts.Limit, MaxRoleListLimit))
	}
	if err := argcheck.Name("keys", "namespace", opts.Namespace, true); err != nil {
		return RolePage{}, err
	}
	if opts.Cursor != "" && !permquery.ValidName(opts.Cursor) {
		return RolePage{}, invalid("cursor", "is not a cursor of a list of roles: start again without one")
	}
	rs, err := m.st.ListRoles(ctx, opts.Namespace, opts.Cursor, opts.Limit+1)
	if err != nil {
		return RolePage{}, m.wrap("list roles", err)
	}
	var p RolePage
	if len(rs) > opts.Limit {
		rs = rs[:opts.Limit]
		p.Cursor = rs[len(rs)-1].Name
	}
	p.Roles = make([]Role, len(rs))
	for i, r := range rs {
		p.Roles[i] = Role(r)
	}
	return p, nil
}

// checkRoles checks a key's roles and permissions, and that each role
// exists in namespace; it returns both lists sorted, each name once.
func (m *Manager) checkRoles(ctx context.Context, namespace string, roles, perms []string) ([]string, []string, error) {
	roles, err := names("roles", roles, MaxRoles)
	if err != nil {
		return nil, nil, err
	}
	if perms, err = names("permissions", perms, MaxPermissions); err != nil {
		return nil, nil, err
	}
	if len(roles) == 0 {
		return roles, perms, nil
	}
	found, err := m.st.RolesByName(ctx, namespace, roles)
	if err != nil {
		return nil, nil, fmt.Errorf("keys: read roles: %w", err)
	}
	for _, r := range roles {
		if !slices.ContainsFunc(found, func(f store.Role) bool { return f.Name == r }) {
			return nil, nil, invalid("roles", fmt.Sprintf("names %q, which is no role of the namespace %q: put the role first", r, namespace))
		}
	}
	return roles, perms, nil
}

// effective returns k's permissions and its roles', sorted, each once,
// never nil: no read for a key without roles, one for a key with some.
func (m *Manager) effective(ctx context.Context, k store.Key) ([]string, error) {
	if len(k.Roles) == 0 {
		if !slices.IsSorted(k.Permissions) { // stored sorted; this keeps allows right whatever wrote the row
			perms := slices.Clone(k.Permissions)
			slices.Sort(perms)
			return slices.Compact(perms), nil
		}
		if k.Permissions == nil {
			return []string{}, nil
		}
		return k.Permissions, nil
	}
	roles, err := m.st.RolesByName(ctx, k.Namespace, k.Roles)
	if err != nil {
		return nil, fmt.Errorf("keys: verify: read roles: %w", err)
	}
	perms := slices.Clone(k.Permissions)
	for _, r := range roles {
		perms = append(perms, r.Permissions...)
	}
	slices.Sort(perms)
	return slices.Compact(perms), nil
}

// parseQuery parses a verification's permission query; "" asks nothing.
func parseQuery(q string) (permquery.Query, error) {
	if q == "" {
		return permquery.Query{}, nil
	}
	pq, err := permquery.Parse(q)
	if err != nil {
		return permquery.Query{}, invalid("permissions", err.Error())
	}
	return pq, nil
}

// allows reports whether perms, sorted, satisfy q.
func allows(q permquery.Query, perms []string) bool {
	return q.Allows(func(p string) bool {
		_, ok := slices.BinarySearch(perms, p)
		return ok
	})
}

// updateAccess checks the name, owner, roles and permissions of u and sets
// them in su; roles are checked against the key's namespace, which costs a
// read of the key.
func (m *Manager) updateAccess(ctx context.Context, id string, u Update, su *store.KeyUpdate) error {
	if u.Name != nil {
		if err := argcheck.Name("keys", "name", *u.Name, false); err != nil {
			return err
		}
		su.Name = u.Name
	}
	if u.Owner != nil {
		if err := argcheck.Name("keys", "owner", *u.Owner, false); err != nil {
			return err
		}
		su.Owner = u.Owner
	}
	if u.Permissions != nil {
		perms, err := names("permissions", *u.Permissions, MaxPermissions)
		if err != nil {
			return err
		}
		if perms == nil {
			perms = []string{}
		}
		su.Permissions = &perms
	}
	if u.Roles != nil {
		k, err := m.st.KeyByID(ctx, id)
		if err != nil {
			return m.wrap("update", err)
		}
		roles, _, err := m.checkRoles(ctx, k.Namespace, *u.Roles, nil)
		if err != nil {
			return err
		}
		if roles == nil {
			roles = []string{}
		}
		su.Roles = &roles
	}
	return nil
}
