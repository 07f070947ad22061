package deliver_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/unguessable/secrets/deliver"
)

// authServer is an SMTP server that takes AUTH PLAIN and answers DATA
// with reject, if set.
type authServer struct {
	mu     sync.Mutex
	users  []string
	got    int
	reject *smtp.SMTPError
}

type authSession struct{ s *authServer }

func (a authSession) Reset()        {}
func (a authSession) Logout() error { return nil }
func (a authSession) Mail(string, *smtp.MailOptions) error {
	return nil
}
func (a authSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (a authSession) Data(r io.Reader) error {
	io.Copy(io.Discard, r)
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if a.s.reject != nil {
		return a.s.reject
	}
	a.s.got++
	return nil
}
func (a authSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (a authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if pass != "s3cret" {
			return errors.New("bad password")
		}
		a.s.mu.Lock()
		a.s.users = append(a.s.users, user)
		a.s.mu.Unlock()
		return nil
	}), nil
}

func startSMTP(t *testing.T, s *authServer) string {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return authSession{s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func TestSMTPSender(t *testing.T) {
	msg := func() *deliver.Message {
		return &deliver.Message{ID: "dlv_1", Kind: deliver.KindCode, To: "ana@example.com", Subject: "Your code", Text: "code", HTML: "<p>code</p>", ExpiresAt: time.Now().Add(time.Minute)}
	}
	t.Run("it logs in with the URL's user and password", func(t *testing.T) {
		s := &authServer{}
		m, err := deliver.NewSMTP("smtp://mailer:s3cret@"+startSMTP(t, s)+"?insecure=1", "no-reply@example.com", 5*time.Second, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Send(context.Background(), msg()); err != nil {
			t.Fatal(err)
		}
		if len(s.users) != 1 || s.users[0] != "mailer" || s.got != 1 {
			t.Fatalf("logins %v, messages %d", s.users, s.got)
		}
	})
	t.Run("a wrong password is an error that does not quote it", func(t *testing.T) {
		m, err := deliver.NewSMTP("smtp://mailer:hunter2@"+startSMTP(t, &authServer{})+"?insecure=1", "no-reply@example.com", 5*time.Second, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = m.Send(context.Background(), msg())
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("%v", err)
		}
	})
	for _, c := range []struct {
		name      string
		reject    *smtp.SMTPError
		permanent bool
	}{
		{"a 550 is permanent", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, true},
		{"a 451 is retried", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := deliver.NewSMTP("smtp://"+startSMTP(t, &authServer{reject: c.reject})+"?insecure=1", "no-reply@example.com", 5*time.Second, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = m.Send(context.Background(), msg())
			var perm *deliver.PermanentError
			if err == nil || errors.As(err, &perm) != c.permanent {
				t.Fatalf("%v (permanent: %v)", err, errors.As(err, &perm))
			}
		})
	}
	t.Run("a mail server that requires STARTTLS and lacks it is an error, not plain text", func(t *testing.T) {
		m, err := deliver.NewSMTP("smtp://"+startSMTP(t, &authServer{}), "no-reply@example.com", 5*time.Second, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Send(context.Background(), msg()); err == nil {
			t.Fatal("sent without TLS")
		}
	})
}
