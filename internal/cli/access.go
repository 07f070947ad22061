package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/unguessable/secrets/access"
)

func newAccessCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "access",
		Short: "Create, list and revoke the access keys of secrets serve",
		Long: `Manage the access keys that callers of secrets serve present as
"Authorization: Bearer <key>", directly in the service's database, as an
operator on its host. Each key holds scopes, which name the calls it may
make, and namespaces, which name the API keys it may touch ("*" for all).

The scopes: ` + strings.Join(access.AllScopes, ", ") + `.

The database is --db, or SECRETS_DB, or secrets.db in the working
directory, as for secrets serve.`,
		Example: `  secrets access create --name billing --scope keys:verify --namespace billing
  secrets access list
  secrets access revoke ak_…`,
	}
	cmd.AddCommand(newAccessCreateCmd(s), newAccessListCmd(s), newAccessRevokeCmd(s))
	return cmd
}

// addDBFlag adds --db, defaulting as secrets serve's does.
func addDBFlag(cmd *cobra.Command) *string {
	return cmd.Flags().String("db", envOr("SECRETS_DB", defaultServeDB), "the service's SQLite file `PATH` or postgres:// URL ($SECRETS_DB)")
}

func newAccessCreateCmd(s Streams) *cobra.Command {
	var name string
	var scopes, namespaces []string
	cmd := &cobra.Command{
		Use:   "create --name NAME --scope SCOPE... [--namespace NS...]",
		Short: "Create an access key and print it once",
		Long: `Create an access key with these scopes and namespaces, store only its
SHA-256, and print the key once on standard output; what it is (its id,
scopes and namespaces) goes to standard error. Repeat --scope and
--namespace, or separate values with commas. Without --namespace, the key
may touch API keys of every namespace ("*").

The scopes: ` + strings.Join(access.AllScopes, ", ") + `.`,
		Example: `  secrets access create --name checkout --scope keys:verify --namespace shop > checkout.key
  secrets access create --name ops --scope keys:create,keys:read,keys:revoke
  secrets access create --name admin2 --scope ` + strings.Join(access.AllScopes, ","),
		Args: noArgs,
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "what the key is for, such as the app that holds it (`NAME`)")
	f.StringSliceVar(&scopes, "scope", nil, "a `SCOPE` the key holds; repeat for more")
	f.StringSliceVar(&namespaces, "namespace", []string{access.AllNamespaces}, "a `NAMESPACE` of API keys the key may touch; repeat for more")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("scope")
	db := addDBFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		for _, sc := range scopes {
			if !slices.Contains(access.AllScopes, sc) {
				return usagef("--scope %q is not a scope; the scopes are %s", truncate(sc), strings.Join(access.AllScopes, ", "))
			}
		}
		if err := access.CheckNamespaces(namespaces); err != nil {
			return withHint(usagef("--namespace: %v", err), `a namespace is a name such as billing, or "*" for all`)
		}
		ctx := cmd.Context()
		st, _, err := openStore(ctx, *db, false)
		if err != nil {
			return err
		}
		defer st.Close()
		c, err := access.New(st, access.Options{}).Create(ctx, name, scopes, namespaces)
		if errors.Is(err, access.ErrInvalid) {
			return &usageError{err: err}
		}
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintln(s.Out, c.Plaintext); err != nil {
			return err
		}
		fmt.Fprintf(s.Err, "secrets: created access key %s %q (scopes %s; namespaces %s); the key above is shown once, only its hash is kept\n",
			c.ID, c.Name, strings.Join(c.Scopes, ","), strings.Join(c.Namespaces, ","))
		return nil
	}
	return cmd
}

func newAccessListCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the access keys, revoked ones included",
		Long: `List the access keys in the order they were made: id, name, the redacted
key, scopes, namespaces, when made, last used (to the minute) and revoked.
Never a key itself: only its hash is kept.`,
		Example: `  secrets access list
  secrets access list --db postgres://secrets@db/secrets`,
		Args: noArgs,
	}
	db := addDBFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		st, _, err := openStore(ctx, *db, false)
		if err != nil {
			return err
		}
		defer st.Close()
		m := access.New(st, access.Options{})
		tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tKEY\tSCOPES\tNAMESPACES\tCREATED\tLAST USED\tREVOKED")
		const page = 1000
		for after := ""; ; {
			ks, err := m.List(ctx, after, page)
			if err != nil {
				return err
			}
			for _, k := range ks {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Start, scopeList(k.Scopes),
					strings.Join(k.Namespaces, ","), when(k.CreatedAt), when(k.LastUsedAt), when(k.RevokedAt))
			}
			if len(ks) < page {
				break
			}
			after = ks[len(ks)-1].ID
		}
		return tw.Flush()
	}
	return cmd
}

// scopeList is the scopes of a key, or "all" for every scope.
func scopeList(scopes []string) string {
	if len(scopes) == len(access.AllScopes) && !slices.ContainsFunc(access.AllScopes, func(s string) bool { return !slices.Contains(scopes, s) }) {
		return "all"
	}
	return strings.Join(scopes, ",")
}

// when is t in UTC to the second, or "-" for the zero time.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func newAccessRevokeCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an access key",
		Long: `Revoke the access key with this id (see secrets access list). The command
returns a second after the revocation is written, once no running secrets
serve still trusts its cached copy of the key: from then on every instance
refuses it. Revoking a revoked key changes nothing.`,
		Example: `  secrets access revoke ak_…`,
		Args:    exactArgs(1, "ID"),
	}
	db := addDBFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		st, _, err := openStore(ctx, *db, false)
		if err != nil {
			return err
		}
		defer st.Close()
		k, err := access.New(st, access.Options{}).Revoke(ctx, args[0])
		if errors.Is(err, access.ErrNotFound) {
			return withHint(usagef("no access key has the id %q", truncateArg(args[0])), "secrets access list shows the ids")
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(s.Err, "secrets: revoked access key %s %q at %s\n", k.ID, k.Name, when(k.RevokedAt))
		return nil
	}
	return cmd
}

// truncateArg keeps an argument quoted in an error short: it may be a key
// pasted in the wrong place.
func truncateArg(s string) string {
	if strings.HasPrefix(s, access.Prefix) || len(s) > 40 {
		return "(not shown: it looks like a key)"
	}
	return s
}
