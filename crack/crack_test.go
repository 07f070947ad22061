package crack

import (
	"errors"
	"math/rand"
	"os"
	"strings"
	"testing"
)

// cpython reads testdata/mt19937.txt: 1000 outputs of CPython's
// random.getrandbits(32), written by testdata/gen_mt19937.py.
func cpython(t *testing.T) []uint32 {
	t.Helper()
	f, err := os.Open("testdata/mt19937.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vs, err := ReadOutputs(f, 32)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1000 {
		t.Fatalf("testdata has %d outputs, want 1000", len(vs))
	}
	out := make([]uint32, len(vs))
	for i, v := range vs {
		out[i] = uint32(v)
	}
	return out
}

func TestCloneMT19937PredictsCPython(t *testing.T) {
	outs := cpython(t)
	// Each start leaves at least 76 later outputs to predict (1000 - 300 -
	// 624); a start of 376 would leave none and check nothing.
	for _, start := range []int{0, 1, 100, 300} {
		t.Run("from output "+itoa(start)+" every later output is predicted", func(t *testing.T) {
			m, err := CloneMT19937(outs[start : start+mtN])
			if err != nil {
				t.Fatal(err)
			}
			later := outs[start+mtN:]
			if len(later) < 76 {
				t.Fatalf("only %d outputs left to predict", len(later))
			}
			for i, want := range later {
				if got := m.Uint32(); got != want {
					t.Fatalf("prediction %d = %d, CPython gave %d", i, got, want)
				}
			}
		})
	}
}

func TestCloneMT19937ChecksExtraOutputs(t *testing.T) {
	outs := cpython(t)
	if _, err := CloneMT19937(outs); err != nil {
		t.Fatalf("all 1000 consecutive outputs: %v", err)
	}
	bad := append([]uint32(nil), outs[:700]...)
	bad[650] ^= 1
	if _, err := CloneMT19937(bad); !errors.Is(err, ErrInconsistent) {
		t.Errorf("a changed 651st output: err %v, want ErrInconsistent", err)
	}
	if _, err := CloneMT19937(outs[:623]); !errors.Is(err, ErrTooFewOutputs) {
		t.Errorf("623 outputs: err %v, want ErrTooFewOutputs", err)
	}
}

func TestUntemperInvertsTemper(t *testing.T) {
	for _, y := range []uint32{0, 1, 0x80000000, 0xffffffff, 0x9908b0df, 0x12345678} {
		if got := Untemper(temper(y)); got != y {
			t.Errorf("Untemper(temper(%#x)) = %#x", y, got)
		}
	}
	for y := uint32(0); y < 1<<20; y += 7919 {
		if got := Untemper(temper(y)); got != y {
			t.Fatalf("Untemper(temper(%#x)) = %#x", y, got)
		}
	}
}

func TestCloneGoRandPredictsMathRand(t *testing.T) {
	for _, seed := range []int64{1, 42, -7, 1 << 40} {
		t.Run("seed "+itoa(int(seed))+" is predicted after 607 outputs", func(t *testing.T) {
			r := rand.New(rand.NewSource(seed))
			for range int(seed&0xff) + 3 { // start mid-stream
				r.Int63()
			}
			seen := make([]int64, goLen)
			for i := range seen {
				seen[i] = r.Int63()
			}
			g, err := CloneGoRand(seen)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 5000 {
				if got, want := g.Int63(), r.Int63(); got != want {
					t.Fatalf("prediction %d = %d, math/rand gave %d", i, got, want)
				}
			}
		})
	}
}

func TestCloneGoRandChecksExtraOutputs(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	outs := make([]int64, 700)
	for i := range outs {
		outs[i] = r.Int63()
	}
	if _, err := CloneGoRand(outs); err != nil {
		t.Fatalf("700 consecutive outputs: %v", err)
	}
	outs[650]++
	if _, err := CloneGoRand(outs); !errors.Is(err, ErrInconsistent) {
		t.Errorf("a changed 651st output: err %v, want ErrInconsistent", err)
	}
	if _, err := CloneGoRand(outs[:606]); !errors.Is(err, ErrTooFewOutputs) {
		t.Errorf("606 outputs: err %v, want ErrTooFewOutputs", err)
	}
}

func TestReadOutputs(t *testing.T) {
	got, err := ReadOutputs(strings.NewReader("# header\n1\n\n 4294967295 \n"), 32)
	if err != nil || len(got) != 2 || got[0] != 1 || got[1] != 4294967295 {
		t.Errorf("ReadOutputs = %v, %v", got, err)
	}
	for _, bad := range []string{"4294967296", "-1", "0x10", "1.5", "abc"} {
		t.Run(bad+" is rejected with its line number", func(t *testing.T) {
			_, err := ReadOutputs(strings.NewReader("1\n"+bad+"\n"), 32)
			if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "line 2") {
				t.Errorf("err %v, want ErrSyntax on line 2", err)
			}
		})
	}
}

func FuzzReadOutputs(f *testing.F) {
	f.Add("1\n2\n", 32)
	f.Add("# x\n9223372036854775807\n", 63)
	f.Add("\xff\n-0\n", 32)
	f.Fuzz(func(t *testing.T, s string, bits int) {
		bits = 1 + (bits&0x7fffffff)%64
		vs, err := ReadOutputs(strings.NewReader(s), bits)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !strings.Contains(err.Error(), "reading outputs") {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		for _, v := range vs {
			if bits < 64 && v>>uint(bits) != 0 {
				t.Fatalf("value %d has more than %d bits", v, bits)
			}
		}
	})
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
