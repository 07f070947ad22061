package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Role is a named set of permissions in a namespace; the keys of that
// namespace that name it hold its permissions.
type Role struct {
	Namespace   string    `json:"namespace"`
	Name        string    `json:"name"`
	Permissions []string  `json:"permissions"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// PutRoleRequest is the body of POST /v1/roles. Permissions may be empty
// but is always sent.
type PutRoleRequest struct {
	Namespace   string   `json:"namespace,omitempty"`
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
}

// PutRole creates the role, or replaces its permissions (scope
// keys:update); created reports which. It sets values, so it is retried
// as GET is.
func (c *Client) PutRole(ctx context.Context, req PutRoleRequest) (r Role, created bool, err error) {
	if req.Permissions == nil {
		req.Permissions = []string{}
	}
	var status int
	err = c.do(ctx, call{method: http.MethodPost, path: "/v1/roles", in: req, out: &r, want: http.StatusCreated, alsoOK: http.StatusOK,
		got: &status, safe: true, auth: true})
	return r, status == http.StatusCreated, err
}

// ListRolesOptions are the query of GET /v1/roles.
type ListRolesOptions struct {
	Namespace string // "" is the namespace "default"
	Limit     int    // 0: the service's default
	Cursor    string // from the previous page
}

// RoleList is a page of roles in name order. Cursor is empty on the last
// page.
type RoleList struct {
	Roles  []Role `json:"roles"`
	Cursor string `json:"cursor"`
}

// ListRoles returns a page of the roles of a namespace (scope keys:read).
func (c *Client) ListRoles(ctx context.Context, opts ListRolesOptions) (RoleList, error) {
	q := url.Values{}
	set(q, "namespace", opts.Namespace)
	set(q, "cursor", opts.Cursor)
	if opts.Limit != 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	var l RoleList
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/roles", query: q, out: &l, want: http.StatusOK, safe: true, auth: true})
	return l, err
}
