package server

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// requestTypes are the request bodies the handlers decode.
var requestTypes = []func() any{
	func() any { return new(createKeyRequest) }, func() any { return new(verifyKeyRequest) },
	func() any { return new(updateKeyRequest) }, func() any { return new(rerollKeyRequest) },
	func() any { return new(issueTokenRequest) }, func() any { return new(checkTokenRequest) },
	func() any { return new(issueCodeRequest) }, func() any { return new(verifyCodeRequest) },
}

// FuzzDecodeAgreesWithEncodingJSON checks decodeBytes against
// encoding/json's Unmarshal: whatever body decodeBytes accepts,
// encoding/json must decode to the same value.
func FuzzDecodeAgreesWithEncodingJSON(f *testing.F) {
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

// TestDecodeErrorsNeverEchoValues sends values in the wrong place, of the
// wrong type or badly written, and checks that no 400 repeats them: a
// value may be a key, token or code sent in the wrong field.
func TestDecodeErrorsNeverEchoValues(t *testing.T) {
	const secret = "0123456789"
	for _, body := range []string{
		`{"cost": "sk_` + secret + `"}`,
		`{"cost": 9` + secret + secret + `}`,
		`{"cost": 9` + secret + `.5}`,
		`{"cost": 9` + secret + `e400}`,
		`{"key": 9` + secret + `}`,
		`{"key": ["sk_` + secret + `"]}`,
		`{"key": {"k": "sk_` + secret + `"}}`,
		`{"key": "sk_` + secret + `\ud800"}`,
		"{\"key\": \"sk_" + secret + "\xff\"}",
		"{\"key\": \"sk_" + secret + "\x01\"}",
		`{"key": "sk_` + secret + `\q"}`,
		`{"key": "sk_` + secret + `" "cost": 1}`,
		`{"key": "sk_` + secret + `", "key": "x"}`,
		`{"key": "sk_` + secret + `"} "sk_` + secret + `"`,
		`{"key": "sk_` + secret,
		`{"key": tsk_` + secret + `}`,
	} {
		for _, dst := range requestTypes {
			err := decodeBytes([]byte(body), dst())
			var ae *apiError
			if !errors.As(err, &ae) {
				continue // accepted, as a string field of another request
			}
			if strings.Contains(ae.Message, secret) || strings.Contains(ae.Field, secret) {
				t.Errorf("%T, body %q: the error repeats the value: %+v", dst(), body, ae)
			}
		}
	}
}
