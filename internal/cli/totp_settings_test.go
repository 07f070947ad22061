package cli

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/unguessable/secrets/otp"
)

// rfc6238Keys are the keys of RFC 6238 appendix B, by mode, in base32.
var rfc6238Keys = map[string]string{
	"SHA1":   otp.EncodeSecret([]byte("12345678901234567890")),
	"SHA256": otp.EncodeSecret([]byte("12345678901234567890123456789012")),
	"SHA512": otp.EncodeSecret([]byte("1234567890123456789012345678901234567890123456789012345678901234")),
}

// rfc6238Vectors reads the appendix's rows from the otp package's testdata:
// unix time, step, 8-digit code, mode.
func rfc6238Vectors(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open("../../otp/testdata/rfc6238.txt")
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
	if len(rows) != 18 {
		t.Fatalf("%d vectors, want 18", len(rows))
	}
	return rows
}

func TestTOTPCodeAndVerifyMatchRFC6238AppendixBInEveryMode(t *testing.T) {
	for _, r := range rfc6238Vectors(t) {
		unix, want, mode := r[0], r[2], r[3]
		key := rfc6238Keys[mode]
		t.Run(mode+" at "+unix+" gives "+want, func(t *testing.T) {
			if out := mustRun(t, "totp", "code", key, "--time", unix, "--algorithm", mode, "--digits", "8"); out != want+"\n" {
				t.Errorf("8 digits: %q", out)
			}
			// A 6-digit code is the last six digits of the same truncation.
			if out := mustRun(t, "totp", "code", key, "--time", unix, "--algorithm", strings.ToLower(mode), "--digits", "6"); out != want[2:]+"\n" {
				t.Errorf("6 digits: %q, want %s", out, want[2:])
			}
			if r := run(t, key+"\n", "totp", "verify", "-", want, "--time", unix, "--algorithm", mode, "--digits", "8"); r.code != 0 || r.out != "valid\n" {
				t.Errorf("verify: exit %d, %q %q", r.code, r.out, r.err)
			}
			// The same key and code under another hash is invalid.
			other := map[string]string{"SHA1": "SHA256", "SHA256": "SHA512", "SHA512": "SHA1"}[mode]
			if r := run(t, "", "totp", "verify", key, want, "--time", unix, "--algorithm", other, "--digits", "8"); r.code != 1 {
				t.Errorf("verify with %s: exit %d, want 1", other, r.code)
			}
		})
	}
}

func TestTOTPSettingsMatchTheLibrary(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	raw, _ := otp.ParseSecret(secret)
	at := time.Unix(1_700_000_000, 0)
	for _, alg := range []otp.Algorithm{otp.SHA1, otp.SHA256, otp.SHA512} {
		for _, digits := range []int{6, 8} {
			for _, period := range []int{1, 15, 30, 60, 3600} {
				k := &otp.TOTP{Secret: raw, Algorithm: alg, Digits: digits, Period: time.Duration(period) * time.Second}
				flags := []string{"--algorithm", alg.String(), "--digits", fmt.Sprint(digits), "--period", fmt.Sprint(period), "--time", fmt.Sprint(at.Unix())}
				t.Run(fmt.Sprintf("%v with %d digits every %d s", alg, digits, period), func(t *testing.T) {
					got := strings.Fields(mustRun(t, append([]string{"totp", "code", secret, "-n", "3"}, flags...)...))
					want := []string{k.Code(at), k.Code(at.Add(k.Period)), k.Code(at.Add(2 * k.Period))}
					if strings.Join(got, " ") != strings.Join(want, " ") {
						t.Errorf("codes %q, the library's %q", got, want)
					}
					if r := run(t, "", append([]string{"totp", "verify", secret, want[1]}, flags...)...); r.code != 0 {
						t.Errorf("the next step's code: exit %d, %q", r.code, r.err)
					}
					// Two steps on is outside the window unless it happens to
					// equal one of the three codes inside it.
					if c := want[2]; c != want[0] && c != want[1] && c != k.Code(at.Add(-k.Period)) {
						if r := run(t, "", append([]string{"totp", "verify", secret, c}, flags...)...); r.code != 1 || !strings.Contains(r.err, fmt.Sprintf("one %d-second step", period)) {
							t.Errorf("two steps on: exit %d, %q", r.code, r.err)
						}
					}
				})
			}
		}
	}
}

func TestTOTPNewPutsTheSettingsInTheURI(t *testing.T) {
	for _, c := range []struct {
		name  string
		flags []string
		alg   otp.Algorithm
		dig   int
		per   int
	}{
		{"the defaults are SHA1, 6 digits and 30 seconds", nil, otp.SHA1, 6, 30},
		{"SHA512, 8 digits and 60 seconds are carried", []string{"--algorithm", "sha512", "--digits", "8", "--period", "60"}, otp.SHA512, 8, 60},
		{"SHA256 alone is carried", []string{"--algorithm", "SHA256"}, otp.SHA256, 6, 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			uri, _ := totpNewAs(t, "Example", "alice", append([]string{"--no-qr"}, c.flags...)...)
			u, err := url.Parse(uri)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if q.Get("algorithm") != c.alg.String() || q.Get("digits") != fmt.Sprint(c.dig) || q.Get("period") != fmt.Sprint(c.per) {
				t.Fatalf("algorithm=%s digits=%s period=%s", q.Get("algorithm"), q.Get("digits"), q.Get("period"))
			}
			raw, err := otp.ParseSecret(q.Get("secret"))
			if err != nil {
				t.Fatal(err)
			}
			k := &otp.TOTP{Secret: raw, Algorithm: c.alg, Digits: c.dig, Period: time.Duration(c.per) * time.Second}
			const at = 1_234_567_890
			if out := mustRun(t, append([]string{"totp", "code", q.Get("secret"), "--time", fmt.Sprint(at)}, c.flags...)...); out != k.Code(time.Unix(at, 0))+"\n" {
				t.Errorf("code with the same flags %q, the library's %s", out, k.Code(time.Unix(at, 0)))
			}
		})
	}
}

func TestTOTPNewURIRoundTripsHostileNames(t *testing.T) {
	for _, c := range [][2]string{
		{"Tom & Jerry", "tom+jerry@example.com"},
		{"Ex:ample", "alice:admin"},
		{"100% = ?#", "a/b c"},
		{"Ünïcødé 例え", "пользователь@пример.рф"},
	} {
		t.Run(fmt.Sprintf("issuer %q and account %q read back with net/url", c[0], c[1]), func(t *testing.T) {
			uri, _ := totpNewAs(t, c[0], c[1], "--no-qr")
			u, err := url.Parse(uri)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), ":")
			if len(parts) != 2 {
				t.Fatalf("label %q has %d colons", u.EscapedPath(), len(parts)-1)
			}
			issuer, err1 := url.PathUnescape(parts[0])
			account, err2 := url.PathUnescape(parts[1])
			if err1 != nil || err2 != nil || issuer != c[0] || account != c[1] || u.Query().Get("issuer") != c[0] {
				t.Errorf("label %q:%q, issuer parameter %q (%v, %v)", issuer, account, u.Query().Get("issuer"), err1, err2)
			}
		})
	}
}

func TestTOTPBadSettingsAreRefused(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--algorithm", "MD5"}, `--algorithm "MD5" is not SHA1, SHA256 or SHA512`},
		{[]string{"--algorithm", "SHA-256"}, `--algorithm "SHA-256" is not SHA1, SHA256 or SHA512`},
		{[]string{"--algorithm", ""}, `--algorithm "" is not SHA1`},
		{[]string{"--digits", "7"}, `--digits "7" is not 6 or 8`},
		{[]string{"--digits", "10"}, `--digits "10" is not 6 or 8`},
		{[]string{"--digits", "six"}, `--digits "six" is not 6 or 8`},
		{[]string{"--period", "0"}, "--period 0 is too small: the least is 1"},
		{[]string{"--period", "-30"}, "--period -30 is too small"},
		{[]string{"--period", "3601"}, "--period 3601 is too large: the most is 3600"},
		{[]string{"--period", "1.5"}, `--period "1.5" is not a whole number`},
	} {
		for _, cmd := range [][]string{
			{"new", "--issuer", "I", "--account", "a"},
			{"code", secret},
			{"verify", secret, "123456"},
			{"verify", "-", "123456"},
		} {
			args := append(append([]string{"totp"}, cmd...), c.flags...)
			t.Run(strings.Join(args, " ")+" is refused", func(t *testing.T) {
				r := run(t, secret+"\n", args...)
				wantUsageError(t, r, c.want)
				if strings.Contains(r.err, secret[:8]) {
					t.Errorf("error %q repeats the secret", r.err)
				}
			})
		}
	}
	t.Run("a 6-digit code with --digits 8 is refused", func(t *testing.T) {
		wantUsageError(t, run(t, "", "totp", "verify", secret, "123456", "--digits", "8"), "CODE must be 8 digits, got 6")
	})
}
