package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"
	"github.com/spf13/cobra"

	"github.com/unguessable/secrets/otp"
)

func newTOTPCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "totp",
		Short: "Create TOTP keys for authenticator apps; make and check their codes",
		Long: `Time-based one-time passwords (RFC 6238). By default 6 digits, 30-second
steps and HMAC-SHA-1, the settings every authenticator app supports;
--algorithm, --digits and --period change them, and code and verify must
be given the settings the key was enrolled with.

A SECRET argument is the key's base32 secret, in either case, with or
without spaces; "-" reads it from standard input, which keeps it out of
the shell history and the process list.`,
		Example: `  secrets totp new --issuer Example --account alice@example.com
  secrets totp new --issuer Example --account alice --png alice.png
  secrets totp code JBSWY3DPEHPK3PXP
  secrets totp code JBSWY3DPEHPK3PXP --algorithm SHA256 --digits 8
  secrets totp verify - 123456 < secret.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			// The stray argument is not repeated: it may be a secret given
			// without its subcommand.
			if len(args) > 0 {
				return withHint(usagef("unknown totp subcommand: the subcommands are new, code and verify"), "see secrets totp --help")
			}
			return withHint(usagef("totp needs a subcommand: new, code or verify"), "see secrets totp --help")
		},
	}
	cmd.AddCommand(newTOTPNewCmd(s), newTOTPCodeCmd(s), newTOTPVerifyCmd(s))
	return cmd
}

func newTOTPNewCmd(s Streams) *cobra.Command {
	var issuer, account, png string
	var noQR bool
	cmd := &cobra.Command{
		Use:   "new --issuer I --account A [--png FILE]",
		Short: "Create a TOTP key: its secret, otpauth URI and QR code",
		Long: `Create a TOTP key with a new 160-bit random secret. Print the base32
secret, the otpauth:// URI an authenticator app enrols, and the URI as a
QR code. Store the secret on the server; anyone who has it can make valid
codes.

The issuer and account may hold any characters: the URI escapes them.
--algorithm, --digits and --period go into the URI; many authenticator
apps support only the defaults (SHA1, 6 digits, 30 seconds), so check
yours before changing them.

The terminal QR code is drawn black on white, with a white border of 4
modules, its colours set explicitly with 256-colour escape codes (palette
entries 16 and 231, fixed values that themes do not redefine as they do
the 16 basic colours), so it scans on light and dark terminals alike. On
a terminal without colours, use --png.
--png FILE writes the QR code instead to a new PNG file (mode 0600, never
overwriting), 8 pixels per module plus the border, so that long URIs stay
readable.`,
		Example: `  secrets totp new --issuer Example --account alice@example.com
  secrets totp new --issuer "Tom & Jerry" --account alice --png alice.png
  secrets totp new --issuer Example --account bob --algorithm SHA256 --digits 8
  secrets totp new --issuer Example --account bob --no-qr -n 3`,
		Args: func(cmd *cobra.Command, args []string) error {
			// Not noArgs: the stray argument may be an existing secret.
			if len(args) > 0 {
				return usagef("secrets totp new takes no arguments (not repeated: it may be a secret); it makes a new secret, and --issuer and --account name it")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&issuer, "issuer", "", "the service's name `I`, shown in the app (required)")
	f.StringVar(&account, "account", "", "the user's account name `A`, e.g. an email address (required)")
	f.StringVar(&png, "png", "", "write the QR code to a new PNG `FILE` instead of the terminal")
	f.BoolVar(&noQR, "no-qr", false, "print only the secret and the URI")
	settings := addTOTPSettings(cmd)
	count := addCount(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		standIn, err := settings.key(make([]byte, otp.SecretSize))
		if err != nil {
			return err
		}
		switch {
		case issuer == "":
			return withHint(usagef("--issuer is required"), "secrets totp new --issuer Example --account alice@example.com")
		case account == "":
			return withHint(usagef("--account is required"), "secrets totp new --issuer Example --account alice@example.com")
		case png != "" && count.v != 1:
			return usagef("--png writes one key's QR code, so --count must be 1, not %d", count.v)
		case png != "" && noQR:
			return usagef("--png and --no-qr contradict each other")
		}
		// Check the names with a stand-in key before making a real one, so
		// that bad input shows no key: a real key's URI has the same length.
		uri, err := standIn.URI(issuer, account)
		if err != nil {
			return usagef("%v", err)
		}
		if !noQR {
			if _, err := qrcode.New(uri, qrcode.Medium); err != nil {
				return usagef("--issuer and --account make an otpauth URI of %d bytes, too long for a QR code; shorten them or use --no-qr", len(uri))
			}
		}
		w := bufio.NewWriter(s.Out)
		if png != "" {
			return writeTOTPPNG(w, png, standIn, issuer, account)
		}
		for i := int64(0); i < count.v; i++ {
			if err := cmd.Context().Err(); err != nil {
				return err
			}
			k := newTOTPLike(standIn)
			uri, err := k.URI(issuer, account)
			if err != nil {
				return err
			}
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "secret: %s\nuri:    %s\n", otp.EncodeSecret(k.Secret), uri)
			if noQR {
				continue
			}
			qr, err := qrcode.New(uri, qrcode.Medium)
			if err != nil {
				return fmt.Errorf("drawing the QR code: %w", err)
			}
			fmt.Fprint(w, qrText(qr))
		}
		return w.Flush()
	}
	return cmd
}

// newTOTPLike returns a key with a new random secret and the settings of
// like.
func newTOTPLike(like *otp.TOTP) *otp.TOTP {
	k := otp.NewTOTP()
	k.Algorithm, k.Digits, k.Period = like.Algorithm, like.Digits, like.Period
	return k
}

// The QR code's geometry. ISO/IEC 18004 asks for a quiet zone of 4
// modules; a PNG module of 8 pixels keeps a version-40 code (177 modules)
// within 1,480 pixels and a short URI's above 230.
const (
	qrQuietZone  = 4
	qrPNGModule  = 8
	qrTextColour = "\x1b[38;5;16;48;5;231m" // foreground black, background white
	qrTextReset  = "\x1b[0m"
)

// qrText draws qr for a terminal, two rows of modules to a line with half
// blocks, dark modules black on white and a white quiet zone all round
// (four and a half modules at the bottom, where the last line's lower half
// falls). The colours are 256-colour palette entries 16 and 231, fixed
// values of the colour cube that terminal themes do not redefine as they
// do the 16 basic colours, so the code is the same on light and dark
// backgrounds. Each line sets them at its start and resets them before its
// newline, so no colour leaks past the code.
func qrText(qr *qrcode.QRCode) string {
	qr.DisableBorder = true
	bits := qr.Bitmap()
	n := len(bits) + 2*qrQuietZone
	dark := func(x, y int) bool {
		x, y = x-qrQuietZone, y-qrQuietZone
		return 0 <= y && y < len(bits) && 0 <= x && x < len(bits[y]) && bits[y][x]
	}
	var b strings.Builder
	for y := 0; y < n; y += 2 {
		b.WriteString(qrTextColour)
		for x := 0; x < n; x++ {
			switch top, bottom := dark(x, y), dark(x, y+1); {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteString(qrTextReset + "\n")
	}
	return b.String()
}

// writeTOTPPNG makes one key with the settings of like, writes its QR code
// to a new file name and only then prints its secret and URI to w, so that
// a file that cannot be made leaves no key shown that the user could not
// enrol.
func writeTOTPPNG(w *bufio.Writer, name string, like *otp.TOTP, issuer, account string) error {
	k := newTOTPLike(like)
	uri, err := k.URI(issuer, account)
	if err != nil {
		return err
	}
	qr, err := qrcode.New(uri, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("drawing the QR code: %w", err)
	}
	// A negative size is pixels per module; the library's border is the
	// quiet zone of 4 modules.
	png, err := qr.PNG(-qrPNGModule)
	if err != nil {
		return fmt.Errorf("drawing the QR code: %w", err)
	}
	// The image holds the secret: create it new (never following or
	// replacing an existing file) and readable by the owner only.
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return withHint(usagef("--png %s already exists", name), "choose a new file name; secrets never overwrites a file")
		}
		return usagef("cannot create --png %s: %v", name, errors.Unwrap(err))
	}
	if _, err := f.Write(png); err != nil {
		f.Close()
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", name, err)
	}
	fmt.Fprintf(w, "secret: %s\nuri:    %s\npng:    %s\n", otp.EncodeSecret(k.Secret), uri, name)
	return w.Flush()
}

// totpSettings are --algorithm, --digits and --period, shared by totp new,
// code and verify.
type totpSettings struct{ algorithm, digits, period string }

// The longest --period: a code stays valid for up to three periods.
const maxTOTPPeriod = 3600

func addTOTPSettings(cmd *cobra.Command) *totpSettings {
	s := &totpSettings{}
	f := cmd.Flags()
	f.StringVar(&s.algorithm, "algorithm", "SHA1", "the HMAC hash `H`: SHA1, SHA256 or SHA512")
	f.StringVar(&s.digits, "digits", "6", "code length `N`: 6 or 8")
	f.StringVar(&s.period, "period", "30", fmt.Sprintf("time step `S` in seconds, 1 to %d", maxTOTPPeriod))
	return s
}

// key returns a key with secret and the settings, or a usage error naming
// the flag that is wrong.
func (s *totpSettings) key(secret []byte) (*otp.TOTP, error) {
	alg, err := otp.ParseAlgorithm(s.algorithm)
	if err != nil {
		return nil, usagef("--algorithm %q is not SHA1, SHA256 or SHA512", truncate(s.algorithm))
	}
	digits, err := parseInt("--digits", s.digits, 1, 100)
	if err != nil || (digits != 6 && digits != 8) {
		return nil, usagef("--digits %q is not 6 or 8, the code lengths authenticator apps show", truncate(s.digits))
	}
	period, err := parseInt("--period", s.period, 1, maxTOTPPeriod)
	if err != nil {
		return nil, err
	}
	return &otp.TOTP{Secret: secret, Algorithm: alg, Digits: int(digits), Period: time.Duration(period) * time.Second}, nil
}

// readTOTPSecret parses a SECRET argument, reading it from standard input
// when it is "-", into a key with settings. Errors never repeat the secret.
func readTOTPSecret(s Streams, arg string, settings *totpSettings) (*otp.TOTP, error) {
	// The settings are checked first, so that a mistake in them does not
	// consume a secret from standard input.
	k, err := settings.key(nil)
	if err != nil {
		return nil, err
	}
	if arg == "-" {
		const most = 4 * otp.MaxSecretSize
		b, err := io.ReadAll(io.LimitReader(s.In, most+1))
		if err != nil {
			return nil, usagef("reading the secret from standard input: %v", err)
		}
		if len(b) > most {
			return nil, usagef("the secret on standard input is longer than %d bytes", most)
		}
		arg = strings.TrimSpace(string(b))
	}
	if k.Secret, err = otp.ParseSecret(arg); err != nil {
		return nil, usagef("SECRET: %v", err)
	}
	return k, nil
}

func newTOTPCodeCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "code SECRET",
		Short: "Print the current TOTP code for a secret",
		Long: `Print the current TOTP code for SECRET (base32; "-" reads it from
standard input), with the key's --algorithm, --digits and --period
(default SHA1, 6 digits, 30 seconds). With --count N, print the codes of
N consecutive steps starting with the current one. --time T uses the Unix
time T (seconds) instead of the clock, to check a server or a test
vector.`,
		Example: `  secrets totp code JBSWY3DPEHPK3PXP
  secrets totp code - < secret.txt
  secrets totp code JBSWY3DPEHPK3PXP -n 3   # now, in 30 s, in 60 s
  secrets totp code JBSWY3DPEHPK3PXP --time 1111111109
  secrets totp code JBSWY3DPEHPK3PXP --algorithm SHA512 --digits 8 --period 60`,
		Args: exactArgs(1, "SECRET"),
	}
	count := addCount(cmd)
	at := addTimeFlag(cmd)
	settings := addTOTPSettings(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		now, err := at.time()
		if err != nil {
			return err
		}
		if count.v > 1<<20 {
			return usagef("--count %d is too many steps; the most is %d", count.v, 1<<20)
		}
		k, err := readTOTPSecret(s, args[0], settings)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(s.Out)
		for i := int64(0); i < count.v; i++ {
			fmt.Fprintln(w, k.Code(now.Add(time.Duration(i)*k.Period)))
		}
		return w.Flush()
	}
	return cmd
}

func newTOTPVerifyCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify SECRET CODE",
		Short: "Check a TOTP code: exit 0 if valid, 1 if not",
		Long: `Check CODE against SECRET (base32; "-" reads it from standard input) at
the current time, with the key's --algorithm, --digits and --period
(default SHA1, 6 digits, 30 seconds), accepting the codes of the previous
and next steps for clock skew. Exit status 0 means valid, 1 invalid, 2
bad input. --time T checks at Unix time T instead of now. It does not
stop a code being replayed within its window; a server must record the
last step it accepted.`,
		Example: `  secrets totp verify JBSWY3DPEHPK3PXP 123456 && echo ok
  secrets totp verify - 123456 < secret.txt
  secrets totp verify JBSWY3DPEHPK3PXP 12345678 --digits 8`,
		Args: exactArgs(2, "SECRET and CODE"),
	}
	at := addTimeFlag(cmd)
	settings := addTOTPSettings(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		now, err := at.time()
		if err != nil {
			return err
		}
		k, err := readTOTPSecret(s, args[0], settings)
		if err != nil {
			return err
		}
		code := args[1]
		if len(code) != k.Digits || strings.Trim(code, "0123456789") != "" {
			return usagef("CODE must be %d digits, got %d characters", k.Digits, len(code))
		}
		if !k.Verify(code, now) {
			return exitWith(exitFailure, fmt.Sprintf("invalid: the code does not match this secret within one %d-second step", k.Period/time.Second))
		}
		fmt.Fprintln(s.Out, "valid")
		return nil
	}
	return cmd
}

// timeFlag is --time: a Unix time in seconds to use instead of the clock.
type timeFlag struct{ s string }

func addTimeFlag(cmd *cobra.Command) *timeFlag {
	t := &timeFlag{}
	cmd.Flags().StringVar(&t.s, "time", "", "use Unix time `T` (seconds) instead of now")
	return t
}

func (t *timeFlag) time() (time.Time, error) {
	if t.s == "" {
		return time.Now(), nil
	}
	v, err := parseInt("--time", t.s, 0, 1<<40)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(v, 0), nil
}
