package otp_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/unguessable/secrets/otp"
)

// hostileNames are issuer and account names holding every character with a
// meaning in a URI or its query, percent signs that look like escapes, and
// non-ASCII text.
var hostileNames = []struct{ name, issuer, account string }{
	{"an ampersand and spaces", "Tom & Jerry", "tom+jerry@example.com"},
	{"a plus sign", "A+B", "a b"},
	{"a question mark and a hash", "Q?uery#frag", "#1?"},
	{"equals signs and ampersands", "x=y&z=w", "a=b&issuer=Evil"},
	{"percent signs", "100% Pure", "%41%zz%"},
	{"colons in both names", "Ex:ample", "alice:admin:"},
	{"slashes and dots", "a/b/../c", "/leading/slash/"},
	{"leading and trailing spaces", " padded ", "  x"},
	{"accented letters and CJK", "Ünïcødé 例え", "пользователь@пример.рф"},
	{"an emoji, a tab and a newline", "🔐 Vault", "user\twith\ntab"},
	{"every special character at once", "& + / ? # = % :", "& + / ? # = % : @ ; , [ ] ' \" \\ < >"},
}

// rfcSecret is RFC 6238's published SHA-1 test key, so that failures print
// no real secret.
var rfcSecret = []byte("12345678901234567890")

// otpauth is an otpauth URI as an independent parser reads it.
type otpauth struct {
	LabelIssuer string `json:"label_issuer"`
	Account     string `json:"account"`
	Issuer      string `json:"issuer"`
	Secret      string `json:"secret"`
	Algorithm   string `json:"algorithm"`
	Digits      string `json:"digits"`
	Period      string `json:"period"`
}

// parseWithNetURL reads uri with net/url: the label is split at its one
// literal colon before its parts are unescaped, as RFC 3986 says reserved
// characters and their escapes differ.
func parseWithNetURL(uri string) (otpauth, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return otpauth{}, err
	}
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Fragment != "" || u.RawFragment != "" {
		return otpauth{}, fmt.Errorf("scheme %q, host %q, fragment %q", u.Scheme, u.Host, u.Fragment)
	}
	label, ok := strings.CutPrefix(u.EscapedPath(), "/")
	parts := strings.Split(label, ":")
	if !ok || len(parts) != 2 {
		return otpauth{}, fmt.Errorf("label %q is not issuer:account", label)
	}
	var p otpauth
	if p.LabelIssuer, err = url.PathUnescape(parts[0]); err != nil {
		return otpauth{}, err
	}
	if p.Account, err = url.PathUnescape(parts[1]); err != nil {
		return otpauth{}, err
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return otpauth{}, err
	}
	for k, v := range q {
		if len(v) != 1 {
			return otpauth{}, fmt.Errorf("parameter %s appears %d times", k, len(v))
		}
	}
	if len(q) != 5 {
		return otpauth{}, fmt.Errorf("%d parameters, want secret, issuer, algorithm, digits and period", len(q))
	}
	p.Issuer, p.Secret, p.Algorithm, p.Digits, p.Period = q.Get("issuer"), q.Get("secret"), q.Get("algorithm"), q.Get("digits"), q.Get("period")
	return p, nil
}

// wantPlainASCII checks that uri has only the characters an escaped
// otpauth URI needs: no space, no "+" (read as a space by some parsers and
// as a plus by others), no "#", one "?" and one colon in the label.
func wantPlainASCII(t *testing.T, uri string) {
	t.Helper()
	for i := 0; i < len(uri); i++ {
		c := uri[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~%:/?&=@", c) >= 0
		if !ok {
			t.Fatalf("byte %d of the URI is %q", i, c)
		}
	}
	rest, ok := strings.CutPrefix(uri, "otpauth://totp/")
	label, _, _ := strings.Cut(rest, "?")
	if !ok || strings.Count(uri, "?") != 1 || strings.Count(label, ":") != 1 || strings.Contains(uri, "%%") {
		t.Fatalf("URI %q is not otpauth://totp/issuer:account?query", uri)
	}
}

func (k otpauth) want(t *testing.T, issuer, account string, key *otp.TOTP) {
	t.Helper()
	want := otpauth{issuer, account, issuer, otp.EncodeSecret(key.Secret), "SHA1", "6", "30"}
	if key.Algorithm != otp.SHA1 || key.Digits != 0 || key.Period != 0 {
		want.Algorithm = key.Algorithm.String()
		want.Digits = fmt.Sprint(key.Digits)
		want.Period = fmt.Sprint(int(key.Period / time.Second))
	}
	if k != want {
		t.Errorf("read back as\n%+v\nwant\n%+v", k, want)
	}
}

func TestURIRoundTripsEveryCharacter(t *testing.T) {
	k := &otp.TOTP{Secret: rfcSecret}
	for _, c := range hostileNames {
		t.Run(c.name+" read back with net/url", func(t *testing.T) {
			uri, err := k.URI(c.issuer, c.account)
			if err != nil {
				t.Fatal(err)
			}
			wantPlainASCII(t, uri)
			p, err := parseWithNetURL(uri)
			if err != nil {
				t.Fatalf("%q: %v", uri, err)
			}
			p.want(t, c.issuer, c.account, k)
		})
	}
}

func TestURIEscapesTheIssueExample(t *testing.T) {
	// The form of issue 16: "issuer=Tom%20&%20Jerry" split the value at
	// the "&"; a space must be %20 and "&" and "+" escaped.
	uri, err := (&otp.TOTP{Secret: rfcSecret}).URI("Tom & Jerry", "a+b c@example.com")
	if err != nil {
		t.Fatal(err)
	}
	const want = "otpauth://totp/Tom%20%26%20Jerry:a%2Bb%20c@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Tom%20%26%20Jerry&algorithm=SHA1&digits=6&period=30"
	if uri != want {
		t.Errorf("URI\n%s\nwant\n%s", uri, want)
	}
}

func TestURICarriesTheKeysSettings(t *testing.T) {
	for _, k := range []*otp.TOTP{
		{Secret: rfcSecret, Algorithm: otp.SHA256, Digits: 8, Period: 60 * time.Second},
		{Secret: rfcSecret, Algorithm: otp.SHA512, Digits: 8, Period: 15 * time.Second},
		{Secret: rfcSecret, Algorithm: otp.SHA1, Digits: 7, Period: 30 * time.Second},
	} {
		t.Run(fmt.Sprintf("%v, %d digits and %v are in the URI", k.Algorithm, k.Digits, k.Period), func(t *testing.T) {
			uri, err := k.URI("Example", "alice")
			if err != nil {
				t.Fatal(err)
			}
			p, err := parseWithNetURL(uri)
			if err != nil {
				t.Fatal(err)
			}
			p.want(t, "Example", "alice", k)
		})
	}
}

// runReader runs an independent parser on the URIs of hostileNames, given
// as a JSON array on standard input, and compares what it read.
func runReader(t *testing.T, name string, arg ...string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not installed", name)
	}
	k := &otp.TOTP{Secret: rfcSecret}
	var uris []string
	for _, c := range hostileNames {
		uri, err := k.URI(c.issuer, c.account)
		if err != nil {
			t.Fatal(err)
		}
		uris = append(uris, uri)
	}
	in, _ := json.Marshal(uris)
	cmd := exec.Command(name, arg...)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("%s: %v\n%s", name, err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got []otpauth
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(uris) {
		t.Fatalf("%s printed %q (%v)", name, out, err)
	}
	for i, c := range hostileNames {
		t.Run(c.name+" reads back", func(t *testing.T) { got[i].want(t, c.issuer, c.account, k) })
	}
}

func TestURIReadByPython(t *testing.T) {
	// urllib.parse as a Python program uses it; parse_qs decodes "+" as a
	// space, so a "+" for a plus sign would fail here.
	runReader(t, "python3", "-c", `
import json, sys, urllib.parse as up
out = []
for uri in json.load(sys.stdin):
    u = up.urlsplit(uri)
    assert u.scheme == "otpauth" and u.netloc == "totp" and not u.fragment, "not otpauth://totp/"
    issuer, account = (up.unquote(p, errors="strict") for p in u.path[1:].split(":"))
    q = up.parse_qs(u.query, keep_blank_values=True, strict_parsing=True, errors="strict")
    assert all(len(v) == 1 for v in q.values()), "a repeated parameter"
    out.append(dict(label_issuer=issuer, account=account, **{k: v[0] for k, v in q.items()}))
json.dump(out, sys.stdout)
`)
}

func TestURIReadByWHATWGURLAndDecodeURIComponent(t *testing.T) {
	// Node's URL is the WHATWG parser browsers use; URLSearchParams decodes
	// "+" as a space. The npm otpauth package instead splits the raw query
	// and applies decodeURIComponent, which keeps "+" a plus: both must
	// agree.
	runReader(t, "node", "-e", `
const uris = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = uris.map((s) => {
  const u = new URL(s);
  if (u.protocol !== "otpauth:" || u.host !== "totp" || u.hash !== "") throw new Error("not otpauth://totp/");
  const label = u.pathname.slice(1).split(":");
  if (label.length !== 2) throw new Error("the label has " + (label.length - 1) + " colons");
  const p = { label_issuer: decodeURIComponent(label[0]), account: decodeURIComponent(label[1]) };
  for (const [k, v] of u.searchParams) p[k] = v;
  for (const kv of u.search.slice(1).split("&")) {
    const [k, v, extra] = kv.split("=");
    if (extra !== undefined || decodeURIComponent(v) !== p[k]) throw new Error("decodeURIComponent reads " + k + " differently");
  }
  return p;
});
process.stdout.write(JSON.stringify(out));
`)
}

func TestParseAlgorithm(t *testing.T) {
	for _, c := range []struct {
		in   string
		want otp.Algorithm
		err  error
	}{
		{"SHA1", otp.SHA1, nil},
		{"sha256", otp.SHA256, nil},
		{"Sha512", otp.SHA512, nil},
		{"SHA-256", 0, otp.ErrInvalidAlgorithm},
		{"MD5", 0, otp.ErrInvalidAlgorithm},
		{"", 0, otp.ErrInvalidAlgorithm},
	} {
		t.Run(fmt.Sprintf("%q parses as %v (error %v)", c.in, c.want, c.err), func(t *testing.T) {
			got, err := otp.ParseAlgorithm(c.in)
			if !errors.Is(err, c.err) || (err == nil && got != c.want) {
				t.Errorf("ParseAlgorithm = %v, %v", got, err)
			}
			if err == nil && got.String() != strings.ToUpper(c.in) {
				t.Errorf("String() = %s, want %s", got, strings.ToUpper(c.in))
			}
		})
	}
}

func FuzzURI(f *testing.F) {
	for _, c := range hostileNames {
		f.Add(c.issuer, c.account)
	}
	f.Add("", "a")
	f.Add("\xff", "a")
	k := &otp.TOTP{Secret: rfcSecret}
	f.Fuzz(func(t *testing.T, issuer, account string) {
		uri, err := k.URI(issuer, account)
		if err != nil {
			valid := issuer != "" && account != "" && utf8.ValidString(issuer) && utf8.ValidString(account)
			if !errors.Is(err, otp.ErrInvalidLabel) || valid {
				t.Fatalf("URI(%q, %q): %v", issuer, account, err)
			}
			return
		}
		wantPlainASCII(t, uri)
		p, err := parseWithNetURL(uri)
		if err != nil {
			t.Fatalf("%q: %v", uri, err)
		}
		p.want(t, issuer, account, k)
	})
}
