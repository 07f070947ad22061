package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/unguessable/secrets/keys"
)

// headerOnlyWriter is a ResponseWriter that keeps nothing: the cost of
// writing an answer without the cost of a recorder.
type headerOnlyWriter struct{ h http.Header }

func (w *headerOnlyWriter) Header() http.Header         { return w.h }
func (w *headerOnlyWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerOnlyWriter) WriteHeader(int)             {}

// BenchmarkVerifyJSON is the JSON work of one plain-key verification
// without HTTP or the store: decoding the request, writing the answer.
func BenchmarkVerifyJSON(b *testing.B) {
	body := []byte(`{"key":"sk_live_3xT9qLmZ0vY7cR2wPk8nHd5sJf1gBa6eUo4iQz9rWt2yXc7vNb"}`)
	exp := timestamp(time.Date(2030, 1, 2, 15, 4, 5, 0, time.UTC))
	remaining := int64(41)
	resp := verifyKeyResponse{Valid: true, Status: keys.Valid, ID: "key_01JD8Z3X4Q5R6S7T8V9W0XYZAB", Namespace: "default",
		Owner: "owner-alice", Name: "ci", Meta: []byte(`{"plan":"pro"}`), ExpiresAt: &exp, Remaining: &remaining,
		RateLimit: &rateLimitState{Limit: 100, Remaining: 99, Reset: exp}}
	w := &headerOnlyWriter{h: http.Header{}}
	b.Run("decode request", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var req verifyKeyRequest
			if err := decodeBytes(body, &req); err != nil || req.Key == nil || *req.Key == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("write response", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeJSON(w, http.StatusOK, resp)
		}
	})
	b.Run("write short response", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeJSON(w, http.StatusOK, verifyKeyResponse{Status: keys.NotFound})
		}
	})
}

// BenchmarkDecodeCreateKey is the strict decoding of a request that takes
// every kind of field: numbers, raw metadata, a nested object.
func BenchmarkDecodeCreateKey(b *testing.B) {
	body := []byte(`{"prefix":"sk_live_","owner":"alice","name":"ci","meta":{"plan":"pro","seats":5},"expires_in":3600,"remaining":100,"ratelimit":{"limit":10,"window":60}}`)
	b.ReportAllocs()
	for b.Loop() {
		var req createKeyRequest
		if err := decodeBytes(body, &req); err != nil {
			b.Fatal(err)
		}
	}
}
