package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/unguessable/secrets/client"
	"github.com/unguessable/secrets/internal/backendtest"
)

func ptr[T any](v T) *T { return &v }

// wantAPIError checks that err is an *client.Error with this status, code
// and field.
func wantAPIError(t *testing.T, err error, status int, code, field string) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want a *client.Error", err, err)
	}
	if e.Status != status || e.Code != code || e.Field != field {
		t.Errorf("error %d %q field %q, want %d %q field %q (%v)", e.Status, e.Code, e.Field, status, code, field, e)
	}
	return e
}

func TestKeys(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		svc := startService(t, b, nil, nil)
		c := newClient(t, svc.url, adminKey, nil)
		ctx := context.Background()

		if err := c.Health(ctx); err != nil {
			t.Fatalf("Health: %v", err)
		}
		doc, err := c.OpenAPI(ctx)
		if err != nil || !json.Valid(doc) || !strings.Contains(string(doc), `"/v1/keys/verify"`) {
			t.Fatalf("OpenAPI: %d bytes, %v", len(doc), err)
		}
		if m, err := c.Metrics(ctx); err != nil || !strings.Contains(string(m), "# HELP") {
			t.Fatalf("Metrics: %d bytes, %v", len(m), err)
		}

		k, err := c.CreateKey(ctx, client.CreateKeyRequest{Prefix: "sk_test_", Namespace: "shop", Owner: "acme", Name: "checkout",
			Meta: json.RawMessage(`{"plan":"pro"}`), ExpiresIn: ptr(int64(3600)), Remaining: ptr(int64(3)),
			RateLimit: &client.RateLimit{Limit: 10, Window: 60}})
		if err != nil {
			t.Fatalf("CreateKey: %v", err)
		}
		if !strings.HasPrefix(k.Key, "sk_test_") || k.ID == "" || k.Namespace != "shop" || k.Owner != "acme" || !k.Enabled ||
			k.Remaining == nil || *k.Remaining != 3 || k.RateLimit == nil || *k.RateLimit != (client.RateLimit{Limit: 10, Window: 60}) ||
			!k.ExpiresAt.Equal(svc.clock.Now().Add(time.Hour)) || !k.RevokedAt.IsZero() || string(k.Meta) != `{"plan":"pro"}` {
			t.Fatalf("CreateKey answered %+v", k)
		}

		v, err := c.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key, Namespace: "shop", Cost: ptr(int64(2))})
		if err != nil {
			t.Fatalf("VerifyKey: %v", err)
		}
		if !v.Valid || v.Status != "VALID" || v.ID != k.ID || v.Remaining == nil || *v.Remaining != 1 || v.RateLimit == nil ||
			v.RateLimit.Remaining != 8 || v.ExpiresAt == nil || !v.ExpiresAt.Equal(k.ExpiresAt) {
			t.Fatalf("VerifyKey answered %+v", v)
		}
		v, err = c.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key, Namespace: "shop", Cost: ptr(int64(2))})
		if err != nil || v.Valid || v.Status != "USAGE_EXCEEDED" {
			t.Fatalf("VerifyKey over the uses: %+v, %v", v, err)
		}
		v, err = c.VerifyKey(ctx, client.VerifyKeyRequest{Key: "sk_test_nothing"})
		if err != nil || v.Valid || v.ID != "" {
			t.Fatalf("VerifyKey of no key: %+v, %v", v, err)
		}

		got, err := c.GetKey(ctx, k.ID)
		if err != nil || got.ID != k.ID || got.Key != "" || got.Start != k.Start || *got.Remaining != 1 {
			t.Fatalf("GetKey: %+v, %v", got, err)
		}

		later := svc.clock.Now().Add(48 * time.Hour).Truncate(time.Second)
		u, err := c.UpdateKey(ctx, k.ID, client.UpdateKeyRequest{Enabled: ptr(false), Remaining: client.Int(7), ExpiresAt: client.Time(later)})
		if err != nil || u.Enabled || u.Remaining == nil || *u.Remaining != 7 || !u.ExpiresAt.Equal(later) {
			t.Fatalf("UpdateKey: %+v, %v", u, err)
		}
		u, err = c.UpdateKey(ctx, k.ID, client.UpdateKeyRequest{Enabled: ptr(true), Remaining: client.Null, ExpiresAt: client.Null, Meta: json.RawMessage(`{}`)})
		if err != nil || !u.Enabled || u.Remaining != nil || !u.ExpiresAt.IsZero() {
			t.Fatalf("UpdateKey to unlimited: %+v, %v", u, err)
		}

		for i := range 4 {
			if _, err := c.CreateKey(ctx, client.CreateKeyRequest{Prefix: "sk_test_", Namespace: "shop", Owner: "other", Name: string(rune('a' + i))}); err != nil {
				t.Fatal(err)
			}
		}
		var ids []string
		for cursor := ""; ; {
			page, err := c.ListKeys(ctx, client.ListKeysOptions{Namespace: "shop", Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatalf("ListKeys: %v", err)
			}
			for _, k := range page.Keys {
				if k.Key != "" {
					t.Fatal("ListKeys answered a plaintext key")
				}
				ids = append(ids, k.ID)
			}
			if cursor = page.Cursor; cursor == "" {
				break
			}
		}
		if len(ids) != 5 {
			t.Errorf("ListKeys paged through %d keys, want 5", len(ids))
		}
		if page, err := c.ListKeys(ctx, client.ListKeysOptions{Namespace: "shop", Owner: "acme"}); err != nil || len(page.Keys) != 1 || page.Keys[0].ID != k.ID {
			t.Errorf("ListKeys of owner acme: %+v, %v", page, err)
		}

		r, err := c.RerollKey(ctx, k.ID, client.RerollKeyRequest{Overlap: ptr(int64(60))})
		if err != nil || r.ID == k.ID || r.Key == "" || r.Key == k.Key || r.Owner != "acme" {
			t.Fatalf("RerollKey: %+v, %v", r.ID, err)
		}
		_, err = c.RerollKey(ctx, k.ID, client.RerollKeyRequest{})
		wantAPIError(t, err, http.StatusConflict, client.CodeConflict, "")

		if err := c.RevokeKey(ctx, r.ID); err != nil {
			t.Fatalf("RevokeKey: %v", err)
		}
		if v, err := c.VerifyKey(ctx, client.VerifyKeyRequest{Key: r.Key, Namespace: "shop"}); err != nil || v.Status != "REVOKED" {
			t.Fatalf("VerifyKey of a revoked key: %+v, %v", v, err)
		}
		if got, err := c.GetKey(ctx, r.ID); err != nil || got.RevokedAt.IsZero() {
			t.Fatalf("GetKey of a revoked key: %+v, %v", got, err)
		}

		_, err = c.GetKey(ctx, "key_none")
		wantAPIError(t, err, http.StatusNotFound, client.CodeNotFound, "")
		_, err = c.CreateKey(ctx, client.CreateKeyRequest{})
		wantAPIError(t, err, http.StatusBadRequest, client.CodeInvalidRequest, "prefix")
		_, err = c.ListKeys(ctx, client.ListKeysOptions{Limit: 100000})
		wantAPIError(t, err, http.StatusBadRequest, client.CodeInvalidRequest, "limit")
		if _, err := c.GetKey(ctx, ""); !errors.Is(err, client.ErrNoID) {
			t.Errorf("GetKey of no id: %v, want ErrNoID", err)
		}
	})
}

func TestTokensCodesAccessAudit(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		svc := startService(t, b, nil, nil)
		c := newClient(t, svc.url, adminKey, nil)
		ctx := context.Background()

		tok, err := c.IssueToken(ctx, client.IssueTokenRequest{Purpose: "reset", Subject: "ann", ExpiresIn: ptr(int64(600)), Bytes: ptr(24), Meta: json.RawMessage(`{"a":1}`)})
		if err != nil || tok.Token == "" || tok.Bits != 192 || tok.Delivery != nil || !tok.ExpiresAt.Equal(svc.clock.Now().Add(10*time.Minute)) {
			t.Fatalf("IssueToken: %+v, %v", tok.ID, err)
		}
		if v, err := c.VerifyToken(ctx, client.CheckTokenRequest{Purpose: "reset", Token: tok.Token}); err != nil || !v.Valid || v.Subject != "ann" || v.ID != tok.ID {
			t.Fatalf("VerifyToken: %+v, %v", v, err)
		}
		if v, err := c.RedeemToken(ctx, client.CheckTokenRequest{Purpose: "reset", Token: tok.Token}); err != nil || !v.Valid || string(v.Meta) != `{"a":1}` {
			t.Fatalf("RedeemToken: %+v, %v", v, err)
		}
		if v, err := c.RedeemToken(ctx, client.CheckTokenRequest{Purpose: "reset", Token: tok.Token}); err != nil || v.Valid || v.Status != "USED" {
			t.Fatalf("RedeemToken again: %+v, %v", v, err)
		}
		if _, err := c.IssueToken(ctx, client.IssueTokenRequest{Purpose: "invite", Subject: "bob", KeepExisting: true}); err != nil {
			t.Fatal(err)
		}
		if n, err := c.RevokeTokens(ctx, "invite", "bob"); err != nil || n != 1 {
			t.Fatalf("RevokeTokens: %d, %v", n, err)
		}
		_, err = c.IssueToken(ctx, client.IssueTokenRequest{Purpose: "reset"})
		wantAPIError(t, err, http.StatusBadRequest, client.CodeInvalidRequest, "subject")

		code, err := c.IssueCode(ctx, client.IssueCodeRequest{Purpose: "login", Subject: "ann", Digits: ptr(8), MaxAttempts: ptr(3)})
		if err != nil || len(code.Code) != 8 || code.AttemptsLeft != 3 {
			t.Fatalf("IssueCode: %v, %v", code.ID, err)
		}
		wrong := "00000000"
		if code.Code == wrong {
			wrong = "11111111"
		}
		if v, err := c.VerifyCode(ctx, client.VerifyCodeRequest{Purpose: "login", Subject: "ann", Code: wrong}); err != nil || v.Valid || v.Status != "INVALID" || v.AttemptsLeft != 2 {
			t.Fatalf("VerifyCode of a wrong code: %+v, %v", v, err)
		}
		if v, err := c.VerifyCode(ctx, client.VerifyCodeRequest{Purpose: "login", Subject: "ann", Code: code.Code}); err != nil || !v.Valid || v.Status != "APPROVED" {
			t.Fatalf("VerifyCode: %+v, %v", v, err)
		}
		_, err = c.IssueCode(ctx, client.IssueCodeRequest{Purpose: "login", Subject: "ann", Digits: ptr(3)})
		wantAPIError(t, err, http.StatusBadRequest, client.CodeInvalidRequest, "digits")

		ak, err := c.CreateAccessKey(ctx, client.CreateAccessKeyRequest{Name: "reader", Scopes: []string{"keys:read"}, Namespaces: []string{"shop"}})
		if err != nil || ak.Key == "" || ak.Name != "reader" || len(ak.Scopes) != 1 {
			t.Fatalf("CreateAccessKey: %+v, %v", ak.ID, err)
		}
		if got, err := c.GetAccessKey(ctx, ak.ID); err != nil || got.Key != "" || got.Start != ak.Start || !got.LastUsedAt.IsZero() {
			t.Fatalf("GetAccessKey: %+v, %v", got, err)
		}
		reader := newClient(t, svc.url, ak.Key, nil)
		if _, err := reader.ListKeys(ctx, client.ListKeysOptions{Namespace: "shop"}); err != nil {
			t.Fatalf("ListKeys with a keys:read access key: %v", err)
		}
		_, err = reader.CreateKey(ctx, client.CreateKeyRequest{Prefix: "sk_", Namespace: "shop"})
		wantAPIError(t, err, http.StatusForbidden, client.CodeForbidden, "")
		_, err = reader.ListKeys(ctx, client.ListKeysOptions{Namespace: "other"})
		wantAPIError(t, err, http.StatusForbidden, client.CodeForbidden, "namespace")
		l, err := c.ListAccessKeys(ctx, client.PageOptions{Limit: 10})
		if err != nil || len(l.AccessKeys) != 1 || l.AccessKeys[0].ID != ak.ID || l.Cursor != "" {
			t.Fatalf("ListAccessKeys: %+v, %v", l, err)
		}
		if err := c.RevokeAccessKey(ctx, ak.ID); err != nil {
			t.Fatalf("RevokeAccessKey: %v", err)
		}
		_, err = reader.ListKeys(ctx, client.ListKeysOptions{Namespace: "shop"})
		wantAPIError(t, err, http.StatusUnauthorized, client.CodeUnauthorized, "")

		a, err := c.ListAudit(ctx, client.ListAuditOptions{Action: "access.create", From: svc.clock.Now().Add(-time.Hour), To: svc.clock.Now().Add(time.Hour)})
		if err != nil || len(a.Records) != 1 || a.Records[0].Target != ak.ID || a.Records[0].Outcome != "ok" {
			t.Fatalf("ListAudit: %+v, %v", a, err)
		}
		_, err = c.ListAudit(ctx, client.ListAuditOptions{Limit: -1})
		wantAPIError(t, err, http.StatusBadRequest, client.CodeInvalidRequest, "limit")

		_, err = c.GetDelivery(ctx, "dl_none")
		wantAPIError(t, err, http.StatusNotFound, client.CodeNotFound, "")
	})
}
