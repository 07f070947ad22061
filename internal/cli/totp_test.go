package cli

import (
	"bytes"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unguessable/secrets/otp"
)

// totpNew runs totp new and returns the secret and URI it printed.
func totpNew(t *testing.T, args ...string) (secret, uri, rest string) {
	t.Helper()
	out := mustRun(t, append([]string{"totp", "new", "--issuer", "Example", "--account", "alice@example.com"}, args...)...)
	lines := strings.SplitN(out, "\n", 3)
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "secret: ") || !strings.HasPrefix(lines[1], "uri:    ") {
		t.Fatalf("output %q", out)
	}
	return strings.TrimPrefix(lines[0], "secret: "), strings.TrimPrefix(lines[1], "uri:    "), lines[2]
}

func TestTOTPNewPrintsSecretURIAndQR(t *testing.T) {
	secret, uri, rest := totpNew(t)
	b, err := otp.ParseSecret(secret)
	if err != nil || len(b) != otp.SecretSize {
		t.Fatalf("secret of %d bytes: %v", len(b), err)
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Query().Get("secret") != secret || u.Query().Get("issuer") != "Example" {
		t.Errorf("URI %q does not carry the secret and issuer (%v)", u.Redacted(), err)
	}
	if !strings.Contains(rest, "█") || strings.Count(rest, "\n") < 20 {
		t.Errorf("no QR code drawn: %q", rest)
	}
}

func TestTOTPNewNoQRAndCount(t *testing.T) {
	out := mustRun(t, "totp", "new", "--issuer", "E", "--account", "a", "--no-qr", "-n", "3")
	if n := strings.Count(out, "secret: "); n != 3 || strings.Contains(out, "█") {
		t.Errorf("%d secrets, output %q", n, out)
	}
}

func TestTOTPNewWritesAPrivatePNGOnce(t *testing.T) {
	name := filepath.Join(t.TempDir(), "alice.png")
	_, _, rest := totpNew(t, "--png", name)
	if rest != "png:    "+name+"\n" {
		t.Errorf("after the URI: %q", rest)
	}
	st, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("PNG mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(name)
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("not a PNG: %v", err)
	}
	r := run(t, "", "totp", "new", "--issuer", "E", "--account", "a", "--png", name)
	wantUsageError(t, r, name, "already exists")
	if again, _ := os.ReadFile(name); !bytes.Equal(again, data) {
		t.Error("the existing PNG was changed")
	}
}

func TestTOTPCodeAndVerify(t *testing.T) {
	secret, _, _ := totpNew(t, "--no-qr")
	code := strings.TrimSpace(mustRun(t, "totp", "code", secret))
	if len(code) != 6 {
		t.Fatalf("code %q", code)
	}
	b, _ := otp.ParseSecret(secret)
	k := &otp.TOTP{Secret: b}
	if !k.Verify(code, time.Now()) {
		t.Error("the library rejects the printed code")
	}
	t.Run("the current code is valid", func(t *testing.T) {
		if r := run(t, "", "totp", "verify", secret, k.Code(time.Now())); r.code != 0 || r.out != "valid\n" {
			t.Errorf("exit %d, %q %q", r.code, r.out, r.err)
		}
	})
	t.Run("a code one step old is valid", func(t *testing.T) {
		if r := run(t, "", "totp", "verify", secret, k.Code(time.Now().Add(-30*time.Second))); r.code != 0 {
			t.Errorf("exit %d, %q", r.code, r.err)
		}
	})
	t.Run("a code outside the window is invalid with exit 1", func(t *testing.T) {
		// The first code that is none of the five steps around now, so that
		// neither a step boundary during the test nor a chance collision
		// can make it valid.
		now := time.Now()
		valid := map[string]bool{}
		for i := -2; i <= 2; i++ {
			valid[k.Code(now.Add(time.Duration(i)*30*time.Second))] = true
		}
		wrong := "000000"
		for i := 1; valid[wrong]; i++ {
			wrong = fmt.Sprintf("%06d", i)
		}
		r := run(t, "", "totp", "verify", secret, wrong)
		if r.code != 1 || r.out != "" || !strings.HasPrefix(r.err, "secrets: invalid") {
			t.Errorf("exit %d, %q %q", r.code, r.out, r.err)
		}
	})
	t.Run("the secret can come from standard input", func(t *testing.T) {
		if r := run(t, secret+"\n", "totp", "verify", "-", k.Code(time.Now())); r.code != 0 {
			t.Errorf("exit %d, %q", r.code, r.err)
		}
	})
	t.Run("--count prints consecutive steps", func(t *testing.T) {
		// Computed after the run so a step boundary in between shows as a
		// mismatch of the first code only with the one before it.
		out := strings.Fields(mustRun(t, "totp", "code", strings.ToLower(secret), "-n", "3"))
		now := time.Now()
		if len(out) != 3 || (out[1] != k.Code(now.Add(30*time.Second)) && out[1] != k.Code(now)) {
			t.Errorf("codes %q", out)
		}
	})
}

func TestTOTPAtAFixedTimeMatchesRFC6238(t *testing.T) {
	// RFC 6238 appendix B, SHA-1 key "12345678901234567890": 94287082 at
	// 59 s and 07081804 at 1111111109 s; 6-digit codes are their last six
	// digits.
	const key = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	if out := mustRun(t, "totp", "code", key, "--time", "59"); out != "287082\n" {
		t.Errorf("code at 59 = %q", out)
	}
	if out := mustRun(t, "totp", "code", key, "--time", "1111111109"); out != "081804\n" {
		t.Errorf("code at 1111111109 = %q", out)
	}
	if r := run(t, "", "totp", "verify", key, "081804", "--time", "1111111139"); r.code != 0 {
		t.Errorf("one step later: exit %d", r.code)
	}
	if r := run(t, "", "totp", "verify", key, "081804", "--time", "1111111169"); r.code != 1 {
		t.Errorf("two steps later: exit %d", r.code)
	}
}

func TestTOTPSubcommandsHaveExamples(t *testing.T) {
	for _, sub := range []string{"new", "code", "verify"} {
		if out := mustRun(t, "totp", sub, "--help"); !strings.Contains(out, "Examples:") {
			t.Errorf("secrets totp %s --help shows no examples", sub)
		}
	}
}

func TestTOTPSecretOnStdinIsBounded(t *testing.T) {
	r := run(t, strings.Repeat("A", 4*otp.MaxSecretSize+1), "totp", "code", "-")
	wantUsageError(t, r, "longer than 4096 bytes")
}

func TestTOTPBadInput(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	for _, c := range []struct {
		args  []string
		wants []string
	}{
		{[]string{"new", "--account", "a"}, []string{"--issuer is required"}},
		{[]string{"new", "--issuer", "I"}, []string{"--account is required"}},
		{[]string{"new", "--issuer", "I", "--account", "a\xff"}, []string{"not valid UTF-8"}},
		{[]string{"new", "--issuer", "I", "--account", "a", "--png", "x.png", "-n", "2"}, []string{"--count must be 1"}},
		{[]string{"code"}, []string{"needs SECRET"}},
		{[]string{"code", "JBSWY3DPEHPK3P!X"}, []string{"character 15 is not base32"}},
		{[]string{"code", "JBSWY3DP"}, []string{"secret too short", "5 bytes"}},
		{[]string{"verify", secret}, []string{"needs SECRET and CODE"}},
		{[]string{"verify", secret, "12345"}, []string{"CODE must be 6 digits, got 5"}},
		{[]string{"verify", secret, "12345a"}, []string{"CODE must be 6 digits"}},
		{[]string{"JBSWY3DPEHPK3PXP"}, []string{"unknown totp subcommand"}},
		{[]string{"new", "JBSWY3DPEHPK3PXP", "--issuer", "I", "--account", "a"}, []string{"takes no arguments"}},
		{nil, []string{"needs a subcommand"}},
		{[]string{"code", secret, "--time", "yesterday"}, []string{`--time "yesterday"`}},
	} {
		t.Run("totp "+strings.Join(c.args, " ")+" is refused", func(t *testing.T) {
			r := run(t, "", append([]string{"totp"}, c.args...)...)
			wantUsageError(t, r, c.wants...)
			if strings.Contains(r.err, "JBSWY3DP") {
				t.Errorf("error %q repeats the secret", r.err)
			}
		})
	}
}

func TestTOTPNewRefusesNamesTooLongForAQRCodeBeforePrintingAKey(t *testing.T) {
	long := strings.Repeat("x", 3000)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"a QR code in the terminal", []string{"totp", "new", "--issuer", long, "--account", "a"}},
		{"a PNG", []string{"totp", "new", "--issuer", "I", "--account", long, "--png", filepath.Join(t.TempDir(), "k.png")}},
	} {
		t.Run("an issuer or account too long for "+c.name+" is bad input and prints no key", func(t *testing.T) {
			wantUsageError(t, run(t, "", c.args...), "too long for a QR code")
		})
	}
	t.Run("with --no-qr a long name is fine", func(t *testing.T) {
		if out := mustRun(t, "totp", "new", "--issuer", long, "--account", "a", "--no-qr"); !strings.Contains(out, "otpauth://") {
			t.Fatalf("output %q", out)
		}
	})
}

func TestTOTPNewDoesNotFollowASymlinkForThePNG(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere.png")
	link := filepath.Join(dir, "alice.png")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	wantUsageError(t, run(t, "", "totp", "new", "--issuer", "E", "--account", "a", "--png", link), "already exists")
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Errorf("the symlink's target was created (%v)", err)
	}
}
