package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// jsonFields maps the JSON names of the fields of the struct type t to the
// struct type a field holds (through a pointer), or to nil for a field of
// any other type.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() != reflect.Struct {
			ft = nil
		}
		fields[name] = ft
	}
	return fields
}

// tokenExactKeys finds, on a json.Decoder's tokens, the first member name
// that is not exactly a field's or is given twice, in the objects of
// struct-typed fields too: slow but plainly right, the reference that the
// library's options (decodeOptions) must agree with.
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
			name = strings.ToValidUTF8(name[:64], "")
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

// checkExactKeys checks decodeBytes against tokenExactKeys on body: a
// name the reference refuses is refused, with a 400; a body decodeBytes
// accepts has no name the reference refuses; and where both fault a name
// (the library may first find a value of the wrong type, or a name twice
// inside metadata, which the reference does not look at), it is the same
// field for the same reason.
func checkExactKeys(t *testing.T, body []byte) {
	if !utf8.Valid(body) || !json.Valid(body) {
		return // decodeBytes refuses these before any name is looked at
	}
	for _, typ := range exactKeysTypes {
		want := tokenExactKeys(json.NewDecoder(bytes.NewReader(body)), typ, "")
		err := decodeBytes(body, reflect.New(typ).Interface())
		var got *apiError
		if err != nil && (!errors.As(err, &got) || got.Status != http.StatusBadRequest) {
			t.Fatalf("%s, body %q: %v is not a 400", typ, body, err)
		}
		if want != nil && got == nil {
			t.Fatalf("%s, body %q: decodeBytes accepts it, the reference says %+v", typ, body, want)
		}
		if want != nil && got.Field == want.Field && isNameError(got) && got.Message != want.Message {
			t.Fatalf("%s, body %q:\n got %+v\nwant %+v", typ, body, got, want)
		}
		if want != nil && isNameError(got) && !insideRawValue(typ, got.Field) && got.Field != want.Field {
			t.Fatalf("%s, body %q: decodeBytes faults %q, the reference %q", typ, body, got.Field, want.Field)
		}
	}
}

// insideRawValue reports whether the field at path is inside the value of
// a member that typ keeps as it is, such as meta.
func insideRawValue(typ reflect.Type, path string) bool {
	first, _, nested := strings.Cut(path, ".")
	ft, ok := jsonFields(typ)[first]
	return nested && ok && ft == nil
}

// isNameError reports whether e is about a member's name, not its value.
func isNameError(e *apiError) bool {
	return e != nil && (strings.HasPrefix(e.Message, "unknown field") || strings.HasSuffix(e.Message, "is given more than once"))
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
		`{"ratelimit":{"limit":1,"lim\u0069t":2}}`, `{"key":"k","k\u0065y":"k"}`, `{"KEY":"k","key":"k"}`,
		`{"` + strings.Repeat("é", 40) + `":1}`, `{"a` + strings.Repeat("é", 40) + `":1}`,
		`{"remaining":{"a":1,"a":2},"bogus":1}`, `{"meta":{"a":1,"a":2},"Meta":1}`, `{"key":{"a":1,"a":2}}`,
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
