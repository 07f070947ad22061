package server

import (
	"net/http"
	"strconv"

	"github.com/unguessable/secrets/keys"
)

// Roles are defined per namespace. Putting one takes the scope
// keys:update (replacing a role changes what every key that names it may
// do, as an update of those keys would) and a namespace of the caller;
// listing them takes keys:read.

type roleJSON struct {
	Namespace   string    `json:"namespace"`
	Name        string    `json:"name"`
	Permissions []string  `json:"permissions"`
	CreatedAt   timestamp `json:"created_at"`
	UpdatedAt   timestamp `json:"updated_at"`
}

func roleInfoJSON(r keys.Role) roleJSON {
	return roleJSON{Namespace: r.Namespace, Name: r.Name, Permissions: nonNil(r.Permissions),
		CreatedAt: timestamp(r.CreatedAt), UpdatedAt: timestamp(r.UpdatedAt)}
}

// nonNil is a list for JSON: [] for none, never null.
func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

type putRoleRequest struct {
	Namespace   string    `json:"namespace"`
	Name        *string   `json:"name"`
	Permissions *[]string `json:"permissions"`
}

// putRole creates a role (201) or replaces its permissions (200).
func (s *Server) putRole(w http.ResponseWriter, r *http.Request) error {
	var req putRoleRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return invalid("name", "name is required, such as \"editor\"")
	}
	if req.Permissions == nil {
		return invalid("permissions", "permissions is required: a list of permission names such as [\"docs.read\"], or [] for none")
	}
	if !seesNamespace(r, req.Namespace) {
		return forbiddenNamespace(req.Namespace)
	}
	role, created, err := s.keys.PutRole(r.Context(), keys.RoleOptions{Namespace: req.Namespace, Name: *req.Name, Permissions: *req.Permissions})
	if err != nil {
		return keysError(err)
	}
	e := auditOf(r)
	e.target, e.namespace = "role:"+role.Name, role.Namespace
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, roleInfoJSON(role))
	return nil
}

type listRolesResponse struct {
	Roles  []roleJSON `json:"roles"`
	Cursor *string    `json:"cursor"`
}

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "namespace", "limit", "cursor")
	if err != nil {
		return err
	}
	opts := keys.RoleListOptions{Namespace: q["namespace"], Cursor: q["cursor"]}
	if !seesNamespace(r, opts.Namespace) {
		return forbiddenNamespace(opts.Namespace)
	}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > keys.MaxRoleListLimit {
			return invalid("limit", "limit must be a whole number from 1 to %d", keys.MaxRoleListLimit)
		}
		opts.Limit = n
	}
	page, err := s.keys.ListRoles(r.Context(), opts)
	if err != nil {
		return keysError(err)
	}
	out := listRolesResponse{Roles: make([]roleJSON, len(page.Roles))}
	for i, role := range page.Roles {
		out.Roles[i] = roleInfoJSON(role)
	}
	if page.Cursor != "" {
		out.Cursor = &page.Cursor
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
