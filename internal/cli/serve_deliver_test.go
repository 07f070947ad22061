package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var testWebhookSecret = "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

func TestServeRefusesBadDeliveryFlags(t *testing.T) {
	t.Setenv("SECRETS_WEBHOOK_SECRET", "")
	t.Setenv("SECRETS_SMTP_URL", "")
	t.Setenv("SECRETS_MAIL_FROM", "")
	badTemplates := t.TempDir()
	if err := os.MkdirAll(filepath.Join(badTemplates, "code"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"a.en.subject.txt": "s", "a.en.txt": "one\ntwo {{.Nope}}\n", "a.en.html": "<p></p>"} {
		writeFile(t, filepath.Join(badTemplates, "code", name), body)
	}
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	writeFile(t, notPEM, "not a certificate\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a link without a channel", []string{"--link", "reset=https://a.example.com/{{.Token}}"}, "need a channel"},
		{"--smtp without --mail-from", []string{"--smtp", "smtp://smtp.example.com"}, "--mail-from"},
		{"mail without TLS across the network", []string{"--smtp", "smtp://u:hunter2@smtp.example.com:25?insecure=1", "--mail-from", "a@example.com"}, "loopback"},
		{"a CA file without --smtp", []string{"--webhook", "https://hooks.example.com/x", "--smtp-ca-file", "ca.pem"}, "--smtp-ca-file needs --smtp"},
		{"a CA file that is missing", []string{"--smtp", "smtps://smtp.example.com", "--mail-from", "a@example.com", "--smtp-ca-file", "/nonexistent/ca.pem"}, "--smtp-ca-file"},
		{"a CA file that holds no certificate", []string{"--smtp", "smtps://smtp.example.com", "--mail-from", "a@example.com", "--smtp-ca-file", notPEM}, "holds no PEM certificate"},
		{"an SMTP URL of another scheme", []string{"--smtp", "imap://smtp.example.com", "--mail-from", "a@example.com"}, "--smtp"},
		{"a webhook without its secret", []string{"--webhook", "https://hooks.example.com/x"}, "signing secret"},
		{"a webhook that is not a URL", []string{"--webhook", "hooks"}, "not an absolute http or https URL"},
		{"a link without the token", []string{"--webhook", "https://hooks.example.com/x", "--link", "reset=https://a.example.com/"}, "--link"},
		{"a template that uses an unknown field, by file and line", []string{"--webhook", "https://hooks.example.com/x", "--templates", badTemplates}, "code/a.en.txt:2"},
		{"too many attempts", []string{"--webhook", "https://hooks.example.com/x", "--delivery-attempts", "1000"}, "--delivery-attempts"},
	} {
		t.Run(tc.name+" is a usage error that leaves no file", func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			if strings.Contains(tc.name, "template") || strings.Contains(tc.name, "link without the token") || strings.Contains(tc.name, "attempts") || strings.Contains(tc.name, "not a URL") {
				t.Setenv("SECRETS_WEBHOOK_SECRET", testWebhookSecret)
			}
			r := run(t, "", append([]string{"serve"}, tc.args...)...)
			wantUsageError(t, r, tc.want)
			if strings.Contains(r.err, "hunter2") {
				t.Errorf("the error quotes the password: %q", r.err)
			}
			if files, _ := os.ReadDir(dir); len(files) != 0 {
				t.Errorf("a refused start left %d files, the first %s", len(files), files[0].Name())
			}
		})
	}
}

func TestServeDeliversByWebhook(t *testing.T) {
	t.Setenv("SECRETS_ADMIN_KEY", "")
	t.Setenv("SECRETS_PEPPER", "")
	t.Setenv("SECRETS_DB", "")
	t.Setenv("SECRETS_WEBHOOK_SECRET", testWebhookSecret)
	t.Chdir(t.TempDir())
	got := make(chan map[string]any, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Data map[string]any `json:"data"`
		}
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &p)
		got <- p.Data
	}))
	defer hook.Close()

	addr, stderr, stop := serving(t, "--webhook", hook.URL, "--link", "reset=https://app.example.com/r?t={{.Token}}")
	key := rootKeyIn(t, "secrets.db.admin-key", stderr.String())
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/codes", strings.NewReader(`{"purpose":"login","subject":"u","deliver":{"channel":"webhook","to":"+15550100"}}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var issued map[string]any
	json.NewDecoder(resp.Body).Decode(&issued)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || issued["code"] != nil || issued["delivery"] == nil {
		t.Fatalf("%d %v", resp.StatusCode, issued)
	}
	data := <-got
	if c, _ := data["code"].(string); len(c) != 6 || strings.Contains(stderr.String(), c) {
		t.Errorf("the webhook's code %q, or it is in the log", c)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	fi, err := os.Stat("secrets.db.delivery-key")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the delivery key file: %v", err)
	}
	if !strings.Contains(stderr.String(), "generated the key that seals queued deliveries") {
		t.Errorf("no line about the delivery key: %s", stderr.String())
	}
	b, _ := os.ReadFile("secrets.db.delivery-key")
	if strings.Contains(stderr.String(), strings.TrimSpace(strings.SplitAfter(string(b), "\n")[1])) {
		t.Error("the delivery key is on stderr")
	}

	t.Run("an instance with another delivery key refuses to start", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other.key")
		writeFile(t, other, strings.Repeat("ab", 32)+"\n")
		os.Chmod(other, 0o600)
		r := run(t, "", "serve", "--addr", "127.0.0.1:0", "--webhook", hook.URL, "--delivery-key-file", other)
		wantUsageError(t, r, "delivery key differs")
	})
}

func TestServeHelpDoesNotPrintTheSMTPPassword(t *testing.T) {
	t.Setenv("SECRETS_SMTP_URL", "smtp://u:hunter2@smtp.example.com")
	r := run(t, "", "serve", "--help")
	if r.code != 0 || strings.Contains(r.out+r.err, "hunter2") || !strings.Contains(r.out, "--smtp") {
		t.Fatalf("exit %d; the help shows the password: %v", r.code, strings.Contains(r.out+r.err, "hunter2"))
	}
}
