package deliver

import (
	"bytes"
	"encoding/json"
	"fmt"
	htemplate "html/template"
	"io/fs"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	ttemplate "text/template"
	"time"
)

// CodeFields are what the templates of codes may use.
type CodeFields struct {
	Code             string
	Purpose          string
	To               string
	ExpiresAt        time.Time
	ExpiresInMinutes int
	Data             map[string]any // the request's data
}

// LinkFields are what the templates of links may use. The token is in Link
// and nowhere else.
type LinkFields struct {
	Link             string
	Purpose          string
	To               string
	ExpiresAt        time.Time
	ExpiresInMinutes int
	Data             map[string]any
}

// The parts of a template set, as the suffixes of their files.
const (
	partSubject = "subject.txt"
	partText    = "txt"
	partHTML    = "html"
)

// set is one template: a subject, a text and an HTML body.
type set struct {
	subject *ttemplate.Template
	text    *ttemplate.Template
	html    *htemplate.Template
}

type setKey struct{ kind, name, locale string }

// Templates render the subject, text and HTML of messages, per kind, name
// and locale.
type Templates struct {
	sets map[setKey]*set
}

func (t *Templates) has(kind, name, locale string) bool {
	for k := range t.sets {
		if k.kind == kind && k.name == name && (locale == "" || k.locale == locale) {
			return true
		}
	}
	return false
}

var builtin = map[string]map[string]string{
	KindCode: {
		partSubject: `Your code is {{.Code}}`,
		partText: `Your code is {{.Code}}

It expires in {{.ExpiresInMinutes}} minutes. If you did not ask for it, ignore this message.
`,
		partHTML: `<!DOCTYPE html>
<html><body>
<p>Your code is <strong>{{.Code}}</strong></p>
<p>It expires in {{.ExpiresInMinutes}} minutes. If you did not ask for it, ignore this message.</p>
</body></html>
`,
	},
	KindLink: {
		partSubject: `Your link`,
		partText: `Open this link to continue:

{{.Link}}

It expires in {{.ExpiresInMinutes}} minutes. If you did not ask for it, ignore this message.
`,
		partHTML: `<!DOCTYPE html>
<html><body>
<p><a href="{{.Link}}">Open this link to continue</a>.</p>
<p>It expires in {{.ExpiresInMinutes}} minutes. If you did not ask for it, ignore this message.</p>
</body></html>
`,
	},
}

// Builtin returns the built-in templates: "default" in English ("en") for
// codes and links.
func Builtin() *Templates {
	t := &Templates{sets: map[setKey]*set{}}
	for kind, parts := range builtin {
		s, err := parseSet(kind, "builtin/"+kind+"/default.en", parts)
		if err != nil {
			panic("deliver: built-in template: " + err.Error())
		}
		t.sets[setKey{kind, DefaultTemplate, DefaultLocale}] = s
	}
	return t
}

var templateFile = regexp.MustCompile(`^([a-z0-9_-]+)\.([a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})?)\.(subject\.txt|txt|html)$`)

// LoadTemplates returns the built-in templates with those of dir added or
// replacing them. dir holds a directory per kind, code/ and link/, of files
// named NAME.LOCALE.subject.txt, NAME.LOCALE.txt and NAME.LOCALE.html
// (Go text/template, and html/template for .html), all three for each name
// and locale. Every template is parsed and run on sample fields, so a
// template that fails to parse or uses a field its kind lacks is an error
// naming the file and line; so is any other file.
func LoadTemplates(dir string) (*Templates, error) {
	return loadTemplates(os.DirFS(dir), dir)
}

func loadTemplates(fsys fs.FS, dir string) (*Templates, error) {
	t := Builtin()
	top, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("deliver: templates: %w", err)
	}
	for _, e := range top {
		kind := e.Name()
		if !e.IsDir() || (kind != KindCode && kind != KindLink) {
			return nil, fmt.Errorf("deliver: templates: %s: only the directories code and link belong here", path.Join(dir, kind))
		}
		files, err := fs.ReadDir(fsys, kind)
		if err != nil {
			return nil, fmt.Errorf("deliver: templates: %w", err)
		}
		parts := map[setKey]map[string]string{}
		for _, f := range files {
			m := templateFile.FindStringSubmatch(f.Name())
			if m == nil || f.IsDir() {
				return nil, fmt.Errorf("deliver: templates: %s: not named NAME.LOCALE.subject.txt, NAME.LOCALE.txt or NAME.LOCALE.html", path.Join(dir, kind, f.Name()))
			}
			b, err := fs.ReadFile(fsys, path.Join(kind, f.Name()))
			if err != nil {
				return nil, fmt.Errorf("deliver: templates: %w", err)
			}
			k := setKey{kind, m[1], m[2]}
			if parts[k] == nil {
				parts[k] = map[string]string{}
			}
			parts[k][m[3]] = string(b)
		}
		for k, p := range parts {
			base := path.Join(dir, kind, k.name+"."+k.locale)
			for _, part := range []string{partSubject, partText, partHTML} {
				if _, ok := p[part]; !ok {
					return nil, fmt.Errorf("deliver: templates: %s.%s is missing: each template needs a subject, a text and an HTML file", base, part)
				}
			}
			s, err := parseSet(kind, base, p)
			if err != nil {
				return nil, fmt.Errorf("deliver: templates: %w", err)
			}
			t.sets[k] = s
		}
	}
	return t, nil
}

// parseSet parses the parts of one template, named base.part in errors, and
// runs them on sample fields of kind.
func parseSet(kind, base string, parts map[string]string) (*set, error) {
	s := &set{}
	var err error
	if s.subject, err = ttemplate.New(base + "." + partSubject).Option("missingkey=zero").Parse(parts[partSubject]); err != nil {
		return nil, err
	}
	if s.text, err = ttemplate.New(base + "." + partText).Option("missingkey=zero").Parse(parts[partText]); err != nil {
		return nil, err
	}
	if s.html, err = htemplate.New(base + "." + partHTML).Option("missingkey=zero").Parse(parts[partHTML]); err != nil {
		return nil, err
	}
	sample := fields(kind, "123456", "https://example.com/x?token=sample", "sample", "ana@example.com", time.Now().Add(10*time.Minute), time.Now(), nil)
	if _, _, _, err := s.render(sample); err != nil {
		return nil, err
	}
	return s, nil
}

// fields are the template fields of one message.
func fields(kind, code, link, purpose, to string, expiresAt, now time.Time, data json.RawMessage) any {
	var m map[string]any
	if len(data) > 0 {
		_ = json.Unmarshal(data, &m) // checked by Enqueue
	}
	mins := int((expiresAt.Sub(now) + time.Minute - 1) / time.Minute)
	if kind == KindCode {
		return CodeFields{Code: code, Purpose: purpose, To: to, ExpiresAt: expiresAt, ExpiresInMinutes: mins, Data: m}
	}
	return LinkFields{Link: link, Purpose: purpose, To: to, ExpiresAt: expiresAt, ExpiresInMinutes: mins, Data: m}
}

func (s *set) render(f any) (subject, text, html string, err error) {
	var b bytes.Buffer
	if err := s.subject.Execute(&b, f); err != nil {
		return "", "", "", err
	}
	subject = strings.TrimSpace(strings.ReplaceAll(b.String(), "\n", " "))
	b.Reset()
	if err := s.text.Execute(&b, f); err != nil {
		return "", "", "", err
	}
	text = b.String()
	b.Reset()
	if err := s.html.Execute(&b, f); err != nil {
		return "", "", "", err
	}
	return subject, text, b.String(), nil
}

// render renders the template of m's kind, name and locale into m.
func (t *Templates) render(m *Message, now time.Time) error {
	s := t.sets[setKey{m.Kind, m.Template, m.Locale}]
	if s == nil {
		return fmt.Errorf("deliver: no template %s/%s.%s", m.Kind, m.Template, m.Locale)
	}
	var err error
	m.Subject, m.Text, m.HTML, err = s.render(fields(m.Kind, m.Code, m.Link, m.Purpose, m.To, m.ExpiresAt, now, m.Data))
	return err
}

// LinkFieldsOf are what a link template may use: Token, URL-escaped.
type linkToken struct{ Token string }

// Links make the link of each purpose's tokens.
type Links map[string]*ttemplate.Template

// ParseLink parses the value of --link, purpose=URL, where URL is a Go
// text/template whose field .Token is the token, URL-escaped, such as
// https://app.example.com/reset?token={{.Token}}. The link must be an
// absolute http or https URL.
func (l Links) ParseLink(spec string) error {
	purpose, raw, ok := strings.Cut(spec, "=")
	if !ok || purpose == "" || raw == "" {
		return fmt.Errorf("deliver: link %q: want purpose=URL, such as reset=https://app.example.com/reset?token={{.Token}}", truncate(spec))
	}
	if _, dup := l[purpose]; dup {
		return fmt.Errorf("deliver: link: purpose %q has two links", truncate(purpose))
	}
	t, err := ttemplate.New("link " + purpose).Option("missingkey=error").Parse(raw)
	if err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	if !strings.Contains(raw, ".Token") {
		return fmt.Errorf("deliver: link of purpose %q: the URL has no {{.Token}}", truncate(purpose))
	}
	if _, err := link(t, "sample_TOKEN-1"); err != nil {
		return err
	}
	l[purpose] = t
	return nil
}

// link executes t with token.
func link(t *ttemplate.Template, token string) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, linkToken{Token: url.QueryEscape(token)}); err != nil {
		return "", fmt.Errorf("deliver: %w", err)
	}
	u, err := url.Parse(b.String())
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("deliver: %s: the link is not an absolute http or https URL", t.Name())
	}
	return b.String(), nil
}
