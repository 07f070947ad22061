package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/server"
	"github.com/unguessable/secrets/store"
)

// mailbox is a real SMTP server (github.com/emersion/go-smtp) on loopback
// that records the messages it receives.
type mailbox struct {
	addr string
	got  chan mailed
}

type mailed struct {
	from string
	to   []string
	raw  []byte
}

type mailSession struct {
	box  *mailbox
	from string
	to   []string
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }
func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.box.got <- mailed{from: s.from, to: s.to, raw: raw}
	return nil
}

func newMailbox(t testing.TB) *mailbox {
	box := &mailbox{got: make(chan mailed, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{box: box}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	box.addr = ln.Addr().String()
	return box
}

// next returns the next message, failing the test if none comes in 30s
// (a bound on a hang, not a measurement).
func (b *mailbox) next(t testing.TB) mailed {
	t.Helper()
	select {
	case m := <-b.got:
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("no message arrived")
	}
	return mailed{}
}

// parts parses a multipart/alternative message into its header and its
// decoded parts by media type.
func parts(t testing.TB, raw []byte) (mail.Header, map[string]string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the message does not parse: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		var body []byte
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			body, err = io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		} else {
			body, err = io.ReadAll(p) // quoted-printable is decoded by NextPart
		}
		if err != nil {
			t.Fatal(err)
		}
		out[pt] = string(body)
	}
	return msg.Header, out
}

// delivering starts a delivering Server on st, serving with its dispatcher
// running, with e-mail to box and links for the purpose reset.
func delivering(t testing.TB, st store.Store, box *mailbox) *instance {
	t.Helper()
	smtpSender, err := deliver.NewSMTP("smtp://"+box.addr+"?insecure=1", "Example <no-reply@example.com>", 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	links := deliver.Links{}
	if err := links.ParseLink("reset=https://app.example.com/reset?token={{.Token}}"); err != nil {
		t.Fatal(err)
	}
	d, err := deliver.New(deliver.Options{Key: bytes.Repeat([]byte{9}, deliver.KeyBytes), Email: smtpSender, Links: links})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	clock := backendtest.NewClock()
	srv, err := server.New(server.Options{
		Store:          st,
		AdminKeyDigest: sha256.Sum256([]byte(testAdminKey)),
		Pepper:         backendtest.Pepper,
		Logger:         slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:          clock,
		Deliverer:      d,
		Dispatch:       deliver.DispatchOptions{Poll: 20 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})
	// Serve runs the dispatcher; the test's calls go through a server of
	// the same handler that checks them against openapi.json.
	hs := httptest.NewServer(contract(t, srv.Handler()))
	t.Cleanup(hs.Close)
	return &instance{client: newClient(hs.URL), srv: srv, st: st, clock: clock, logs: logs}
}

// sent waits until delivery id is no longer queued or sending, and returns
// its status.
func (in *instance) sent(t testing.TB, id string) response {
	t.Helper()
	for range 3000 {
		r := in.do(t, "GET", "/v1/deliveries/"+id, nil)
		want(t, r, http.StatusOK)
		if s := r.str("status"); s != "queued" && s != "sending" {
			return r
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("delivery %s never finished", id)
	return response{}
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

func TestDeliveryByEmailTheWholeLoop(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		box := newMailbox(t)
		db := b.open(t)
		in := delivering(t, db, box)

		t.Run("a code sent by e-mail checks through the API", func(t *testing.T) {
			r := in.do(t, "POST", "/v1/codes", map[string]any{"purpose": "login", "subject": "ana",
				"deliver": map[string]any{"channel": "email", "to": "ana@example.com"}})
			want(t, r, http.StatusCreated)
			if _, ok := r.body["code"]; ok {
				t.Fatalf("the answer to a delivered code holds the code: %s", r.raw)
			}
			id := r.str("delivery.id")
			if r.str("delivery.status") != "queued" || !strings.HasPrefix(id, "dlv_") {
				t.Fatalf("delivery %s", r.raw)
			}
			m := box.next(t)
			if m.to[0] != "ana@example.com" || m.from != "no-reply@example.com" {
				t.Fatalf("envelope from %q to %q", m.from, m.to)
			}
			h, p := parts(t, m.raw)
			if h.Get("Message-Id") != "<"+id+"@example.com>" {
				t.Errorf("Message-ID %q, want the delivery's id", h.Get("Message-Id"))
			}
			if _, err := h.Date(); err != nil {
				t.Errorf("Date: %v", err)
			}
			if h.Get("List-Unsubscribe") != "" || h.Get("Auto-Submitted") != "auto-generated" || h.Get("Mime-Version") == "" {
				t.Errorf("headers: List-Unsubscribe %q, Auto-Submitted %q, MIME-Version %q", h.Get("List-Unsubscribe"), h.Get("Auto-Submitted"), h.Get("Mime-Version"))
			}
			codeText := sixDigits.FindString(p["text/plain"])
			if codeText == "" || !strings.Contains(p["text/html"], codeText) || !strings.Contains(h.Get("Subject"), codeText) {
				t.Fatalf("no code in the text part, or not the same in the HTML and subject:\n%s", p["text/plain"])
			}
			v := in.do(t, "POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": "ana", "code": codeText})
			want(t, v, http.StatusOK)
			if v.str("status") != "APPROVED" {
				t.Fatalf("the mailed code: %s", v.raw)
			}
			d := in.sent(t, id)
			if d.str("status") != "sent" || d.num("attempts") != 1 || d.str("sent_at") == "" || d.str("channel") != "email" {
				t.Fatalf("GET /v1/deliveries/%s: %s", id, d.raw)
			}
		})

		t.Run("a token is mailed in its link only, and redeems through the API", func(t *testing.T) {
			r := in.do(t, "POST", "/v1/tokens", map[string]any{"purpose": "reset", "subject": "bo",
				"deliver": map[string]any{"channel": "email", "to": "bo@example.com", "data": map[string]any{"app": "Example"}}})
			want(t, r, http.StatusCreated)
			if _, ok := r.body["token"]; ok {
				t.Fatalf("the answer to a delivered token holds the token: %s", r.raw)
			}
			h, p := parts(t, box.next(t).raw)
			link := regexp.MustCompile(`https://app\.example\.com/reset\?token=[^\s"<]+`).FindString(p["text/plain"])
			u, err := url.Parse(link)
			if err != nil || link == "" {
				t.Fatalf("no link in the text part:\n%s", p["text/plain"])
			}
			tok := u.Query().Get("token")
			if len(tok) < 40 {
				t.Fatalf("the link's token has %d characters", len(tok))
			}
			if !strings.Contains(p["text/html"], link) {
				t.Errorf("the HTML part lacks the link")
			}
			for where, s := range map[string]string{"text": p["text/plain"], "html": p["text/html"], "subject": h.Get("Subject")} {
				if strings.Contains(strings.ReplaceAll(s, link, ""), tok) {
					t.Errorf("the token is in the %s outside its link", where)
				}
			}
			v := in.do(t, "POST", "/v1/tokens/redeem", map[string]any{"purpose": "reset", "token": tok})
			want(t, v, http.StatusOK)
			if v.str("status") != "VALID" {
				t.Fatalf("the mailed token: %s", v.raw)
			}
			if d := in.sent(t, r.str("delivery.id")); d.str("status") != "sent" {
				t.Fatalf("%s", d.raw)
			}
		})

		t.Run("an unknown delivery is a 404", func(t *testing.T) {
			want(t, in.do(t, "GET", "/v1/deliveries/dlv_nope", nil), http.StatusNotFound, "not_found")
		})

		t.Run("the deliveries are in the analytics by channel and outcome", func(t *testing.T) {
			deliveriesCounted(t, in, map[string]float64{"email": 2}, map[string]float64{"sent": 2})
		})
	})
}

func TestDeliveryBadInputQueuesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		db := backendtest.SQLite().NewDB(t)
		if b.name == "PostgreSQL" {
			db = backendtest.Postgres(nil).NewDB(t)
		}
		box := newMailbox(t)
		in := delivering(t, db.Open(t), box)
		ok := map[string]any{"channel": "email", "to": "ana@example.com"}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for k, v := range ok {
				m[k] = v
			}
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
			return m
		}
		for _, c := range []struct {
			name, path, purpose string
			deliver             any
			field               string
		}{
			{"an unknown channel", "/v1/codes", "login", with("channel", "sms"), "deliver.channel"},
			{"no channel", "/v1/codes", "login", with("channel", nil), "deliver.channel"},
			{"a channel this service lacks", "/v1/codes", "login", with("channel", "webhook"), "deliver.channel"},
			{"a malformed address", "/v1/codes", "login", with("to", "ana at example"), "deliver.to"},
			{"an address with a display name", "/v1/codes", "login", with("to", "Ana <ana@example.com>"), "deliver.to"},
			{"an address with a new line", "/v1/codes", "login", with("to", "ana@example.com\r\nBcc: x@example.com"), "deliver.to"},
			{"no address", "/v1/codes", "login", with("to", nil), "deliver.to"},
			{"an unknown template", "/v1/codes", "login", with("template", "nope"), "deliver.template"},
			{"a locale the template lacks", "/v1/codes", "login", with("locale", "fr"), "deliver.locale"},
			{"data that is not an object", "/v1/codes", "login", with("data", []int{1}), "deliver.data"},
			{"data too large", "/v1/codes", "login", with("data", map[string]string{"x": strings.Repeat("x", 5000)}), "deliver.data"},
			{"an unknown member", "/v1/codes", "login", with("chanel", "email"), "deliver.chanel"},
			{"a token by e-mail for a purpose without a link", "/v1/tokens", "invite", ok, "deliver.channel"},
			{"a token with a malformed address", "/v1/tokens", "reset", with("to", "@"), "deliver.to"},
		} {
			t.Run(c.name+" is a 400 naming "+c.field, func(t *testing.T) {
				r := in.do(t, "POST", c.path, map[string]any{"purpose": c.purpose, "subject": "s", "deliver": c.deliver})
				want(t, r, http.StatusBadRequest, "invalid_request", c.field)
			})
		}
		if bytes.Contains(db.Contents(t), []byte("dlv_")) {
			t.Fatal("a refused request queued a delivery")
		}
		if bytes.Contains(db.Contents(t), []byte("ana@example.com")) {
			t.Fatal("a refused request stored its recipient")
		}
		select {
		case m := <-box.got:
			t.Fatalf("a refused request sent mail to %v", m.to)
		default:
		}
		// The control: an accepted request does leave its job where the
		// scan looks.
		want(t, in.do(t, "POST", "/v1/codes", map[string]any{"purpose": "login", "subject": "s", "deliver": ok}), http.StatusCreated)
		if !bytes.Contains(db.Contents(t), []byte("dlv_")) {
			t.Fatal("the scan does not see a queued delivery")
		}
	})
}

func TestDeliverOnAServiceThatDeliversNothingIsA400(t *testing.T) {
	in := start(t, newSQLite(t).open(t))
	r := in.do(t, "POST", "/v1/codes", map[string]any{"purpose": "login", "subject": "s", "deliver": map[string]any{"channel": "email", "to": "a@example.com"}})
	want(t, r, http.StatusBadRequest, "invalid_request", "deliver")
	want(t, in.do(t, "GET", "/v1/deliveries/dlv_x", nil), http.StatusNotFound, "not_found")
}
