package cli

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/unguessable/secrets/client"
)

// limitFlags are the flags of a key's refill and named rate limits.
type limitFlags struct {
	refill string
	named  []string
	none   bool // update: --no-named-ratelimits
}

func addLimitFlags(cmd *cobra.Command, update bool) *limitFlags {
	lf := &limitFlags{}
	refillUsage := "refill the remaining uses (`INTERVAL:AMOUNT[:DAY]`: daily:1000, or monthly:1000:15; a day past a month's end means its last day)"
	if update {
		refillUsage = "replace the refill (`INTERVAL:AMOUNT[:DAY]`, such as monthly:1000:1), or none to remove it"
	}
	cmd.Flags().StringVar(&lf.refill, "refill", "", refillUsage)
	cmd.Flags().StringArrayVar(&lf.named, "named-ratelimit", nil, "a named rate limit (`NAME=LIMIT/WINDOW`, such as requests=100/1m); repeat for more"+
		map[bool]string{true: "; replaces them all", false: ""}[update])
	if update {
		cmd.Flags().BoolVar(&lf.none, "no-named-ratelimits", false, "remove the key's named rate limits")
	}
	return lf
}

// refillFlag parses INTERVAL:AMOUNT[:DAY].
func refillFlag(v string) (client.Refill, error) {
	parts := strings.Split(v, ":")
	hint := "such as daily:1000 or monthly:1000:15"
	if len(parts) < 2 || len(parts) > 3 || (parts[0] != "daily" && parts[0] != "monthly") {
		return client.Refill{}, withHint(usagef("--refill %q is not INTERVAL:AMOUNT[:DAY] with INTERVAL daily or monthly", truncate(v)), hint)
	}
	amount, err := parseInt("--refill AMOUNT", parts[1], 1, 1<<62)
	if err != nil {
		return client.Refill{}, withHint(err, hint)
	}
	r := client.Refill{Interval: parts[0], Amount: amount}
	if len(parts) == 3 {
		if parts[0] != "monthly" {
			return client.Refill{}, withHint(usagef("--refill: a DAY is for a monthly refill only"), hint)
		}
		day, err := parseInt("--refill DAY", parts[2], 1, 31)
		if err != nil {
			return client.Refill{}, withHint(err, hint)
		}
		r.Day = int(day)
	}
	return r, nil
}

// namedRateLimitFlag parses NAME=LIMIT/WINDOW.
func namedRateLimitFlag(v string) (client.NamedRateLimit, error) {
	name, lw, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return client.NamedRateLimit{}, withHint(usagef("--named-ratelimit %q is not NAME=LIMIT/WINDOW", truncate(v)), "such as requests=100/1m")
	}
	rl, err := rateLimitFlag(lw)
	if err != nil {
		return client.NamedRateLimit{}, err
	}
	return client.NamedRateLimit{Name: name, Limit: rl.Limit, Window: rl.Window}, nil
}

func namedRateLimitFlags(vs []string) ([]client.NamedRateLimit, error) {
	ls := []client.NamedRateLimit{}
	for _, v := range vs {
		l, err := namedRateLimitFlag(v)
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
	}
	return ls, nil
}

// create sets the limits of a new key.
func (lf *limitFlags) create(req *client.CreateKeyRequest) error {
	if lf.refill != "" {
		r, err := refillFlag(lf.refill)
		if err != nil {
			return err
		}
		req.Refill = &r
	}
	var err error
	if len(lf.named) > 0 {
		req.RateLimits, err = namedRateLimitFlags(lf.named)
	}
	return err
}

// update sets the limits of a PATCH.
func (lf *limitFlags) update(cmd *cobra.Command, req *client.UpdateKeyRequest) error {
	if cmd.Flags().Changed("refill") {
		if lf.refill == "none" {
			req.Refill = client.Null
		} else {
			r, err := refillFlag(lf.refill)
			if err != nil {
				return err
			}
			req.Refill = client.RefillJSON(r)
		}
	}
	if lf.none && len(lf.named) > 0 {
		return usagef("give --named-ratelimit or --no-named-ratelimits, not both")
	}
	if lf.none {
		req.RateLimits = client.RateLimitsJSON(nil)
	}
	if len(lf.named) > 0 {
		ls, err := namedRateLimitFlags(lf.named)
		if err != nil {
			return err
		}
		req.RateLimits = client.RateLimitsJSON(ls)
	}
	return nil
}

// spendFlags parses verify's --spend NAME[=COST].
func spendFlags(vs []string) ([]client.LimitCost, error) {
	var ls []client.LimitCost
	for _, v := range vs {
		name, cost, hasCost := strings.Cut(v, "=")
		if name == "" {
			return nil, withHint(usagef("--spend %q has no NAME", truncate(v)), "such as --spend requests or --spend tokens=250")
		}
		l := client.LimitCost{Name: name}
		if hasCost {
			n, err := parseInt("--spend COST", cost, 0, 1<<30)
			if err != nil {
				return nil, err
			}
			l.Cost = &n
		}
		ls = append(ls, l)
	}
	return ls, nil
}

// printVerifyLimits prints the named rate limits and refill of a
// verification under its table.
func printVerifyLimits(s Streams, v client.VerifyKeyResponse) error {
	if len(v.RateLimits) == 0 && v.Refill == nil {
		return nil
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nLIMIT\tSCOPE\tREMAINING\tRESET")
	for _, l := range v.RateLimits {
		fmt.Fprintf(tw, "%s\t%s\t%d of %d\t%s\n", l.Name, l.Scope, l.Remaining, l.Limit, when(l.Reset))
	}
	if r := v.Refill; r != nil {
		fmt.Fprintf(tw, "refill\t%s\t%d (refills to %d)\t%s\n", r.Interval, r.Remaining, r.Amount, when(r.NextRefillAt))
	}
	return tw.Flush()
}

func newKeysOwnerLimitsCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "owner-ratelimits",
		Short: "Set or show the named rate limits shared by all keys of an owner",
		Long: `An owner's named rate limits are shared by all its keys in one namespace:
every verification of any of them is checked against the owner's limits and
the key's own, and spends from all of them or from none.`,
		Example: `  secrets keys owner-ratelimits set acme --server http://127.0.0.1:8427 --namespace shop --named-ratelimit requests=1000/1m
  secrets keys owner-ratelimits get acme --server http://127.0.0.1:8427 --namespace shop`,
	}
	cmd.AddCommand(newOwnerLimitsSetCmd(s), newOwnerLimitsGetCmd(s))
	return cmd
}

func newOwnerLimitsSetCmd(s Streams) *cobra.Command {
	var namespace string
	var named []string
	var none bool
	cmd := &cobra.Command{
		Use:   "set OWNER --server URL [--namespace NS] (--named-ratelimit NAME=LIMIT/WINDOW ... | --none)",
		Short: "Replace the named rate limits of an owner",
		Long: `Replace the named rate limits shared by the keys of OWNER in the namespace
(scope keys:update). A limit whose name stays keeps its current window;
--none removes them all.`,
		Example: `  secrets keys owner-ratelimits set acme --server http://127.0.0.1:8427 --named-ratelimit requests=1000/1m --named-ratelimit tokens=50000/24h
  secrets keys owner-ratelimits set acme --server http://127.0.0.1:8427 --none`,
		Args: exactArgs(1, "OWNER"),
	}
	cmd.Flags().StringVar(&namespace, "namespace", "", "the owner's `NAMESPACE` (default: the service's default namespace)")
	cmd.Flags().StringArrayVar(&named, "named-ratelimit", nil, "a named rate limit (`NAME=LIMIT/WINDOW`, such as requests=100/1m); repeat for more")
	cmd.Flags().BoolVar(&none, "none", false, "remove the owner's named rate limits")
	exclusiveFlags(cmd, "give --named-ratelimit or --none, not both", "named-ratelimit", "none")
	oneRequiredFlags(cmd, "say what to set: --named-ratelimit NAME=LIMIT/WINDOW, or --none", "named-ratelimit", "none")
	r := addRemoteFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ls, err := namedRateLimitFlags(named)
		if err != nil {
			return err
		}
		c, err := r.client()
		if err != nil {
			return err
		}
		o, err := c.SetOwnerRateLimits(cmd.Context(), namespace, args[0], ls)
		if err != nil {
			return remoteError(err)
		}
		return r.printOwnerLimits(s, o)
	}
	return cmd
}

func newOwnerLimitsGetCmd(s Streams) *cobra.Command {
	var namespace string
	cmd := &cobra.Command{
		Use:     "get OWNER --server URL [--namespace NS]",
		Short:   "Show the named rate limits of an owner",
		Long:    `Show the named rate limits shared by the keys of OWNER in the namespace, with their current windows (scope keys:read).`,
		Example: `  secrets keys owner-ratelimits get acme --server http://127.0.0.1:8427 --namespace shop --json`,
		Args:    exactArgs(1, "OWNER"),
	}
	cmd.Flags().StringVar(&namespace, "namespace", "", "the owner's `NAMESPACE` (default: the service's default namespace)")
	r := addRemoteFlags(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := r.client()
		if err != nil {
			return err
		}
		o, err := c.OwnerRateLimits(cmd.Context(), namespace, args[0])
		if err != nil {
			return remoteError(err)
		}
		return r.printOwnerLimits(s, o)
	}
	return cmd
}

func (r *remote) printOwnerLimits(s Streams, o client.OwnerRateLimits) error {
	if r.json {
		return r.printJSON(s, o)
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tOWNER\tLIMIT\tRATE\tREMAINING\tRESET")
	for _, l := range o.RateLimits {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", o.Namespace, o.Owner, l.Name, strconv.FormatInt(l.Limit, 10)+"/"+strconv.FormatInt(l.Window, 10)+"s", l.Remaining, when(l.Reset))
	}
	return tw.Flush()
}
