package otp_test

import (
	"bufio"
	"errors"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/chisq"
	"github.com/unguessable/secrets/otp"
)

// vectors reads the whitespace-separated rows of a testdata file, skipping
// comments and blank lines.
func vectors(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			rows = append(rows, strings.Fields(line))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

var rfcKeys = map[string]struct {
	key string
	alg otp.Algorithm
}{
	"SHA1":   {"12345678901234567890", otp.SHA1},
	"SHA256": {"12345678901234567890123456789012", otp.SHA256},
	"SHA512": {"1234567890123456789012345678901234567890123456789012345678901234", otp.SHA512},
}

func TestRFC6238AppendixB(t *testing.T) {
	rows := vectors(t, "rfc6238.txt")
	if len(rows) != 18 {
		t.Fatalf("%d vectors, want 18", len(rows))
	}
	for _, r := range rows {
		unix, step, want, mode := r[0], r[1], r[2], r[3]
		t.Run(mode+" at "+unix+" gives "+want, func(t *testing.T) {
			sec, _ := strconv.ParseInt(unix, 10, 64)
			k := &otp.TOTP{Secret: []byte(rfcKeys[mode].key), Digits: 8, Algorithm: rfcKeys[mode].alg}
			at := time.Unix(sec, 0)
			if got := k.Code(at); got != want {
				t.Errorf("Code = %s, want %s", got, want)
			}
			counter, _ := strconv.ParseUint(step, 16, 64)
			if got := otp.HOTP(k.Secret, counter, 8, k.Algorithm); got != want {
				t.Errorf("HOTP at step %s = %s, want %s", step, got, want)
			}
			if !k.Verify(want, at) {
				t.Error("Verify rejected the vector's code")
			}
		})
	}
}

func TestRFC4226AppendixD(t *testing.T) {
	rows := vectors(t, "rfc4226.txt")
	if len(rows) != 10 {
		t.Fatalf("%d vectors, want the appendix's 10", len(rows))
	}
	for _, r := range rows {
		t.Run("counter "+r[0]+" gives "+r[1], func(t *testing.T) {
			c, _ := strconv.ParseUint(r[0], 10, 64)
			if got := otp.HOTP([]byte("12345678901234567890"), c, 6, otp.SHA1); got != r[1] {
				t.Errorf("HOTP = %s, want %s", got, r[1])
			}
		})
	}
}

func TestVerifyAllowsOneStepOfSkew(t *testing.T) {
	k := otp.NewTOTP()
	now := time.Unix(1_700_000_015, 0) // 15 s into a step
	for _, c := range []struct {
		name   string
		codeAt time.Duration
		want   bool
	}{
		{"the current step's code is valid", 0, true},
		{"the previous step's code is valid", -30 * time.Second, true},
		{"the next step's code is valid", 30 * time.Second, true},
		{"a code two steps old is invalid", -60 * time.Second, false},
		{"a code two steps ahead is invalid", 60 * time.Second, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := k.Verify(k.Code(now.Add(c.codeAt)), now); got != c.want {
				t.Errorf("Verify = %v, want %v", got, c.want)
			}
		})
	}
	t.Run("a code of the wrong length is invalid", func(t *testing.T) {
		if k.Verify(k.Code(now)+"0", now) || k.Verify("", now) {
			t.Error("Verify accepted a code of the wrong length")
		}
	})
	t.Run("another key's code is invalid", func(t *testing.T) {
		other := otp.NewTOTP()
		if code := other.Code(now); code != k.Code(now) && k.Verify(code, now) {
			t.Error("Verify accepted another key's code")
		}
	})
}

func TestParseSecret(t *testing.T) {
	raw := []byte("12345678901234567890")
	canon := otp.EncodeSecret(raw) // GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
	for _, c := range []struct {
		name, in string
		err      error
	}{
		{"the canonical form parses", canon, nil},
		{"lower case parses", strings.ToLower(canon), nil},
		{"groups of four with spaces parse", "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", nil},
		{"padding is allowed", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ====", nil},
		{"a digit outside 2-7 is invalid", "GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ", otp.ErrInvalidSecret},
		{"padding in the middle is invalid", "GEZD=NBVGY3TQOJQ", otp.ErrInvalidSecret},
		{"a length no bytes encode to is invalid", canon + "A", otp.ErrInvalidSecret},
		{"an empty secret is too short", "", otp.ErrShortSecret},
		{"80 bits is the least accepted", "JBSWY3DPEHPK3PXP", nil},
		{"72 bits is too short", "JBSWY3DPEHPK3PX", otp.ErrShortSecret},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := otp.ParseSecret(c.in)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("error %v, want %v", err, c.err)
				}
				if len(c.in) > 8 && strings.Contains(err.Error(), c.in[:8]) {
					t.Errorf("error %q repeats the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(c.in, "JBSW") {
				return
			}
			if string(got) != string(raw) {
				t.Errorf("decoded %q, want %q", got, raw)
			}
		})
	}
}

func TestURI(t *testing.T) {
	k := otp.NewTOTP()
	u, err := k.URI("Example Co", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	if p.Scheme != "otpauth" || p.Host != "totp" || q.Get("issuer") != "Example Co" || q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Errorf("URI %s lacks the expected parts", p.Redacted())
	}
	if got, err := otp.ParseSecret(q.Get("secret")); err != nil || string(got) != string(k.Secret) {
		t.Errorf("URI secret does not decode to the key's secret (%v)", err)
	}
	for _, c := range [][2]string{{"", "a"}, {"a", ""}, {"\xff", "c"}, {"a", "b\xc3"}} {
		if _, err := k.URI(c[0], c[1]); !errors.Is(err, otp.ErrInvalidLabel) {
			t.Errorf("URI(%q, %q) error %v, want ErrInvalidLabel", c[0], c[1], err)
		}
	}
}

func TestNewTOTPSecretBytesAreUniform(t *testing.T) {
	counts := map[string]int{}
	for range 3000 {
		k := otp.NewTOTP()
		if len(k.Secret) != otp.SecretSize {
			t.Fatalf("secret of %d bytes", len(k.Secret))
		}
		for _, b := range k.Secret {
			counts[string(rune(b))]++
		}
	}
	chisq.RequireUniform(t, counts, 256) // 60000 bytes, 234 expected per value
}

func TestMisusePanics(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"five HOTP digits", func() { otp.HOTP([]byte("x"), 0, 5, otp.SHA1) }},
		{"an unknown algorithm", func() { otp.HOTP([]byte("x"), 0, 6, otp.Algorithm(7)) }},
		{"a fractional period", func() { (&otp.TOTP{Secret: []byte("x"), Period: 1500 * time.Millisecond}).Code(time.Now()) }},
		{"a key without a secret", func() { (&otp.TOTP{}).Code(time.Now()) }},
	} {
		t.Run(c.name+" panics", func(t *testing.T) {
			defer func() {
				if s, ok := recover().(string); !ok || !strings.HasPrefix(s, "otp: ") {
					t.Errorf("recovered %v, want an otp: panic", s)
				}
			}()
			c.f()
		})
	}
}

func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "jbsw y3dp ehpk 3pxp", "JBSWY3DPEHPK3PXP====", "A=B", "", "\x00", "ABCDEFGH1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := otp.ParseSecret(s)
		if err != nil {
			if !errors.Is(err, otp.ErrInvalidSecret) && !errors.Is(err, otp.ErrShortSecret) {
				t.Fatalf("error %v is not a sentinel", err)
			}
			if len(s) >= 12 && strings.Contains(err.Error(), s) {
				t.Fatal("error repeats the input")
			}
			return
		}
		if len(b) < otp.MinSecretSize || len(b) > otp.MaxSecretSize {
			t.Fatalf("accepted a secret of %d bytes", len(b))
		}
		b2, err := otp.ParseSecret(otp.EncodeSecret(b))
		if err != nil || string(b2) != string(b) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}
