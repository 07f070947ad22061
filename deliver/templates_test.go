package deliver_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/store"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func codeSet(name, subject, text, html string) map[string]string {
	return map[string]string{"code/" + name + ".subject.txt": subject, "code/" + name + ".txt": text, "code/" + name + ".html": html}
}

func TestTemplatesAreCheckedWhenLoaded(t *testing.T) {
	t.Run("a good directory adds its templates to the built-in ones", func(t *testing.T) {
		dir := writeFiles(t, codeSet("welcome.fr", "Votre code {{.Code}}", "Code : {{.Code}} ({{.Data.app}})\n", "<p>{{.Code}}</p>"))
		tpl, err := deliver.LoadTemplates(dir)
		if err != nil {
			t.Fatal(err)
		}
		d, err := deliver.New(deliver.Options{Key: testKey, Webhook: nopSender{}, Templates: tpl})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []deliver.Request{
			{Channel: "webhook", To: "x", Template: "welcome", Locale: "fr"},
			{Channel: "webhook", To: "x"},
		} {
			if _, err := d.Enqueue(deliver.KindCode, "login", r); err != nil {
				t.Errorf("%+v: %v", r, err)
			}
		}
		for field, r := range map[string]deliver.Request{
			"deliver.locale":   {Channel: "webhook", To: "x", Template: "welcome", Locale: "en"},
			"deliver.template": {Channel: "webhook", To: "x", Template: "welcome2"},
		} {
			_, err := d.Enqueue(deliver.KindCode, "login", r)
			var ie *store.InvalidError
			if !errors.As(err, &ie) || ie.Field != field {
				t.Errorf("%+v: %v, want an error naming %s", r, err, field)
			}
		}
		if _, err := d.Enqueue(deliver.KindLink, "login", deliver.Request{Channel: "webhook", To: "x", Template: "welcome", Locale: "fr"}); err == nil {
			t.Error("a code template was taken for a link")
		}
	})
	for name, c := range map[string]struct {
		files map[string]string
		want  []string
	}{
		"a template that does not parse names its file and line": {
			codeSet("a.en", "s", "line one\n{{.Code\n", "<p></p>"), []string{"code/a.en.txt:2"}},
		"a template that uses a field its kind lacks names its file and line": {
			codeSet("a.en", "s", "ok\n\n{{.Link}}\n", "<p></p>"), []string{"code/a.en.txt:3", "Link"}},
		"an HTML template that uses an unknown field names its file": {
			codeSet("a.en", "s", "t", "<p>{{.Token}}</p>"), []string{"code/a.en.html:1", "Token"}},
		"a template missing a part names the missing file": {
			map[string]string{"link/a.en.txt": "{{.Link}}", "link/a.en.html": "{{.Link}}"}, []string{"link/a.en.subject.txt is missing"}},
		"a file of another name is refused": {
			map[string]string{"code/readme.md": "x"}, []string{"code/readme.md"}},
		"a directory of another kind is refused": {
			map[string]string{"sms/a.en.txt": "x"}, []string{"sms"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := deliver.LoadTemplates(writeFiles(t, c.files))
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v: lacks %q", err, w)
				}
			}
		})
	}
}

func TestLinks(t *testing.T) {
	l := deliver.Links{}
	if err := l.ParseLink("reset=https://app.example.com/reset?token={{.Token}}&x=1"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"reset=https://other.example.com/{{.Token}}", // a second link of one purpose
		"nourl",                                          // no =
		"p=https://app.example.com/reset",                // no token
		"p=ftp://app.example.com/{{.Token}}",             // not http
		"p=/reset?token={{.Token}}",                      // not absolute
		"p=https://app.example.com/{{.Token}",            // does not parse
		"p=https://app.example.com/{{.Token}}{{.Other}}", // an unknown field
	} {
		if err := l.ParseLink(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestSealing(t *testing.T) {
	s, err := deliver.NewSealer(testKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal("dlv_1", "123456")
	if bytes.Contains(sealed, []byte("123456")) {
		t.Fatal("the sealed value holds the plaintext")
	}
	if p, err := s.Open("dlv_1", sealed); err != nil || p != "123456" {
		t.Fatalf("open: %q, %v", p, err)
	}
	if bytes.Equal(sealed, s.Seal("dlv_1", "123456")) {
		t.Fatal("two seals of one plaintext are equal: the nonce repeats")
	}
	other, _ := deliver.NewSealer(bytes.Repeat([]byte{1}, deliver.KeyBytes))
	for name, open := range map[string]func() (string, error){
		"another job's id": func() (string, error) { return s.Open("dlv_2", sealed) },
		"another key":      func() (string, error) { return other.Open("dlv_1", sealed) },
		"a changed byte":   func() (string, error) { b := bytes.Clone(sealed); b[30] ^= 1; return s.Open("dlv_1", b) },
		"a short value":    func() (string, error) { return s.Open("dlv_1", sealed[:10]) },
	} {
		if _, err := open(); !errors.Is(err, deliver.ErrSealed) {
			t.Errorf("%s: %v, want ErrSealed", name, err)
		}
	}
	if _, err := deliver.NewSealer(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was taken")
	}
	if deliver.KeyID(testKey) == deliver.KeyID(bytes.Repeat([]byte{1}, deliver.KeyBytes)) || len(deliver.KeyID(testKey)) != 19 {
		t.Errorf("key ids %q", deliver.KeyID(testKey))
	}
}

func TestChannelConfiguration(t *testing.T) {
	for _, c := range []struct {
		url, from string
		ok        bool
	}{
		{"smtp://user:pass@smtp.example.com:587", "no-reply@example.com", true},
		{"smtps://smtp.example.com", "Example <no-reply@example.com>", true},
		{"smtp://127.0.0.1:2525?insecure=1", "a@example.com", true},
		{"smtp://[::1]:2525?insecure=1", "a@example.com", true},
		{"smtp://smtp.example.com:25?insecure=1", "a@example.com", false}, // no TLS across the network
		{"smtps://127.0.0.1?insecure=1", "a@example.com", false},
		{"smtp://smtp.example.com?tls=0", "a@example.com", false},
		{"http://smtp.example.com", "a@example.com", false},
		{"smtp://smtp.example.com:99999", "a@example.com", false},
		{"smtp://smtp.example.com", "not an address", false},
	} {
		_, err := deliver.NewSMTP(c.url, c.from, 0, nil)
		if (err == nil) != c.ok {
			t.Errorf("NewSMTP(%q, %q): %v", c.url, c.from, err)
		}
		if err != nil && strings.Contains(err.Error(), "pass") {
			t.Errorf("the error quotes the password: %v", err)
		}
	}
	for _, c := range []struct {
		url, secret string
		ok          bool
	}{
		{"https://hooks.example.com/x", testSecret, true},
		{"ftp://hooks.example.com/x", testSecret, false},
		{"https://hooks.example.com/x", "whsec_short", false},
		{"https://hooks.example.com/x", strings.TrimPrefix(testSecret, "whsec_"), false},
	} {
		if _, err := deliver.NewWebhook(c.url, c.secret, 0, nil); (err == nil) != c.ok {
			t.Errorf("NewWebhook(%q): %v", c.url, err)
		}
	}
	if _, err := deliver.New(deliver.Options{Key: testKey}); !errors.Is(err, deliver.ErrConfig) {
		t.Errorf("a deliverer without a channel: %v", err)
	}
}
