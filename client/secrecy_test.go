package client_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/unguessable/secrets/client"
	"github.com/unguessable/secrets/internal/backendtest"
)

// TestErrorsHoldNoSecret makes every kind of failure with a key, token,
// code or access key in the call, and looks for each of them in every
// error's text.
func TestErrorsHoldNoSecret(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		ctx := context.Background()
		svc := startService(t, b, nil, nil)
		c := newClient(t, svc.url, adminKey, nil)
		k, err := c.CreateKey(ctx, client.CreateKeyRequest{Prefix: "sk_", Namespace: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.IssueToken(ctx, client.IssueTokenRequest{Purpose: "reset", Subject: "ann"})
		if err != nil {
			t.Fatal(err)
		}
		code, err := c.IssueCode(ctx, client.IssueCodeRequest{Purpose: "login", Subject: "ann"})
		if err != nil {
			t.Fatal(err)
		}
		ak, err := c.CreateAccessKey(ctx, client.CreateAccessKeyRequest{Name: "v", Scopes: []string{"tokens:verify"}, Namespaces: []string{"*"}})
		if err != nil {
			t.Fatal(err)
		}
		wrongKey := "ak_wrong_" + strings.Repeat("x", 40)
		secrets := []string{adminKey, k.Key, tok.Token, code.Code, ak.Key, wrongKey}

		limited := newClient(t, svc.url, ak.Key, nil)
		wrong := newClient(t, svc.url, wrongKey, nil)
		fs, _ := withFaults(t, b, http.MethodPost, 100, unavailable("1"))
		down := newClient(t, fs.url, adminKey, nil)
		gone := newClient(t, "http://127.0.0.1:1", adminKey, nil) // nothing listens on port 1

		var errs []error
		add := func(_ any, err error) {
			if err == nil {
				t.Fatal("a call meant to fail succeeded")
			}
			errs = append(errs, err)
		}
		add(c.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key, Namespace: "shop", Cost: ptr(int64(-1))}))
		add(limited.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key}))
		add(wrong.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key}))
		add(down.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key}))
		add(gone.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key}))
		add(c.VerifyToken(ctx, client.CheckTokenRequest{Token: tok.Token}))
		add(c.RedeemToken(ctx, client.CheckTokenRequest{Token: tok.Token}))
		add(wrong.RedeemToken(ctx, client.CheckTokenRequest{Purpose: "reset", Token: tok.Token}))
		add(c.VerifyCode(ctx, client.VerifyCodeRequest{Purpose: "login", Code: code.Code}))
		add(limited.VerifyCode(ctx, client.VerifyCodeRequest{Purpose: "login", Subject: "ann", Code: code.Code}))
		add(down.VerifyCode(ctx, client.VerifyCodeRequest{Purpose: "login", Subject: "ann", Code: code.Code}))
		add(limited.CreateAccessKey(ctx, client.CreateAccessKeyRequest{Name: ak.Key}))
		add(c.GetKey(ctx, k.Key))
		add(c.UpdateKey(ctx, k.ID, client.UpdateKeyRequest{Meta: []byte(`{"k":"` + k.Key + `"`)}))
		add(gone.ListKeys(ctx, client.ListKeysOptions{}))
		add(gone.GetKey(ctx, k.Key)) // a key pasted where its id belongs
		add(down.RerollKey(ctx, tok.Token, client.RerollKeyRequest{}))
		add(nil, c.RevokeAccessKey(ctx, ak.Key))
		if len(errs) == 0 {
			t.Fatal("no errors to check")
		}
		for _, err := range errs {
			msg := err.Error()
			for _, s := range secrets {
				if strings.Contains(msg, s) {
					t.Errorf("error %q holds a secret", msg)
				}
			}
		}
	})
}
