package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/unguessable/secrets/client"
	"github.com/unguessable/secrets/keys/permquery"
)

// accessKeyEnv holds the access key of the remote commands. It is never a
// flag: a key on a command line is kept in shell history and shown by ps.
const accessKeyEnv = "SECRETS_ACCESS_KEY"

func newKeysCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list, change, revoke, reroll and verify API keys on a running secrets serve",
		Long: `Manage the API keys of a running secrets serve over its HTTP API, as an
operator: --server is the service's URL (or $SECRETS_SERVER), and the access
key is read from $` + accessKeyEnv + ` (never from a flag, which shell history and
ps would keep). Each command needs the scope of its call: keys:create for
create and reroll, keys:read for list, get and roles list, keys:update
for update and roles put, keys:revoke, keys:verify.

The answers are a table, or with --json the service's JSON. A refusal of
the service is shown with its status, code and field, and exits 1; bad
input on the command line exits 2, whether this command or the service
(a 400, naming the field) finds it.`,
		Example: `  export ` + accessKeyEnv + `=sak_…
  secrets keys create --server http://127.0.0.1:8427 --prefix sk_live_ --namespace shop > checkout.key
  secrets keys list --server http://127.0.0.1:8427 --namespace shop
  secrets keys verify --server http://127.0.0.1:8427 --namespace shop < checkout.key
  secrets keys roles put editor --server http://127.0.0.1:8427 --namespace shop --permission docs.read --permission docs.write
  secrets keys verify --server http://127.0.0.1:8427 --namespace shop --permissions 'docs.read AND (docs.write OR admin)' < checkout.key`,
	}
	cmd.AddCommand(newKeysCreateCmd(s), newKeysListCmd(s), newKeysGetCmd(s), newKeysUpdateCmd(s),
		newKeysRevokeCmd(s), newKeysRerollCmd(s), newKeysVerifyCmd(s), newKeysOwnerLimitsCmd(s), newKeysRolesCmd(s))
	return cmd
}

// remote is what every keys subcommand takes to reach the service.
type remote struct {
	server string
	json   bool
}

func addRemoteFlags(cmd *cobra.Command, withJSON bool) *remote {
	r := &remote{}
	cmd.Flags().StringVar(&r.server, "server", os.Getenv("SECRETS_SERVER"), "the `URL` of secrets serve, such as http://127.0.0.1:8427 ($SECRETS_SERVER)")
	if withJSON {
		cmd.Flags().BoolVar(&r.json, "json", false, "print the service's JSON answer instead of a table")
	}
	return r
}

// client returns a client of the service, or a usage error that says what
// is missing.
func (r *remote) client() (*client.Client, error) {
	if r.server == "" {
		return nil, withHint(usagef("--server is required: the URL of secrets serve"), "or set SECRETS_SERVER, such as http://127.0.0.1:8427")
	}
	key := os.Getenv(accessKeyEnv)
	if key == "" {
		return nil, withHint(usagef("%s is not set: the access key to call the service with", accessKeyEnv),
			"export "+accessKeyEnv+"=sak_… (an access key is never a flag: shell history and ps would keep it)")
	}
	c, err := client.New(r.server, key, nil)
	if err != nil {
		return nil, &usageError{err: fmt.Errorf("--server or %s: %w", accessKeyEnv, err)}
	}
	return c, nil
}

// remoteError says what the service answered, with its code and field.
func remoteError(err error) error {
	var e *client.Error
	switch {
	case errors.As(err, &e) && e.Code == "":
		// No error object of the API: a proxy, or another server.
		return withFailureHint(fmt.Errorf("the server answered %d %s, not an error of the secrets API", e.Status, http.StatusText(e.Status)),
			"check that --server is the URL of secrets serve, such as http://127.0.0.1:8427")
	case errors.As(err, &e):
		msg := fmt.Sprintf("the service answered %d %s", e.Status, e.Code)
		if e.Field != "" {
			msg += ", field " + e.Field
		}
		if e.Message != "" {
			msg += ": " + e.Message
		}
		switch e.Status {
		case 400: // what the command line gave, refused by the service
			return &usageError{err: errors.New(msg)}
		case 401:
			return withFailureHint(errors.New(msg), "check "+accessKeyEnv+": it must be an access key of this service, not revoked")
		case 403:
			return withFailureHint(errors.New(msg), "secrets access list shows the scopes and namespaces of each access key")
		}
		return errors.New(msg)
	case errors.Is(err, client.ErrNoID):
		return usagef("the ID is empty")
	}
	return err
}

// printNewKey prints a key the service has just made: its plaintext alone
// on stdout (or the whole answer with --json), and what it is on stderr.
func (r *remote) printNewKey(s Streams, k client.Key, what string) error {
	if r.json {
		return r.printJSON(s, k)
	}
	if _, err := fmt.Fprintln(s.Out, k.Key); err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "secrets: %s; the key above is shown once, only its hash is kept\n", what)
	return nil
}

func (r *remote) printJSON(s Streams, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(s.Out, "%s\n", b)
	return err
}

const keyHeader = "ID\tNAMESPACE\tOWNER\tNAME\tKEY\tENABLED\tREMAINING\tRATELIMIT\tCREATED\tEXPIRES\tREVOKED\tROLES\tPERMISSIONS"

func keyRow(k client.Key) string {
	remaining := "unlimited"
	if k.Remaining != nil {
		remaining = strconv.FormatInt(*k.Remaining, 10)
	}
	rl := "-"
	if k.RateLimit != nil {
		rl = fmt.Sprintf("%d/%v", k.RateLimit.Limit, time.Duration(k.RateLimit.Window)*time.Second)
	}
	return strings.Join([]string{k.ID, dash(k.Namespace), dash(k.Owner), dash(k.Name), k.Start, strconv.FormatBool(k.Enabled),
		remaining, rl, when(k.CreatedAt), when(k.ExpiresAt), when(k.RevokedAt), list(k.Roles), list(k.Permissions)}, "\t")
}

func dash(v string) string {
	if v == "" {
		return "-"
	}
	return v
}

// printKeys prints keys as a table, or as JSON.
func (r *remote) printKeys(s Streams, asJSON any, keys ...client.Key) error {
	if r.json {
		return r.printJSON(s, asJSON)
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, keyHeader)
	for _, k := range keys {
		fmt.Fprintln(tw, keyRow(k))
	}
	return tw.Flush()
}

// seconds parses a duration flag as whole seconds from lo.
func durationSeconds(flag, v string, lo int64) (int64, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d%time.Second != 0 {
		return 0, withHint(usagef("--%s %q is not a duration in whole seconds", flag, truncate(v)), "such as 90s, 15m or 720h")
	}
	if n := int64(d / time.Second); n >= lo {
		return n, nil
	}
	return 0, usagef("--%s %s is too short: the least is %ds", flag, truncate(v), lo)
}

// metaFlag checks that v is a JSON object.
func metaFlag(v string) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &m); err != nil || m == nil {
		return nil, withHint(usagef("--meta is not a JSON object"), `such as --meta '{"plan":"pro"}'`)
	}
	return json.RawMessage(v), nil
}

func newKeysCreateCmd(s Streams) *cobra.Command {
	var prefix, namespace, owner, name, meta, expiresIn, ratelimit string
	var roles, perms []string
	var remaining int64
	cmd := &cobra.Command{
		Use:   "create --server URL --prefix PREFIX [flags]",
		Short: "Create an API key and print it once",
		Long: `Create an API key on the service and print it once on standard output;
what it is (its id and namespace) goes to standard error. With --json, the
service's whole answer goes to standard output, the key in it. The service
keeps only the key's hash.`,
		Example: `  secrets keys create --server http://127.0.0.1:8427 --prefix sk_live_ --namespace shop --owner acme > acme.key
  secrets keys create --server http://127.0.0.1:8427 --prefix sk_test_ --expires-in 720h --remaining 1000 --ratelimit 100/1m
  secrets keys create --server http://127.0.0.1:8427 --prefix sk_live_ --meta '{"plan":"pro"}' --json
  secrets keys create --server http://127.0.0.1:8427 --prefix sk_live_ --owner acme --refill monthly:10000:1 --named-ratelimit requests=100/1m --named-ratelimit tokens=50000/24h
  secrets keys create --server http://127.0.0.1:8427 --prefix sk_live_ --namespace shop --role editor --permission billing.read`,
		Args: noArgs,
	}
	f := cmd.Flags()
	f.StringVar(&prefix, "prefix", "", "the key's `PREFIX`, such as sk_live_")
	f.StringVar(&namespace, "namespace", "", "the `NAMESPACE` of the key (default: the service's default namespace)")
	f.StringVar(&owner, "owner", "", "who the key is for (`OWNER`)")
	f.StringVar(&name, "name", "", "what the key is for (`NAME`)")
	f.StringVar(&meta, "meta", "", "a JSON object kept with the key and answered by verify")
	f.StringVar(&expiresIn, "expires-in", "", "the key expires after this `DURATION`, such as 720h")
	f.Int64Var(&remaining, "remaining", 0, "the key allows `N` uses (default unlimited)")
	f.StringVar(&ratelimit, "ratelimit", "", "at most LIMIT verifications per WINDOW (`LIMIT/WINDOW`, such as 100/1m)")
	f.StringSliceVar(&roles, "role", nil, "a `ROLE` of the key's namespace whose permissions the key holds (repeat it, or separate roles with commas)")
	f.StringSliceVar(&perms, "permission", nil, "a `PERMISSION` the key holds itself, such as docs.read (repeat it, or separate them with commas)")
	_ = cmd.MarkFlagRequired("prefix")
	lf := addLimitFlags(cmd, false)
	r := addRemoteFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		req := client.CreateKeyRequest{Prefix: prefix, Namespace: namespace, Owner: owner, Name: name}
		err := lf.create(&req)
		if err != nil {
			return err
		}
		if req.Roles, err = nameList("role", roles); err != nil {
			return err
		}
		if req.Permissions, err = nameList("permission", perms); err != nil {
			return err
		}
		if cmd.Flags().Changed("meta") {
			if req.Meta, err = metaFlag(meta); err != nil {
				return err
			}
		}
		if expiresIn != "" {
			n, err := durationSeconds("expires-in", expiresIn, 1)
			if err != nil {
				return err
			}
			req.ExpiresIn = &n
		}
		if cmd.Flags().Changed("remaining") {
			if remaining < 0 {
				return usagef("--remaining %d is negative", remaining)
			}
			req.Remaining = &remaining
		}
		if ratelimit != "" {
			if req.RateLimit, err = rateLimitFlag(ratelimit); err != nil {
				return err
			}
		}
		c, err := r.client()
		if err != nil {
			return err
		}
		k, err := c.CreateKey(cmd.Context(), req)
		if err != nil {
			return remoteError(err)
		}
		return r.printNewKey(s, k, fmt.Sprintf("created key %s in namespace %s", k.ID, k.Namespace))
	}
	return cmd
}

// rateLimitFlag parses LIMIT/WINDOW.
func rateLimitFlag(v string) (*client.RateLimit, error) {
	limit, window, ok := strings.Cut(v, "/")
	if !ok {
		return nil, withHint(usagef("--ratelimit %q is not LIMIT/WINDOW", truncate(v)), "such as 100/1m: 100 verifications a minute")
	}
	n, err := parseInt("--ratelimit LIMIT", limit, 1, 1<<62)
	if err != nil {
		return nil, err
	}
	w, err := durationSeconds("ratelimit", window, 1)
	if err != nil {
		return nil, err
	}
	return &client.RateLimit{Limit: n, Window: w}, nil
}

func newKeysListCmd(s Streams) *cobra.Command {
	var namespace, owner, status, namePrefix string
	var limit int
	cmd := &cobra.Command{
		Use:   "list --server URL [--namespace NS] [--owner OWNER] [--status STATUS] [--name-prefix PREFIX]",
		Short: "List API keys",
		Long: `List the API keys of the service, every page of them, oldest first: id,
namespace, owner, name, the key's first characters (never the key: only its
hash is kept), uses left, rate limit, times, roles and permissions. The
filters combine: --status is active, expired, revoked or disabled, as the
key stands now; --name-prefix matches the start of the name, case-sensitive.
An access key limited to some namespaces must name one with --namespace.`,
		Example: `  secrets keys list --server http://127.0.0.1:8427 --namespace shop
  secrets keys list --server http://127.0.0.1:8427 --owner acme --json
  secrets keys list --server http://127.0.0.1:8427 --namespace shop --status active --name-prefix ci-`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&namespace, "namespace", "", "only keys of this `NAMESPACE`")
	cmd.Flags().StringVar(&owner, "owner", "", "only keys of this `OWNER`")
	cmd.Flags().StringVar(&status, "status", "", "only keys in this `STATUS` now: active, expired, revoked or disabled")
	cmd.Flags().StringVar(&namePrefix, "name-prefix", "", "only keys whose name starts with `PREFIX`")
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most `N` keys (default all)")
	r := addRemoteFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if limit < 0 {
			return usagef("--limit %d is negative", limit)
		}
		switch status {
		case "", "active", "expired", "revoked", "disabled":
		default:
			return withHint(usagef("--status %q is not a status", truncate(status)), "active, expired, revoked or disabled")
		}
		c, err := r.client()
		if err != nil {
			return err
		}
		ks, err := listAll(cmd.Context(), c, client.ListKeysOptions{Namespace: namespace, Owner: owner, Status: status, NamePrefix: namePrefix}, limit)
		if err != nil {
			return remoteError(err)
		}
		return r.printKeys(s, client.KeyList{Keys: ks}, ks...)
	}
	return cmd
}

// listAll pages through the keys, to at most limit of them when limit > 0.
func listAll(ctx context.Context, c *client.Client, opts client.ListKeysOptions, limit int) ([]client.Key, error) {
	const page = 1000
	ks := []client.Key{}
	for {
		opts.Limit = page
		if limit > 0 {
			opts.Limit = min(page, limit-len(ks))
		}
		l, err := c.ListKeys(ctx, opts)
		if err != nil {
			return nil, err
		}
		ks = append(ks, l.Keys...)
		if l.Cursor == "" || (limit > 0 && len(ks) >= limit) {
			return ks, nil
		}
		opts.Cursor = l.Cursor
	}
}

func newKeysGetCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "get ID --server URL",
		Short:   "Show one API key",
		Long:    `Show the API key with this id (never the key itself: only its hash is kept).`,
		Example: `  secrets keys get key_… --server http://127.0.0.1:8427`,
		Args:    exactArgs(1, "ID"),
	}
	r := addRemoteFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := r.client()
		if err != nil {
			return err
		}
		k, err := c.GetKey(cmd.Context(), args[0])
		if err != nil {
			return remoteError(err)
		}
		return r.printKeys(s, k, k)
	}
	return cmd
}

func newKeysUpdateCmd(s Streams) *cobra.Command {
	var enable, disable, clearRoles, clearPerms bool
	var meta, remaining, expiresAt, name, owner string
	var roles, perms []string
	cmd := &cobra.Command{
		Use:   "update ID --server URL [--enable|--disable] [--meta JSON] [--remaining N|unlimited] [--expires-at TIME|never] [--name NAME] [--owner OWNER] [--role ROLE]... [--permission PERMISSION]...",
		Short: "Change an API key",
		Long: `Change the API key with this id and show it as it is now. Only the
flags given change: --enable or --disable, --meta (a JSON object; {}
clears it), --remaining (a number of uses, or unlimited), --expires-at (an
RFC 3339 time, or never), --name, --owner, --role (the key's roles become
those given; --clear-roles removes them all) and --permission (the key's
own permissions become those given; --clear-permissions removes them all).`,
		Example: `  secrets keys update key_… --server http://127.0.0.1:8427 --disable
  secrets keys update key_… --server http://127.0.0.1:8427 --remaining 500 --expires-at 2030-01-01T00:00:00Z
  secrets keys update key_… --server http://127.0.0.1:8427 --remaining unlimited --expires-at never
  secrets keys update key_… --server http://127.0.0.1:8427 --refill daily:500 --named-ratelimit requests=20/1s
  secrets keys update key_… --server http://127.0.0.1:8427 --refill none --no-named-ratelimits
  secrets keys update key_… --server http://127.0.0.1:8427 --name ci-2 --owner acme --role editor --permission billing.read
  secrets keys update key_… --server http://127.0.0.1:8427 --clear-roles --clear-permissions`,
		Args: exactArgs(1, "ID"),
	}
	f := cmd.Flags()
	f.BoolVar(&enable, "enable", false, "let the key verify again")
	f.BoolVar(&disable, "disable", false, "make every verification of the key answer DISABLED")
	f.StringVar(&meta, "meta", "", "a JSON object to keep with the key instead ({} clears it)")
	f.StringVar(&remaining, "remaining", "", "the uses left (`N`, or unlimited)")
	f.StringVar(&expiresAt, "expires-at", "", "when the key expires (`TIME` in RFC 3339, or never)")
	f.StringVar(&name, "name", "", "the key's new `NAME`")
	f.StringVar(&owner, "owner", "", "the key's new `OWNER`")
	f.StringSliceVar(&roles, "role", nil, "the key's roles become these (`ROLE`, repeat it or separate with commas)")
	f.StringSliceVar(&perms, "permission", nil, "the key's own permissions become these (`PERMISSION`, repeat it or separate with commas)")
	f.BoolVar(&clearRoles, "clear-roles", false, "remove every role of the key")
	f.BoolVar(&clearPerms, "clear-permissions", false, "remove every permission the key holds itself")
	exclusiveFlags(cmd, "give --enable or --disable, not both", "enable", "disable")
	lf := addLimitFlags(cmd, true)
	oneRequiredFlags(cmd, "say what to change: --enable, --disable, --meta, --remaining, --expires-at, --refill, --named-ratelimit, --no-named-ratelimits, --name, --owner, --role, --permission, --clear-roles or --clear-permissions",
		"enable", "disable", "meta", "remaining", "expires-at", "refill", "named-ratelimit", "no-named-ratelimits", "name", "owner", "role", "permission", "clear-roles", "clear-permissions")
	exclusiveFlags(cmd, "give --role or --clear-roles, not both", "role", "clear-roles")
	exclusiveFlags(cmd, "give --permission or --clear-permissions, not both", "permission", "clear-permissions")
	r := addRemoteFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var req client.UpdateKeyRequest
		switch {
		case enable:
			req.Enabled = new(true)
		case disable:
			req.Enabled = new(false)
		}
		var err error
		if cmd.Flags().Changed("meta") {
			if req.Meta, err = metaFlag(meta); err != nil {
				return err
			}
		}
		if cmd.Flags().Changed("name") {
			req.Name = &name
		}
		if cmd.Flags().Changed("owner") {
			req.Owner = &owner
		}
		if cmd.Flags().Changed("role") || clearRoles {
			names, err := nameList("role", roles)
			if err != nil {
				return err
			}
			req.Roles = &names
		}
		if cmd.Flags().Changed("permission") || clearPerms {
			names, err := nameList("permission", perms)
			if err != nil {
				return err
			}
			req.Permissions = &names
		}
		if cmd.Flags().Changed("remaining") {
			if remaining == "unlimited" {
				req.Remaining = client.Null
			} else {
				n, err := parseInt("--remaining", remaining, 0, 1<<62)
				if err != nil {
					return withHint(err, "a number of uses, or unlimited")
				}
				req.Remaining = client.Int(n)
			}
		}
		if cmd.Flags().Changed("expires-at") {
			if expiresAt == "never" {
				req.ExpiresAt = client.Null
			} else {
				t, err := time.Parse(time.RFC3339Nano, expiresAt)
				if err != nil {
					return withHint(usagef("--expires-at %q is not an RFC 3339 time", truncate(expiresAt)), "such as 2030-01-02T15:04:05Z, or never")
				}
				req.ExpiresAt = client.Time(t)
			}
		}
		if err := lf.update(cmd, &req); err != nil {
			return err
		}
		c, err := r.client()
		if err != nil {
			return err
		}
		k, err := c.UpdateKey(cmd.Context(), args[0], req)
		if err != nil {
			return remoteError(err)
		}
		return r.printKeys(s, k, k)
	}
	return cmd
}

func newKeysRevokeCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "revoke ID --server URL",
		Short: "Revoke an API key",
		Long: `Revoke the API key with this id: from now on it verifies as REVOKED.
Revoking a revoked key changes nothing.`,
		Example: `  secrets keys revoke key_… --server http://127.0.0.1:8427`,
		Args:    exactArgs(1, "ID"),
	}
	r := addRemoteFlags(cmd, false)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := r.client()
		if err != nil {
			return err
		}
		if err := c.RevokeKey(cmd.Context(), args[0]); err != nil {
			return remoteError(err)
		}
		fmt.Fprintf(s.Err, "secrets: revoked key %s\n", truncateArg(args[0]))
		return nil
	}
	return cmd
}

func newKeysRerollCmd(s Streams) *cobra.Command {
	var overlap string
	cmd := &cobra.Command{
		Use:   "reroll ID --server URL [--overlap DURATION]",
		Short: "Replace an API key by a new one and print it once",
		Long: `Replace the API key with this id by a new key with the same settings,
and print the new key once on standard output (with --json, the service's
answer). The old key stops working now, or after --overlap.`,
		Example: `  secrets keys reroll key_… --server http://127.0.0.1:8427 --overlap 24h > new.key`,
		Args:    exactArgs(1, "ID"),
	}
	cmd.Flags().StringVar(&overlap, "overlap", "", "how long the old key keeps working (`DURATION`, such as 24h; default 0)")
	r := addRemoteFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var req client.RerollKeyRequest
		if overlap != "" {
			n, err := durationSeconds("overlap", overlap, 0)
			if err != nil {
				return err
			}
			req.Overlap = &n
		}
		c, err := r.client()
		if err != nil {
			return err
		}
		k, err := c.RerollKey(cmd.Context(), args[0], req)
		if err != nil {
			return remoteError(err)
		}
		return r.printNewKey(s, k, "rerolled into key "+k.ID)
	}
	return cmd
}

func newKeysVerifyCmd(s Streams) *cobra.Command {
	var namespace, perms string
	var cost int64
	cmd := &cobra.Command{
		Use:   "verify --server URL [--namespace NS] [--cost N] [--permissions QUERY] < KEYFILE",
		Short: "Verify an API key read from standard input",
		Long: `Verify the API key on the first line of standard input, as a service
that receives it would: this spends --cost uses and rate-limit units of
the key. The key is never an argument: command lines are kept in shell
history and shown by ps. With --permissions, the key must also hold the
permissions of the query (names joined by AND and OR, grouped with
parentheses), or it is INSUFFICIENT_PERMISSIONS and spends nothing, and
the answer lists the key's effective permissions. Prints the answer as a
table (or --json) and exits 0 when the key is valid, 1 when it is not.`,
		Example: `  secrets keys verify --server http://127.0.0.1:8427 --namespace shop < acme.key
  printf '%s\n' "$KEY" | secrets keys verify --server http://127.0.0.1:8427 --json
  secrets keys verify --server http://127.0.0.1:8427 --spend requests --spend tokens=250 < acme.key
  secrets keys verify --server http://127.0.0.1:8427 --permissions 'docs.read AND (docs.write OR admin)' < acme.key
  printf '%s\n' "$KEY" | secrets keys verify --server http://127.0.0.1:8427 --json`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&namespace, "namespace", "", "the `NAMESPACE` the key must be in")
	cmd.Flags().Int64Var(&cost, "cost", 1, "spend `N` uses and rate-limit units")
	var spend []string
	cmd.Flags().StringArrayVar(&spend, "spend", nil, "check and spend only this named rate limit (`NAME[=COST]`, COST default --cost); repeat for more (default: all of the key's and its owner's, at --cost)")
	cmd.Flags().StringVar(&perms, "permissions", "", "a permission `QUERY` the key must satisfy, such as 'docs.read AND (docs.write OR admin)'")
	r := addRemoteFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if cmd.Flags().Changed("permissions") {
			if _, err := permquery.Parse(perms); err != nil {
				return withHint(usagef("--permissions: %v", err), "permission names joined by AND and OR, such as 'docs.read AND (docs.write OR admin)'")
			}
		}
		key, err := readKey(s.In)
		if err != nil {
			return err
		}
		c, err := r.client()
		if err != nil {
			return err
		}
		req := client.VerifyKeyRequest{Key: key, Namespace: namespace, Permissions: perms}
		if req.RateLimits, err = spendFlags(spend); err != nil {
			return err
		}
		if cmd.Flags().Changed("cost") {
			req.Cost = &cost
		}
		v, err := c.VerifyKey(cmd.Context(), req)
		if err != nil {
			return remoteError(err)
		}
		if r.json {
			if err := r.printJSON(s, v); err != nil {
				return err
			}
		} else {
			remaining, rl := "-", "-"
			if v.Remaining != nil {
				remaining = strconv.FormatInt(*v.Remaining, 10)
			}
			if v.RateLimit != nil {
				rl = fmt.Sprintf("%d of %d until %s", v.RateLimit.Remaining, v.RateLimit.Limit, when(v.RateLimit.Reset))
			}
			tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VALID\tSTATUS\tID\tNAMESPACE\tOWNER\tNAME\tREMAINING\tRATELIMIT\tPERMISSIONS")
			fmt.Fprintf(tw, "%t\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Valid, v.Status, dash(v.ID), dash(v.Namespace), dash(v.Owner), dash(v.Name), remaining, rl, list(v.Permissions))
			if err := tw.Flush(); err != nil {
				return err
			}
			if err := printVerifyLimits(s, v); err != nil {
				return err
			}
		}
		if !v.Valid {
			return exitWith(exitFailure, "the key is not valid: "+v.Status)
		}
		return nil
	}
	return cmd
}
