package randtest

import (
	"bytes"
	"context"
	"errors"
	mrand "math/rand/v2"
	"testing"

	"github.com/unguessable/secrets/internal/stream"
)

// ciBytes is the CI subset's sample: 20 MB, 8,000 rngtest blocks.
const ciBytes = 20_000_000

// secretsBytes returns n bytes from the same code path as `secrets bytes`.
func secretsBytes(t *testing.T, n int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.Grow(int(n))
	if err := stream.Tokens(context.Background(), &buf, stream.Raw, 1<<20, n>>20, nil); err != nil {
		t.Fatal(err)
	}
	if rest := n - int64(buf.Len()); rest > 0 {
		if err := stream.Tokens(context.Background(), &buf, stream.Raw, rest, 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func skipWithoutTool(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, ErrMissingTool) {
		t.Skipf("skipping: %v (.ci/run installs it)", err)
	}
}

// Every ent statistic within 6 standard deviations (chi-square: two-sided
// p above 1e-9): a false failure about 1 run in 10^8.
func TestSecretsBytesPassEnt(t *testing.T) {
	e, err := RunEnt(bytes.NewReader(secretsBytes(t, ciBytes)))
	skipWithoutTool(t, err)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(e)
	if err := e.Check(); err != nil {
		t.Error(err)
	}
}

// The ent check must fail on output that is visibly not random: a
// math/rand stream whose top bit of every byte is cleared.
func TestEntCheckRejectsABiasedStream(t *testing.T) {
	r := mrand.New(mrand.NewPCG(1, 2))
	b := make([]byte, ciBytes/10)
	for i := range b {
		b[i] = byte(r.Uint32()) & 0x7f
	}
	e, err := RunEnt(bytes.NewReader(b))
	skipWithoutTool(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if e.Check() == nil {
		t.Errorf("a stream of 7-bit bytes passed: %v", e)
	}
}

// rngtest's failed blocks within the binomial bound for FIPSFailureRate at
// alpha = 1e-7.
func TestSecretsBytesPassRngtest(t *testing.T) {
	res, err := RunRngtest(bytes.NewReader(secretsBytes(t, ciBytes)), ciBytes*8/20000-1)
	skipWithoutTool(t, err)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.Successes+res.Failures < 7000 {
		t.Fatalf("rngtest tested only %d blocks", res.Successes+res.Failures)
	}
	if err := res.Check(1e-7); err != nil {
		t.Error(err)
	}
}

func TestRngtestCheckRejectsABiasedStream(t *testing.T) {
	r := mrand.New(mrand.NewPCG(3, 4))
	b := make([]byte, 2_500_000)
	for i := range b {
		// Ones with probability 0.52: monobit fails most blocks.
		var v byte
		for bit := range 8 {
			if r.Float64() < 0.52 {
				v |= 1 << bit
			}
		}
		b[i] = v
	}
	res, err := RunRngtest(bytes.NewReader(b), 999)
	skipWithoutTool(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if res.Check(1e-7) == nil {
		t.Errorf("a biased stream passed: %v", res)
	}
}

func TestMaxFailuresIsTheBinomialQuantile(t *testing.T) {
	// Poisson(8) approximates Binomial(8000, 0.001): P(X >= 25) = 3.0e-6 and
	// P(X >= 26) = 8.7e-7 (and the binomial tail is slightly lighter).
	if got := MaxFailures(8000, 0.001, 1e-6); got != 24 && got != 25 {
		t.Errorf("MaxFailures(8000, 0.001, 1e-6) = %d, want 24 or 25", got)
	}
	if got := MaxFailures(100, 0, 1e-6); got != 0 {
		t.Errorf("MaxFailures with p = 0 is %d", got)
	}
}

func TestParsersRejectForeignOutput(t *testing.T) {
	if _, err := ParseEnt([]byte("hello")); err == nil {
		t.Error("ParseEnt accepted garbage")
	}
	if _, err := ParseRngtest([]byte("hello")); err == nil {
		t.Error("ParseRngtest accepted garbage")
	}
	e, err := ParseEnt([]byte("0,File-bytes,Entropy,Chi-square,Mean,Monte-Carlo-Pi,Serial-Correlation\n1,20000000,7.999989,295.898675,127.488435,3.141978,0.000048\n"))
	if err != nil || e.Bytes != 20000000 || e.Mean != 127.488435 {
		t.Errorf("ParseEnt = %+v, %v", e, err)
	}
	out := "rngtest: FIPS 140-2 successes: 998\nrngtest: FIPS 140-2 failures: 1\nrngtest: FIPS 140-2(2001-10-10) Long run: 1\n"
	r, err := ParseRngtest([]byte(out))
	if err != nil || r.Successes != 998 || r.Failures != 1 || r.ByTest["Long run"] != 1 {
		t.Errorf("ParseRngtest = %+v, %v", r, err)
	}
}
