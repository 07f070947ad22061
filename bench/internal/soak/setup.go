package soak

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/unguessable/secrets"
)

// Build builds cmd/secrets of the module at root into dir and returns the
// binary's path.
func Build(root, dir string) (string, error) {
	bin := filepath.Join(dir, "secrets")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/secrets")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/secrets: %v\n%s", err, out)
	}
	return bin, nil
}

// ModuleRoot finds the directory of go.mod above dir.
func ModuleRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}

// Cluster is n instances of one database, with one root key and one
// pepper, both given in the environment.
type Cluster struct {
	Instances []*Instance
	AdminKey  string
}

// StartCluster starts n instances of bin on dsn, one after the other (the
// first migrates the database), logging into dir.
func StartCluster(bin, dsn, dir string, n int, extra ...string) (*Cluster, error) {
	c := &Cluster{AdminKey: "soak-admin-" + secrets.TokenHex(24)}
	env := []string{"SECRETS_ADMIN_KEY=" + c.AdminKey, "SECRETS_PEPPER=" + secrets.TokenHex(32)}
	for range n {
		in, err := NewInstance(bin, dsn, dir, env, extra...)
		if err != nil {
			c.Stop()
			return nil, err
		}
		if err := in.Start(time.Minute); err != nil {
			c.Stop()
			return nil, err
		}
		c.Instances = append(c.Instances, in)
	}
	return c, nil
}

// Stop stops every instance.
func (c *Cluster) Stop() {
	for _, in := range c.Instances {
		in.Stop()
	}
}

// Logs returns the instances' logs, for a failing test.
func (c *Cluster) Logs() string {
	var b strings.Builder
	for _, in := range c.Instances {
		data, _ := os.ReadFile(filepath.Join(in.Dir, "serve-"+strings.ReplaceAll(in.Addr, ":", "_")+".log"))
		fmt.Fprintf(&b, "== secrets serve on %s\n%s", in.Addr, tail(string(data), 40))
	}
	return b.String()
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Verdict is the trend of one series after warm-up.
type Verdict struct {
	Series
	Growth float64 // fitted, relative, per Per seconds
	StdErr float64 // the standard error of Growth
	Per    float64
	Bound  float64
}

// OK reports whether the growth is within the bound. The database's size
// is not bounded: it grows with the records kept (for --retention, a day by
// default); its bytes per record are.
func (v Verdict) OK() bool { return v.Name == "database size" || v.Growth < v.Bound }

// Verdicts fits a line through each series from warm-up on and states its
// growth over per seconds against bound (0.05: 5%).
func Verdicts(samples []Sample, warmup, per, bound float64) []Verdict {
	var out []Verdict
	for _, s := range AllSeries(samples, warmup) {
		out = append(out, Verdict{Series: s, Growth: Growth(s, per), StdErr: GrowthStdErr(s, per), Per: per, Bound: bound})
	}
	return out
}

// String is a line of the verdict table.
func (v Verdict) String() string {
	name := v.Name
	if v.Instance >= 0 {
		name += fmt.Sprintf(" (instance %d)", v.Instance+1)
	}
	mean := 0.0
	for _, x := range v.V {
		mean += x
	}
	if len(v.V) > 0 {
		mean /= float64(len(v.V))
	}
	ok := "ok"
	if !v.OK() {
		ok = "GROWS"
	}
	return fmt.Sprintf("| %s | %.3g %s | %+.1f%% ± %.1f%% | %s |", name, mean, v.Unit, 100*v.Growth, 100*v.StdErr, ok)
}
