package client_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/unguessable/secrets/client"
	"github.com/unguessable/secrets/server"
	"github.com/unguessable/secrets/store/sqlite"
)

// startExampleService runs a service on a fresh SQLite file, as
// "secrets serve" would, and returns its URL and a function to stop it.
func startExampleService(adminKey string) (string, func()) {
	dir, err := os.MkdirTemp("", "secrets-client-example")
	if err != nil {
		log.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "secrets.db"))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := server.New(server.Options{Store: st, AdminKeyDigest: sha256.Sum256([]byte(adminKey)),
		Pepper: []byte(strings.Repeat("example pepper ", 3))})
	if err != nil {
		log.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	return hs.URL, func() { hs.Close(); st.Close(); os.RemoveAll(dir) }
}

func Example() {
	adminKey := "sk_example_admin_key_0123456789" // in real use: os.Getenv("SECRETS_ACCESS_KEY")
	url, stop := startExampleService(adminKey)
	defer stop()

	ctx := context.Background()
	c, err := client.New(url, adminKey, nil)
	if err != nil {
		log.Fatal(err)
	}

	// Create a key with 2 uses: its plaintext is in the answer, once.
	k, err := c.CreateKey(ctx, client.CreateKeyRequest{Prefix: "sk_live_", Namespace: "shop", Name: "checkout", Remaining: new(int64(2))})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("key starts with its prefix:", strings.HasPrefix(k.Key, "sk_live_"))

	// Verify it, as the service that receives it would.
	v, err := c.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key, Namespace: "shop"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("valid:", v.Valid, v.Status, "uses left:", *v.Remaining)

	// A refusal is an *client.Error with the API's code and field.
	_, err = c.CreateKey(ctx, client.CreateKeyRequest{Namespace: "shop"})
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Status, apiErr.Code, apiErr.Field)
	}
	// Output:
	// key starts with its prefix: true
	// valid: true VALID uses left: 1
	// 400 invalid_request prefix
}
