package store

import (
	"context"
	"slices"
	"time"
)

// Role is a named set of permissions in a namespace; a key that names the
// role holds them, for as long as it names it and as the role stands at
// each verification.
type Role struct {
	Namespace   string
	Name        string
	Permissions []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Clone returns a copy of r that shares no memory with it.
func (r Role) Clone() Role {
	r.Permissions = slices.Clone(r.Permissions)
	return r
}

// RoleStore keeps roles.
type RoleStore interface {
	// PutRole stores r, or replaces the permissions of the role of that
	// namespace and name (keeping its CreatedAt), and returns the role as
	// stored; created reports whether it was new.
	PutRole(ctx context.Context, r Role) (stored Role, created bool, err error)
	// RolesByName returns the roles of namespace with these names that
	// exist, in name order.
	RolesByName(ctx context.Context, namespace string, names []string) ([]Role, error)
	// ListRoles returns the roles of namespace in name order, after the
	// name after, at most limit.
	ListRoles(ctx context.Context, namespace, after string, limit int) ([]Role, error)
}
