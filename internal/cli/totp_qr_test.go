package cli

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/unguessable/secrets/otp"
)

// totpNewAs runs totp new for issuer and account and returns the URI it
// printed and what followed it.
func totpNewAs(t *testing.T, issuer, account string, args ...string) (uri, rest string) {
	t.Helper()
	out := mustRun(t, append([]string{"totp", "new", "--issuer", issuer, "--account", account}, args...)...)
	lines := strings.SplitN(out, "\n", 3)
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "secret: ") || !strings.HasPrefix(lines[1], "uri:    ") {
		t.Fatalf("output of %d bytes is not secret, uri and more", len(out))
	}
	return strings.TrimPrefix(lines[1], "uri:    "), lines[2]
}

// decodeQR reads the one QR code in img with ZXing's decoder. The hint
// that the image is a bare code makes the reading deterministic: without
// it, gozxing's finder-pattern detector misses about one in a hundred
// correct codes of 800 bytes or more (the same image decodes with the
// hint), which would make the test flaky; the quiet zone and the module
// size are checked separately.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		t.Fatalf("no QR code decoded: %v", err)
	}
	return res.GetText()
}

// longAccount returns an account name that makes the URI of totp new with
// issuer "Example" exactly n bytes long. Its hostile tail is escaped.
func longAccount(t *testing.T, n int) string {
	t.Helper()
	const tail = " & + / ? # = % : é"
	uri, err := (&otp.TOTP{Secret: make([]byte, otp.SecretSize)}).URI("Example", tail)
	if err != nil || n < len(uri) {
		t.Fatalf("a URI of %d bytes is shorter than the %d the tail needs (%v)", n, len(uri), err)
	}
	return strings.Repeat("a", n-len(uri)) + tail
}

// uriLengths are URI lengths for the QR tests: an ordinary key's, and two
// that the old fixed 256-pixel PNG could not hold (it failed from about
// 800 bytes).
var uriLengths = []int{0, 1500, 2000}

func accountOfLength(t *testing.T, n int) string {
	if n == 0 {
		return "alice@example.com"
	}
	return longAccount(t, n)
}

// textQRModules parses a QR code drawn by totp new back into modules (true
// for dark), checking that every line sets both colours explicitly and
// resets them before its end.
func textQRModules(t *testing.T, drawn string) [][]bool {
	t.Helper()
	var rows [][]bool
	for i, line := range strings.Split(strings.TrimSuffix(drawn, "\n"), "\n") {
		body, ok := strings.CutPrefix(line, "\x1b[38;5;16;48;5;231m")
		body, ok2 := strings.CutSuffix(body, "\x1b[0m")
		if !ok || !ok2 || strings.Contains(body, "\x1b") {
			t.Fatalf("line %d does not set black on white and reset at its end: %q", i, line)
		}
		var top, bottom []bool
		for _, r := range body {
			switch r {
			case ' ':
				top, bottom = append(top, false), append(bottom, false)
			case '▀':
				top, bottom = append(top, true), append(bottom, false)
			case '▄':
				top, bottom = append(top, false), append(bottom, true)
			case '█':
				top, bottom = append(top, true), append(bottom, true)
			default:
				t.Fatalf("line %d holds %q", i, r)
			}
		}
		rows = append(rows, top, bottom)
	}
	for _, r := range rows {
		if len(r) != len(rows[0]) {
			t.Fatalf("lines of %d and %d modules", len(rows[0]), len(r))
		}
	}
	return rows
}

// wantQuietZone checks that the outermost n modules on every side are light.
func wantQuietZone(t *testing.T, modules [][]bool, n int) {
	t.Helper()
	h, w := len(modules), len(modules[0])
	for y := range h {
		for x := range w {
			if modules[y][x] && (y < n || y >= h-n || x < n || x >= w-n) {
				t.Fatalf("a dark module at (%d, %d) is within %d modules of the edge of %dx%d", x, y, n, w, h)
			}
		}
	}
}

// moduleImage renders modules at px pixels each, black on white.
func moduleImage(modules [][]bool, px int) image.Image {
	img := image.NewGray(image.Rect(0, 0, len(modules[0])*px, len(modules)*px))
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			c := color.Gray{Y: 255}
			if modules[y/px][x/px] {
				c.Y = 0
			}
			img.SetGray(x, y, c)
		}
	}
	return img
}

func TestTOTPTerminalQRIsBlackOnWhiteWithAQuietZoneAndDecodes(t *testing.T) {
	for _, n := range uriLengths {
		t.Run("a URI of "+lengthName(n)+" decodes from the drawing", func(t *testing.T) {
			uri, drawn := totpNewAs(t, "Example", accountOfLength(t, n))
			if n != 0 && len(uri) != n {
				t.Fatalf("URI of %d bytes, want %d", len(uri), n)
			}
			modules := textQRModules(t, drawn)
			wantQuietZone(t, modules, 4)
			if got := decodeQR(t, moduleImage(modules, 4)); got != uri {
				t.Errorf("decoded %d bytes that differ from the URI's %d", len(got), len(uri))
			}
		})
	}
}

func TestTOTPPNGScalesWithTheURIAndDecodes(t *testing.T) {
	for _, n := range uriLengths {
		t.Run("a URI of "+lengthName(n)+" decodes from the PNG", func(t *testing.T) {
			name := filepath.Join(t.TempDir(), "k.png")
			uri, _ := totpNewAs(t, "Example", accountOfLength(t, n), "--png", name)
			if n != 0 && len(uri) != n {
				t.Fatalf("URI of %d bytes, want %d", len(uri), n)
			}
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			// Back to modules: 8 pixels each, each pixel of a module the same.
			b := img.Bounds()
			if b.Dx() != b.Dy() || b.Dx()%8 != 0 || (b.Dx()/8)%4 != 1 {
				t.Fatalf("image %dx%d is not 8 pixels a module of a QR code with its border", b.Dx(), b.Dy())
			}
			modules := make([][]bool, b.Dy()/8)
			for y := range modules {
				modules[y] = make([]bool, b.Dx()/8)
			}
			pal, ok := img.(*image.Paletted)
			if !ok {
				t.Fatalf("a %T, want a paletted image", img)
			}
			for y := range b.Dy() {
				for x := range b.Dx() {
					d := dark(pal.Palette[pal.ColorIndexAt(x, y)])
					if x%8 == 0 && y%8 == 0 {
						modules[y/8][x/8] = d
					} else if d != modules[y/8][x/8] {
						t.Fatalf("module (%d, %d) is not one colour", x/8, y/8)
					}
				}
			}
			wantQuietZone(t, modules, 4)
			if got := decodeQR(t, img); got != uri {
				t.Errorf("decoded %d bytes that differ from the URI's %d", len(got), len(uri))
			}
		})
	}
}

func dark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}

func lengthName(n int) string {
	if n == 0 {
		return "ordinary length"
	}
	return fmt.Sprintf("%d bytes", n)
}

func TestTOTPNewHelpSaysHowTheQRCodeIsDrawn(t *testing.T) {
	out := mustRun(t, "totp", "new", "--help")
	for _, want := range []string{"black on white", "border of 4", "scans on light", "8 pixels per module"} {
		if !strings.Contains(out, want) {
			t.Errorf("secrets totp new --help does not say %q", want)
		}
	}
}
