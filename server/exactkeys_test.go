package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// tokenExactKeys is the first exactKeys, on a json.Decoder's tokens: slow
// but plainly right, kept as the reference the byte walk must agree with.
func tokenExactKeys(dec *json.Decoder, t reflect.Type, path string) *apiError {
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	fields := jsonFields(t)
	seen := make(map[string]bool, len(fields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		name := path + key
		if len(name) > 64 {
			name = name[:64]
		}
		ft, ok := fields[key]
		if !ok {
			return invalid(name, "unknown field %q", name)
		}
		if seen[key] {
			return invalid(name, "%s is given more than once", name)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil
		}
		if ft != nil && len(raw) > 0 && raw[0] == '{' {
			if err := tokenExactKeys(json.NewDecoder(bytes.NewReader(raw)), ft, name+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

var exactKeysTypes = []reflect.Type{
	reflect.TypeFor[verifyKeyRequest](),
	reflect.TypeFor[createKeyRequest](), // with the nested ratelimit object
	reflect.TypeFor[updateKeyRequest](),
	reflect.TypeFor[issueTokenRequest](),
}

func checkExactKeys(t *testing.T, body []byte) {
	if !utf8.Valid(body) || !json.Valid(body) {
		return // decodeBytes refuses these before exactKeys runs
	}
	for _, typ := range exactKeysTypes {
		got := exactKeys(body, typ, "")
		want := tokenExactKeys(json.NewDecoder(bytes.NewReader(body)), typ, "")
		if (got == nil) != (want == nil) || (got != nil && (got.Field != want.Field || got.Message != want.Message)) {
			t.Fatalf("%s, body %q:\n got %+v\nwant %+v", typ, body, got, want)
		}
	}
}

func TestExactKeysAgreesWithTheTokenWalk(t *testing.T) {
	for _, body := range []string{
		`{}`, ` { } `, `{"key":"k"}`, `{"key":"k","key":"k"}`, `{"Key":"k"}`, `{"k\u0065y":"k"}`,
		`{"key":"k","namespace":"n","cost":2}`, `{"cost":2,"bogus":[1,{"a":"}"}]}`,
		`{"prefix":"sk_","ratelimit":{"limit":1,"window":2}}`, `{"ratelimit":{"limit":1,"Limit":2}}`,
		`{"ratelimit":{"limit":1,"limit":2}}`, `{"ratelimit":{"bogus":1}}`, `{"meta":{"anything":{"goes":[1,2]},"x":"\"}"}}`,
		`{"meta":{"a":1},"meta":{}}`, `{"ratelimit":null}`, `{"ratelimit":[1]}`, `[1,2]`, `"str"`, `{"key":"\\"}`,
		"{\n\t\"key\" :\r\n \"k\" ,\n \"cost\" : 1e3 }", `{"purpose":"p","subject":"s","keep_existing":true,"bytes":32}`,
		`{"a":1,"a":1}`, `{"` + string(bytes.Repeat([]byte("x"), 100)) + `":1}`,
	} {
		checkExactKeys(t, []byte(body))
	}
}

func FuzzExactKeys(f *testing.F) {
	for _, s := range []string{`{"key":"k"}`, `{"ratelimit":{"limit":1,"window":2}}`, `{"meta":{"a":[1,"]"]},"meta":1}`, `{"K\u0045Y":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkExactKeys(t, body) })
}
