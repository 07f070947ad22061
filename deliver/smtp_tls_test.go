package deliver_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
)

// testCA is a certificate authority made for one test, and a server
// certificate it issued for names.
type testCA struct {
	pool    *x509.CertPool
	pem     []byte
	leaf    tls.Certificate
	expired tls.Certificate // a certificate for the same names, expired
}

func newTestCA(t testing.TB, names ...string) *testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "secrets test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	ca := &testCA{pool: x509.NewCertPool(), pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	ca.pool.AddCert(caCert)
	issue := func(serial int64, notAfter time.Time) tls.Certificate {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: names[0]},
			NotBefore: now.Add(-2 * time.Hour), NotAfter: notAfter,
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		for _, n := range names {
			if ip := net.ParseIP(n); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, n)
			}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	ca.leaf = issue(2, now.Add(time.Hour))
	ca.expired = issue(3, now.Add(-time.Hour))
	return ca
}

// tlsMailbox is a real SMTP server that takes AUTH PLAIN with the password
// s3cret (over TLS only), records the messages it receives with whether
// their session was encrypted, and records every byte the client sent on
// the wire.
type tlsMailbox struct {
	addr string

	mu       sync.Mutex
	wire     bytes.Buffer // what clients sent, as it crossed the network
	msgs     []tlsMail
	commands int // MAIL, RCPT, DATA and AUTH commands received
}

type tlsMail struct {
	raw []byte
	tls bool
}

// mode is how the test server speaks TLS.
type mode int

const (
	implicitTLS mode = iota // TLS from the first byte (smtps)
	startTLS                // offers STARTTLS
	plainOnly               // offers no TLS at all
)

type tlsSession struct {
	box  *tlsMailbox
	conn *smtp.Conn
}

func (s *tlsSession) count() {
	s.box.mu.Lock()
	s.box.commands++
	s.box.mu.Unlock()
}
func (s *tlsSession) Reset()                               {}
func (s *tlsSession) Logout() error                        { return nil }
func (s *tlsSession) Mail(string, *smtp.MailOptions) error { s.count(); return nil }
func (s *tlsSession) Rcpt(string, *smtp.RcptOptions) error { s.count(); return nil }
func (s *tlsSession) AuthMechanisms() []string             { return []string{sasl.Plain} }
func (s *tlsSession) Auth(string) (sasl.Server, error) {
	s.count()
	return sasl.NewPlainServer(func(_, _, pass string) error {
		if pass != "s3cret" {
			return errors.New("bad password")
		}
		return nil
	}), nil
}
func (s *tlsSession) Data(r io.Reader) error {
	s.count()
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, encrypted := s.conn.TLSConnectionState()
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, tlsMail{raw: raw, tls: encrypted})
	s.box.mu.Unlock()
	return nil
}

// wireConn records what the client writes, before any TLS is undone.
type wireConn struct {
	net.Conn
	box *tlsMailbox
}

func (c wireConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.box.mu.Lock()
	c.box.wire.Write(p[:n])
	c.box.mu.Unlock()
	return n, err
}

type wireListener struct {
	net.Listener
	box *tlsMailbox
}

func (l wireListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return wireConn{Conn: c, box: l.box}, nil
}

func startTLSMailbox(t testing.TB, m mode, cert tls.Certificate) *tlsMailbox {
	t.Helper()
	box := &tlsMailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &tlsSession{box: box, conn: c}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = false
	srv.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	box.addr = ln.Addr().String()
	var l net.Listener = wireListener{Listener: ln, box: box}
	switch m {
	case implicitTLS:
		l = tls.NewListener(l, cfg)
	case startTLS:
		srv.TLSConfig = cfg
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return box
}

func (b *tlsMailbox) snapshot() (wire []byte, msgs []tlsMail, commands int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.wire.Bytes()), append([]tlsMail(nil), b.msgs...), b.commands
}

// textOf returns the text/plain part of a multipart e-mail.
func textOf(t *testing.T, raw []byte) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the message does not parse: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no text/plain part: %v", err)
		}
		if ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct != "text/plain" {
			continue
		}
		var r io.Reader = p // multipart undoes quoted-printable itself
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			r = base64.NewDecoder(base64.StdEncoding, p)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
}

// TestSMTPOverTLS sends through a real SMTP server that speaks TLS with a
// certificate made by the test: the whole path from a queued code to the
// message, over smtps:// and STARTTLS, and the refusals that keep a code
// off the network in plain text.
func TestSMTPOverTLS(t *testing.T) {
	ca := newTestCA(t, "127.0.0.1", "localhost")
	// The secret of the session: the password in AUTH PLAIN, as it would
	// cross the wire in plain text.
	plainAuth := base64.StdEncoding.EncodeToString([]byte("\x00mailer\x00s3cret"))
	codeRE := regexp.MustCompile(`\b[0-9]{6}\b`)

	// issueByMail queues a code for ana@example.com through an SMTP sender
	// of url with options, runs the dispatcher once and returns the
	// delivery and the code manager.
	issueByMail := func(t *testing.T, url string, options ...deliver.SMTPOption) (store.Delivery, *env) {
		t.Helper()
		clock := backendtest.NewClock()
		sender, err := deliver.NewSMTP(url, "Example <no-reply@example.com>", 5*time.Second, clock, options...)
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, backendtest.SQLite().NewDB(t).Open(t), clock, envOptions{email: sender})
		enq, err := e.d.Enqueue(deliver.KindCode, "login", deliver.Request{Channel: deliver.ChannelEmail, To: "ana@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		iss, err := e.codes.Issue(context.Background(), "login", "ana", code.IssueOptions{Deliver: enq})
		if err != nil {
			t.Fatal(err)
		}
		if n := e.runOnce(t); n != 1 {
			t.Fatalf("claimed %d jobs, want 1", n)
		}
		return e.delivery(t, iss.DeliveryID), e
	}

	for _, c := range []struct {
		name string
		mode mode
		url  string
	}{
		{"smtps:// (TLS from the first byte)", implicitTLS, "smtps://mailer:s3cret@%s"},
		{"smtp:// upgraded by STARTTLS", startTLS, "smtp://mailer:s3cret@%s"},
	} {
		t.Run("a code mailed over "+c.name+" arrives encrypted, and checks", func(t *testing.T) {
			box := startTLSMailbox(t, c.mode, ca.leaf)
			d, e := issueByMail(t, strings.Replace(c.url, "%s", box.addr, 1), deliver.SMTPRootCAs(ca.pool))
			if d.Status != store.DeliverySent || d.LastError != "" {
				t.Fatalf("status %q, last error %q", d.Status, d.LastError)
			}
			wire, msgs, _ := box.snapshot()
			if len(msgs) != 1 || !msgs[0].tls {
				t.Fatalf("%d messages received (encrypted: %v), want 1 encrypted", len(msgs), len(msgs) == 1 && msgs[0].tls)
			}
			text := textOf(t, msgs[0].raw)
			got := codeRE.FindString(text)
			if got == "" {
				t.Fatalf("no code in the text part %q", text)
			}
			if bytes.Contains(wire, []byte(got)) || bytes.Contains(wire, []byte(plainAuth)) || bytes.Contains(wire, []byte("ana@example.com")) {
				t.Fatal("the code, the password or the recipient crossed the wire in plain text")
			}
			if c.mode == startTLS && !bytes.Contains(wire, []byte("STARTTLS")) {
				t.Fatal("the client never asked for STARTTLS: the server saw no upgrade")
			}
			res, err := e.codes.Check(context.Background(), "login", "ana", got)
			if err != nil || res.Status != code.Approved {
				t.Fatalf("the mailed code checks as %v (%v)", res.Status, err)
			}
		})
	}

	t.Run("a server that offers no STARTTLS gets nothing, and the delivery says why", func(t *testing.T) {
		box := startTLSMailbox(t, plainOnly, ca.leaf)
		d, _ := issueByMail(t, "smtp://mailer:s3cret@"+box.addr, deliver.SMTPRootCAs(ca.pool))
		wire, msgs, commands := box.snapshot()
		if len(msgs) != 0 || commands != 0 {
			t.Fatalf("%d messages and %d MAIL/RCPT/DATA/AUTH commands reached a server without TLS", len(msgs), commands)
		}
		if bytes.Contains(wire, []byte("MAIL FROM")) || bytes.Contains(wire, []byte("AUTH")) || bytes.Contains(wire, []byte(plainAuth)) {
			t.Fatalf("the client sent more than a greeting in plain text: %q", wire)
		}
		if !bytes.Contains(wire, []byte("EHLO")) {
			t.Fatalf("the client never spoke to the server: the test checks nothing (%q)", wire)
		}
		if d.Status != store.DeliveryQueued || d.Attempts != 1 || !strings.Contains(d.LastError, "does not offer STARTTLS") {
			t.Fatalf("status %q after %d attempts, last error %q", d.Status, d.Attempts, d.LastError)
		}
	})

	otherName := newTestCA(t, "mail.example.com")
	for _, c := range []struct {
		name    string
		mode    mode
		cert    tls.Certificate
		roots   *x509.CertPool
		wantErr string
	}{
		{"signed by an authority the client does not trust (smtps)", implicitTLS, ca.leaf, nil, "certificate does not verify"},
		{"signed by an authority the client does not trust (STARTTLS)", startTLS, ca.leaf, nil, "certificate does not verify"},
		{"of another authority than the one given", startTLS, ca.leaf, newTestCA(t, "127.0.0.1").pool, "certificate does not verify"},
		{"for another name", implicitTLS, otherName.leaf, otherName.pool, "certificate does not verify"},
		{"expired", startTLS, ca.expired, ca.pool, "certificate does not verify"},
	} {
		t.Run("a certificate "+c.name+" is refused before anything is sent", func(t *testing.T) {
			roots := c.roots
			box := startTLSMailbox(t, c.mode, c.cert)
			var opts []deliver.SMTPOption
			if roots != nil {
				opts = append(opts, deliver.SMTPRootCAs(roots))
			}
			scheme := "smtps://"
			if c.mode == startTLS {
				scheme = "smtp://"
			}
			d, _ := issueByMail(t, scheme+"mailer:s3cret@"+box.addr, opts...)
			wire, msgs, commands := box.snapshot()
			if len(msgs) != 0 || commands != 0 || bytes.Contains(wire, []byte(plainAuth)) {
				t.Fatalf("%d messages and %d MAIL/RCPT/DATA/AUTH commands reached a server whose certificate does not verify", len(msgs), commands)
			}
			if len(wire) == 0 {
				t.Fatal("the client never connected: the test checks nothing")
			}
			if d.Status != store.DeliveryQueued || !strings.Contains(d.LastError, c.wantErr) || strings.Contains(d.LastError, "s3cret") {
				t.Fatalf("status %q, last error %q", d.Status, d.LastError)
			}
		})
	}

	t.Run("insecure=1 is for loopback only", func(t *testing.T) {
		for _, c := range []struct {
			url string
			ok  bool
		}{
			{"smtp://127.0.0.1:2525?insecure=1", true},
			{"smtp://127.9.9.9:2525?insecure=1", true},
			{"smtp://[::1]:2525?insecure=1", true},
			{"smtp://localhost:2525?insecure=1", true},
			{"smtp://192.0.2.1:25?insecure=1", false},
			{"smtp://[2001:db8::1]:25?insecure=1", false},
			{"smtp://smtp.example.com:25?insecure=1", false},
			{"smtp://127.0.0.1.example.com:25?insecure=1", false},
			{"smtp://127.0.0.1:25?insecure=true", false},
			{"smtp://127.0.0.1:25?insecure=1&insecure=1", false},
			{"smtps://127.0.0.1:465?insecure=1", false},
		} {
			_, err := deliver.NewSMTP(c.url, "a@example.com", 0, nil)
			if (err == nil) != c.ok || (err != nil && !errors.Is(err, deliver.ErrConfig)) {
				t.Errorf("%s: %v, want accepted: %v", c.url, err, c.ok)
			}
		}
		// Over loopback without TLS, a message goes through, in the clear.
		box := startTLSMailbox(t, plainOnly, ca.leaf)
		_, port, _ := net.SplitHostPort(box.addr)
		d, _ := issueByMail(t, "smtp://localhost:"+port+"?insecure=1")
		if _, msgs, _ := box.snapshot(); d.Status != store.DeliverySent || len(msgs) != 1 || msgs[0].tls {
			t.Fatalf("status %q (%s), %d messages", d.Status, d.LastError, len(msgs))
		}
	})

	t.Run("a CA file gives the client its authority", func(t *testing.T) {
		dir := t.TempDir()
		good := filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(good, ca.pem, 0o600); err != nil {
			t.Fatal(err)
		}
		pool, err := deliver.LoadSMTPRootCAs(good)
		if err != nil {
			t.Fatal(err)
		}
		box := startTLSMailbox(t, implicitTLS, ca.leaf)
		if d, _ := issueByMail(t, "smtps://"+box.addr, deliver.SMTPRootCAs(pool)); d.Status != store.DeliverySent {
			t.Fatalf("status %q, last error %q", d.Status, d.LastError)
		}
		bad := filepath.Join(dir, "not.pem")
		if err := os.WriteFile(bad, []byte("not a certificate\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{bad, filepath.Join(dir, "missing.pem")} {
			if _, err := deliver.LoadSMTPRootCAs(f); err == nil || !errors.Is(err, deliver.ErrConfig) {
				t.Errorf("%s: %v", filepath.Base(f), err)
			}
		}
	})
}
