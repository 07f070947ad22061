// Command derived runs large-sample chi-square tests on what the generators
// derive from random bytes, where bias hides in the mapping rather than in
// the bytes: TokenString characters, passwords with and without
// RequireEach, passphrase words, numeric codes (per digit position and whole
// codes) and RandBelow at 2^62+1 and 3 x 2^61.
//
//	go run ./bench/derived                 # sample sizes that detect a 0.1% bias
//	go run ./bench/derived -bias 0.01      # quicker, coarser
//
// Sample size. The alternative is a diffuse bias: every cell's probability
// off by a relative b (half the cells up, half down). Pearson's statistic then
// has noncentrality lambda = N b^2, and the test at level alpha detects it
// with probability about one half when lambda reaches c - df, c the critical
// value. So N = (c - df) / b^2, computed for each test from its cells.
// The CI subset of the same checks, at smaller samples, is each package's own
// distribution tests (go test ./...).
package main

import (
	"flag"
	"fmt"
	"math"
	"math/big"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/internal/chisq"
	"github.com/unguessable/secrets/otp"
	"github.com/unguessable/secrets/passphrase"
	"github.com/unguessable/secrets/password"
)

type test struct {
	name  string
	probs []float64
	// draw adds one sample to counts and returns how many cells it counted
	// (a string of L characters counts L).
	draw    func(counts []int64) int64
	perDraw int64
	naive   bool // also test against uniform frequencies, to show the difference
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func uniform(k int) []float64 {
	p := make([]float64, k)
	for i := range p {
		p[i] = 1 / float64(k)
	}
	return p
}

func tests() []test {
	var ts []test

	idx62 := [256]int{}
	for i := range base62 {
		idx62[base62[i]] = i
	}
	ts = append(ts, test{name: "TokenString(32, base62) characters", probs: uniform(62), perDraw: 32,
		draw: func(c []int64) int64 {
			for _, ch := range []byte(secrets.TokenString(32, base62)) {
				c[idx62[ch]]++
			}
			return 32
		}})

	gen, err := password.NewGenerator(password.DefaultOptions())
	must(err)
	alpha := gen.Alphabet()
	idx := [256]int{}
	for i := range alpha {
		idx[alpha[i]] = i
	}
	ts = append(ts, test{name: "password (20 of 94) characters", probs: uniform(len(alpha)), perDraw: 20,
		draw: func(c []int64) int64 {
			for _, ch := range []byte(gen.Generate()) {
				c[idx[ch]]++
			}
			return 20
		}})

	// RequireEach at length 8, where about 1 candidate in 3 is rejected: a
	// character of class c is expected with probability
	// Count(7, n, sizes without c) / Count(8, n, sizes) at each position.
	opts := password.DefaultOptions()
	opts.Length = 8
	opts.RequireEach = true
	req, err := password.NewGenerator(opts)
	must(err)
	ralpha := req.Alphabet()
	classes := []string{password.Lowercase, password.Uppercase, password.Digits, ""}
	var sizes []int
	classOf := map[byte]int{}
	for i := range ralpha {
		ci := 3
		for k := 0; k < 3; k++ {
			if strings.IndexByte(classes[k], ralpha[i]) >= 0 {
				ci = k
			}
		}
		classOf[ralpha[i]] = ci
	}
	sizes = make([]int, 4)
	for _, ci := range classOf {
		sizes[ci]++
	}
	total := password.Count(8, len(ralpha), sizes)
	rprobs := make([]float64, len(ralpha))
	ridx := [256]int{}
	for i := range ralpha {
		ridx[ralpha[i]] = i
		ci := classOf[ralpha[i]]
		rest := append(append([]int(nil), sizes[:ci]...), sizes[ci+1:]...)
		p, _ := new(big.Rat).SetFrac(password.Count(7, len(ralpha), rest), total).Float64()
		rprobs[i] = p // at any one position; positions are exchangeable, so pooled counts follow it too
	}
	ts = append(ts, test{name: "password --require-each (8 of 94) characters", probs: rprobs, perDraw: 8, naive: true,
		draw: func(c []int64) int64 {
			for _, ch := range []byte(req.Generate()) {
				c[ridx[ch]]++
			}
			return 8
		}})

	words := passphrase.EFF().Words()
	widx := make(map[string]int, len(words))
	for i, w := range words {
		widx[w] = i
	}
	pp := passphrase.DefaultOptions()
	pp.Separator = " "
	pgen := passphrase.NewGenerator(pp)
	ts = append(ts, test{name: "passphrase words (EFF, 7776)", probs: uniform(len(words)), perDraw: int64(pp.Words),
		draw: func(c []int64) int64 {
			for _, w := range strings.Split(pgen.Generate(), " ") {
				c[widx[w]]++
			}
			return int64(pp.Words)
		}})

	ts = append(ts, test{name: "otp.Code(6) digit by position (6 x 10 cells)", probs: uniform(60), perDraw: 6,
		draw: func(c []int64) int64 {
			for i, d := range []byte(otp.Code(6)) {
				c[i*10+int(d-'0')]++
			}
			return 6
		}})
	ts = append(ts, test{name: "otp.Code(4) whole codes (10^4 cells)", probs: uniform(10000), perDraw: 1,
		draw: func(c []int64) int64 {
			s := otp.Code(4)
			c[int(s[0]-'0')*1000+int(s[1]-'0')*100+int(s[2]-'0')*10+int(s[3]-'0')]++
			return 1
		}})

	for _, n := range []uint64{1<<62 + 1, 3 << 61} {
		const bins = 1000
		width := (n + bins - 1) / bins
		probs := make([]float64, bins)
		for i := range probs {
			lo := uint64(i) * width
			probs[i] = float64(min(lo+width, n)-lo) / float64(n)
		}
		ts = append(ts, test{name: fmt.Sprintf("RandBelow(%d) in 1000 bins", n), probs: probs, perDraw: 1,
			draw: func(c []int64) int64 {
				c[uint64(secrets.RandBelow(int(n)))/width]++
				return 1
			}})
	}
	return ts
}

// critical returns the chi-square value c with Survival(c, df) = alpha.
func critical(df int, alpha float64) float64 {
	lo, hi := 0.0, float64(df)+100*math.Sqrt(float64(2*df))+100
	for range 200 {
		mid := (lo + hi) / 2
		if chisq.Survival(mid, df) > alpha {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

func main() {
	bias := flag.Float64("bias", 0.001, "relative bias per cell to detect")
	only := flag.String("only", "", "run only tests whose name contains this")
	maxCells := flag.Int64("max", 2_000_000_000, "cap on cells counted per test")
	flag.Parse()

	fmt.Printf("# derived outputs, %s, %d cores; level %g per test, sample sized to detect a %.2g%% diffuse bias with power 1/2\n",
		time.Now().UTC().Format(time.DateOnly), runtime.NumCPU(), chisq.Alpha, 100**bias)
	failed := false
	for _, t := range tests() {
		if *only != "" && !strings.Contains(t.name, *only) {
			continue
		}
		df := len(t.probs) - 1
		c := critical(df, chisq.Alpha)
		cells := int64(math.Ceil((c - float64(df)) / (*bias * *bias)))
		capped := ""
		if cells > *maxCells {
			cells, capped = *maxCells, fmt.Sprintf(" (capped; detects %.2g%%)", 100*math.Sqrt((c-float64(df))/float64(*maxCells)))
		}
		start := time.Now()
		counts := run(t, cells)
		var n int64
		for _, v := range counts {
			n += v
		}
		r := chisq.Test(counts, t.probs, n)
		verdict := "pass"
		if r.Reject() {
			verdict, failed = "FAIL", true
		}
		fmt.Printf("%-48s %14d cells%s  %v  %s  [%v]\n", t.name, n, capped, r, verdict, time.Since(start).Round(time.Second))
		if t.naive {
			// The exact expectation differs from plain uniformity: the test would
			// see it if RequireEach were computed (or sampled) the naive way.
			fmt.Printf("%-48s %14s       against plain uniform frequencies: %v\n", "", "", chisq.Test(counts, uniform(len(counts)), n))
		}
	}
	if failed {
		os.Exit(1)
	}
}

// run draws until at least cells cells are counted, on every core.
func run(t test, cells int64) []int64 {
	workers := runtime.NumCPU()
	draws := (cells + t.perDraw - 1) / t.perDraw
	var mu sync.Mutex
	total := make([]int64, len(t.probs))
	var wg sync.WaitGroup
	for w := range workers {
		share := draws / int64(workers)
		if int64(w) < draws%int64(workers) {
			share++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]int64, len(t.probs))
			for range share {
				t.draw(local)
			}
			mu.Lock()
			for i, v := range local {
				total[i] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "derived:", err)
		os.Exit(2)
	}
}
