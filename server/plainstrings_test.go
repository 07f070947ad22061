package server

import (
	"encoding/json"
	"reflect"
	"testing"
)

// requestTypes are the request bodies the handlers decode.
var requestTypes = []func() any{
	func() any { return new(createKeyRequest) }, func() any { return new(verifyKeyRequest) },
	func() any { return new(updateKeyRequest) }, func() any { return new(rerollKeyRequest) },
	func() any { return new(issueTokenRequest) }, func() any { return new(checkTokenRequest) },
	func() any { return new(issueCodeRequest) }, func() any { return new(verifyCodeRequest) },
}

// FuzzPlainStrings checks decodeBytes, and with it the plainStrings
// shortcut, against json.Unmarshal: whatever body decodeBytes accepts,
// encoding/json must decode to the same value.
func FuzzPlainStrings(f *testing.F) {
	for _, body := range []string{
		`{}`, `{"key":"sk_live_abc"}`, `{"key":"sk_live_abc","namespace":"prod"}`, `{"key":"a\"b"}`, `{"key":"\u00e9"}`,
		`{"key":"é","namespace":""}`, `{"key":null}`, `{"key":"x","cost":2}`, `{"purpose":"reset","token":"t"}`,
		`{"purpose":"p","subject":"s","code":"123456"}`, `{"prefix":"sk_","meta":{"a":"b"}}`, ` {"key" : "x" } `,
		`{"prefix":"sk_","expires_at":"2030-01-01T00:00:00Z"}`, `{"key":1}`, `{"key":"a","key":"b"}`, `{"Key":"a"}`,
		`{"purpose":"p","token":"t","subject":"s"}`, `{"enabled":true}`, `{"overlap":60}`,
	} {
		for i := range requestTypes {
			f.Add(body, i)
		}
	}
	f.Fuzz(func(t *testing.T, body string, typ int) {
		if typ < 0 || typ >= len(requestTypes) {
			return
		}
		got := requestTypes[typ]()
		if err := decodeBytes([]byte(body), got); err != nil {
			return
		}
		want := requestTypes[typ]()
		if err := json.Unmarshal([]byte(body), want); err != nil {
			t.Fatalf("decodeBytes accepted %q for %T, which json.Unmarshal refuses: %v", body, got, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q into %T: decodeBytes gives %+v, json.Unmarshal gives %+v", body, got, got, want)
		}
	})
}

// TestPlainStringsTakesOnlyPlainStrings checks which bodies take the
// shortcut: bodies that need encoding/json must fall through to it.
func TestPlainStringsTakesOnlyPlainStrings(t *testing.T) {
	for _, c := range []struct {
		body string
		want bool
	}{
		{`{}`, true},
		{`{"key":"sk_live_abc"}`, true},
		{` { "key" : "sk" , "namespace" : "prod" } `, true},
		{`{"key":"a\"b"}`, false},       // an escape
		{`{"key":null}`, false},         // not a string
		{`{"key":"x","cost":1}`, false}, // a number field
	} {
		var req verifyKeyRequest
		if got := plainStrings([]byte(c.body), reflect.ValueOf(&req).Elem()); got != c.want {
			t.Errorf("plainStrings(%s) = %v, want %v", c.body, got, c.want)
		}
		if !c.want && req != (verifyKeyRequest{}) {
			t.Errorf("plainStrings(%s) refused the body but set %+v", c.body, req)
		}
	}
	var req createKeyRequest // meta is raw JSON, expires_at a *string: not plain strings
	for _, body := range []string{`{"prefix":"sk_","meta":"x"}`, `{"prefix":"sk_","expires_at":"2030-01-01T00:00:00Z"}`} {
		if plainStrings([]byte(body), reflect.ValueOf(&req).Elem()) {
			t.Errorf("plainStrings(%s) took a field that is not a plain string", body)
		}
	}
}
