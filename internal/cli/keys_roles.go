package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/unguessable/secrets/client"
	"github.com/unguessable/secrets/keys/permquery"
)

func newKeysRolesCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "roles",
		Short: "Put and list the roles that API keys name",
		Long: `A role is a named set of permissions in a namespace. A key of that
namespace that names the role (secrets keys create --role) holds its
permissions as the role stands at each verification: putting the role
again with other permissions changes what its keys may do at once.
Putting a role needs the scope keys:update, listing them keys:read.`,
		Example: `  secrets keys roles put editor --server http://127.0.0.1:8427 --namespace shop --permission docs.read --permission docs.write
  secrets keys roles list --server http://127.0.0.1:8427 --namespace shop`,
	}
	cmd.AddCommand(newKeysRolesPutCmd(s), newKeysRolesListCmd(s))
	return cmd
}

// nameList checks role or permission names given with --role or
// --permission, so that a bad one exits 2 before any call; never nil.
func nameList(flag string, v []string) ([]string, error) {
	out := []string{}
	for _, n := range v {
		if !permquery.ValidName(n) {
			return nil, withHint(usagef("--%s %q is not a name", flag, truncate(n)), fmt.Sprintf("1 to %d letters, digits and . _ : / -, other than AND and OR", permquery.MaxNameBytes))
		}
		out = append(out, n)
	}
	return out, nil
}

// list is names for a table cell.
func list(v []string) string {
	if len(v) == 0 {
		return "-"
	}
	return strings.Join(v, ",")
}

func newKeysRolesPutCmd(s Streams) *cobra.Command {
	var namespace string
	var perms []string
	cmd := &cobra.Command{
		Use:   "put NAME --server URL [--namespace NS] [--permission PERMISSION]...",
		Short: "Create a role, or replace its permissions",
		Long: `Create the role NAME in the namespace, or replace its permissions with
those given (none: the role grants nothing). Prints the role as it is now.`,
		Example: `  secrets keys roles put editor --server http://127.0.0.1:8427 --namespace shop --permission docs.read,docs.write
  secrets keys roles put auditor --server http://127.0.0.1:8427 --permission audit.read --json`,
		Args: exactArgs(1, "NAME"),
	}
	cmd.Flags().StringVar(&namespace, "namespace", "", "the `NAMESPACE` of the role (default: the service's default namespace)")
	cmd.Flags().StringSliceVar(&perms, "permission", nil, "a `PERMISSION` the role grants (repeat it, or separate them with commas)")
	r := addRemoteFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if !permquery.ValidName(args[0]) {
			return withHint(usagef("the role name %q is not a name", truncate(args[0])), fmt.Sprintf("1 to %d letters, digits and . _ : / -, other than AND and OR", permquery.MaxNameBytes))
		}
		names, err := nameList("permission", perms)
		if err != nil {
			return err
		}
		c, err := r.client()
		if err != nil {
			return err
		}
		role, created, err := c.PutRole(cmd.Context(), client.PutRoleRequest{Namespace: namespace, Name: args[0], Permissions: names})
		if err != nil {
			return remoteError(err)
		}
		what := "replaced the permissions of role"
		if created {
			what = "created role"
		}
		fmt.Fprintf(s.Err, "secrets: %s %s in namespace %s\n", what, role.Name, role.Namespace)
		return r.printRoles(s, role, role)
	}
	return cmd
}

func newKeysRolesListCmd(s Streams) *cobra.Command {
	var namespace string
	cmd := &cobra.Command{
		Use:   "list --server URL [--namespace NS]",
		Short: "List the roles of a namespace",
		Long:  `List the roles of a namespace, every page of them, in name order, with their permissions.`,
		Example: `  secrets keys roles list --server http://127.0.0.1:8427 --namespace shop
  secrets keys roles list --server http://127.0.0.1:8427 --json`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&namespace, "namespace", "", "the `NAMESPACE` (default: the service's default namespace)")
	r := addRemoteFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := r.client()
		if err != nil {
			return err
		}
		all := []client.Role{}
		opts := client.ListRolesOptions{Namespace: namespace, Limit: 1000}
		for {
			l, err := c.ListRoles(cmd.Context(), opts)
			if err != nil {
				return remoteError(err)
			}
			all = append(all, l.Roles...)
			if l.Cursor == "" {
				break
			}
			opts.Cursor = l.Cursor
		}
		return r.printRoles(s, client.RoleList{Roles: all}, all...)
	}
	return cmd
}

// printRoles prints roles as a table, or asJSON as JSON.
func (r *remote) printRoles(s Streams, asJSON any, roles ...client.Role) error {
	if r.json {
		return r.printJSON(s, asJSON)
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tNAME\tPERMISSIONS\tCREATED\tUPDATED")
	for _, role := range roles {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", role.Namespace, role.Name, list(role.Permissions), when(role.CreatedAt), when(role.UpdatedAt))
	}
	return tw.Flush()
}
