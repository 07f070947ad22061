package deliver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
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

// NewSMTP returns an SMTP sender through the server of rawURL, from the
// address from. rawURL is smtp://[user:pass@]host[:port] (default port 587;
// STARTTLS is required) or smtps://[user:pass@]host[:port] (TLS from the
// first byte, default port 465). smtp://…?insecure=1 sends without TLS, and
// is refused for any host but a loopback address. Each attempt waits at
// most timeout (default 10s).
func NewSMTP(rawURL, from string, timeout time.Duration, clock store.Clock) (*SMTP, error) {
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
	switch u.Scheme {
	case "smtp":
		if insecure {
			if !loopback(host) {
				return nil, fmt.Errorf("%w: insecure=1 (no TLS) is allowed only to a loopback address, not %s", ErrConfig, truncate(host))
			}
			opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
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
		return errors.New("smtp: " + firstLine(err.Error()))
	}
	return nil
}

// firstLine is the first line of s, at most 200 bytes.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
