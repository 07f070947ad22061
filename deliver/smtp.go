package deliver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/unguessable/secrets/store"
)

// SMTP sends each message as an e-mail, multipart text and HTML, through
// one mail server, with github.com/wneessen/go-mail. The Message-ID is the
// job's id at the From address's domain, the same on every attempt, so a
// receiver can deduplicate; the headers are those of a transactional
// message (Date, Message-ID, Auto-Submitted, no List-Unsubscribe).
type SMTP struct {
	host  string
	opts  []gomail.Option
	from  string
	dom   string
	clock store.Clock
}

// SMTPOption tunes an SMTP sender.
type SMTPOption func(*smtpOptions)

type smtpOptions struct {
	roots *x509.CertPool
}

// SMTPRootCAs makes the sender verify the mail server's certificate against
// roots instead of the system's certificate authorities: for a mail server
// whose certificate a private authority issued.
func SMTPRootCAs(roots *x509.CertPool) SMTPOption {
	return func(o *smtpOptions) { o.roots = roots }
}

// LoadSMTPRootCAs reads the PEM certificates of file, for [SMTPRootCAs]. A
// file that holds none is an error.
func LoadSMTPRootCAs(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%w: %s holds no PEM certificate", ErrConfig, file)
	}
	return pool, nil
}

// NewSMTP returns an SMTP sender through the server of rawURL, from the
// address from. rawURL is smtp://[user:pass@]host[:port] (default port 587;
// STARTTLS is required) or smtps://[user:pass@]host[:port] (TLS from the
// first byte, default port 465). Over TLS, the server's certificate must
// verify for host, against the system's authorities or those of
// [SMTPRootCAs]. smtp://…?insecure=1 sends without TLS, and is refused for
// any host but a loopback address; the connection itself is refused if the
// host resolves to another address. Each attempt waits at most timeout
// (default 10s).
func NewSMTP(rawURL, from string, timeout time.Duration, clock store.Clock, options ...SMTPOption) (*SMTP, error) {
	var so smtpOptions
	for _, o := range options {
		o(&so)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: the SMTP URL does not parse; want smtp://user:pass@host:port or smtps://…", ErrConfig)
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if clock == nil {
		clock = store.SystemClock{}
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("%w: the SMTP URL names no host", ErrConfig)
	}
	opts := []gomail.Option{gomail.WithTimeout(timeout)}
	port := 587
	q := u.Query()
	insecure := q.Get("insecure") == "1"
	for k := range q {
		if k != "insecure" {
			return nil, fmt.Errorf("%w: the SMTP URL has an unknown parameter %q (only insecure=1)", ErrConfig, truncate(k))
		}
	}
	if v, ok := q["insecure"]; ok && (len(v) != 1 || v[0] != "1") {
		return nil, fmt.Errorf("%w: the SMTP URL's insecure parameter takes only the value 1", ErrConfig)
	}
	opts = append(opts, gomail.WithTLSConfig(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, RootCAs: so.roots}))
	switch u.Scheme {
	case "smtp":
		if insecure {
			if !loopback(host) {
				return nil, fmt.Errorf("%w: insecure=1 (no TLS) is allowed only to a loopback address, not %s", ErrConfig, truncate(host))
			}
			opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS), gomail.WithDialContextFunc(loopbackDialer(timeout)))
		} else {
			opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		}
	case "smtps":
		if insecure {
			return nil, fmt.Errorf("%w: smtps:// is TLS; insecure=1 belongs to smtp://", ErrConfig)
		}
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("%w: the SMTP URL's scheme is %q; want smtp or smtps", ErrConfig, truncate(u.Scheme))
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("%w: the SMTP URL's port is not a port number", ErrConfig)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password()
		// Over TLS, the strongest mechanism the server offers; without TLS
		// (loopback only), go-mail offers no plain mechanism unless told.
		auth := gomail.SMTPAuthAutoDiscover
		if insecure {
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	a, err := mail.ParseAddress(from)
	if err != nil || !strings.Contains(a.Address, "@") {
		return nil, fmt.Errorf("%w: the From address %q is not an e-mail address", ErrConfig, truncate(from))
	}
	dom := a.Address[strings.LastIndex(a.Address, "@")+1:]
	if _, err := gomail.NewClient(host, opts...); err != nil {
		return nil, fmt.Errorf("%w: SMTP: %w", ErrConfig, err)
	}
	return &SMTP{host: host, opts: opts, from: from, dom: dom, clock: clock}, nil
}

// loopback reports whether host is a loopback address or localhost.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackDialer dials only loopback addresses: a host named localhost that
// resolves elsewhere gets no plain text.
func loopbackDialer(timeout time.Duration) gomail.DialContextFunc {
	d := &net.Dialer{Timeout: timeout, Control: func(_, address string, _ syscall.RawConn) error {
		h, _, err := net.SplitHostPort(address)
		if ip := net.ParseIP(h); err != nil || ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("insecure=1 sends only to a loopback address, and the host resolved to %s", h)
		}
		return nil
	}}
	return d.DialContext
}

// Send mails m.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return Permanent(errors.New("smtp: the From address does not encode"))
	}
	if err := msg.To(m.To); err != nil {
		return Permanent(errors.New("smtp: the recipient's address does not encode"))
	}
	msg.SetMessageIDWithValue(m.ID + "@" + s.dom)
	msg.SetDateWithValue(s.clock.Now())
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return Permanent(fmt.Errorf("smtp: %w", err))
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
			return Permanent(fmt.Errorf("smtp: the mail server refused the message for good (%d)", se.ErrorCode()))
		}
		if errors.As(err, &se) && se.ErrorCode() > 0 {
			return fmt.Errorf("smtp: the mail server answered %d", se.ErrorCode())
		}
		return errors.New("smtp: " + describe(err))
	}
	return nil
}

// describe says why an attempt failed, first of all when TLS kept the
// message from leaving: nothing was sent then.
func describe(err error) string {
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) {
		return "the mail server's certificate does not verify, nothing was sent: " + firstLine(cv.Err.Error())
	}
	if strings.Contains(err.Error(), "does not support STARTTLS") {
		return "the mail server does not offer STARTTLS, which smtp:// requires; nothing was sent (use smtps:// if it speaks TLS from the first byte)"
	}
	return firstLine(err.Error())
}

// firstLine is the first line of s, at most 200 bytes.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
