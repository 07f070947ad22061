package server

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// apiError is a failure the client can act on, written as
// {"error": {"code": …, "message": …, "field": …}}. Messages name the bad
// field and value but never echo a secret.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// RetryAfter, in seconds, is sent as the Retry-After header when > 0.
	RetryAfter int64 `json:"-"`
}

func (e *apiError) Error() string { return e.Message }

// Error codes.
const (
	codeInvalid          = "invalid_request"
	codeUnauthorized     = "unauthorized"
	codeNotFound         = "not_found"
	codeMethod           = "method_not_allowed"
	codeConflict         = "conflict"
	codeTooLarge         = "request_too_large"
	codeMediaType        = "unsupported_media_type"
	codeTooManyRequests  = "too_many_requests"
	codeInternal         = "internal_error"
	codeUnavailableStore = "unavailable"
)

var (
	errUnauthorized = &apiError{Status: http.StatusUnauthorized, Code: codeUnauthorized,
		Message: "a valid admin key is required: Authorization: Bearer <admin key>"}
	errInternal = &apiError{Status: http.StatusInternalServerError, Code: codeInternal, Message: "internal error"}
	errTooLarge = &apiError{Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge,
		Message: fmt.Sprintf("the request body is larger than %d bytes", MaxBodyBytes)}
	errMediaType = &apiError{Status: http.StatusUnsupportedMediaType, Code: codeMediaType,
		Message: "the request body must be JSON, with Content-Type: application/json"}
)

// invalid returns a 400 about field.
func invalid(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: codeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFound(msg string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: codeNotFound, Message: msg}
}

// writeError writes e as the JSON error response.
func writeError(w http.ResponseWriter, e *apiError) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(e.RetryAfter, 10))
	}
	writeJSON(w, e.Status, struct {
		Error *apiError `json:"error"`
	}{e})
}

// decode reads r's body, at most MaxBodyBytes of JSON holding one object,
// into dst, strictly: a field dst does not have, a value of the wrong type,
// or anything after the object is a 400 naming the field where there is
// one. An empty body without a Content-Type is taken for {}, so that calls
// whose fields are all optional need no body.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.ContentLength == 0 {
		return decodeBytes([]byte("{}"), dst)
	}
	if ct != "application/json" && !isJSON(ct) {
		return errMediaType
	}
	if r.ContentLength > MaxBodyBytes {
		return errTooLarge
	}
	var body []byte
	var err error
	if r.ContentLength > 0 && r.ContentLength <= 64<<10 {
		// net/http stops the body at its Content-Length. (A larger one is
		// read as it comes, so that a client cannot make the server set
		// aside a megabyte it never sends.)
		body = make([]byte, r.ContentLength)
		_, err = io.ReadFull(r.Body, body)
	} else {
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errTooLarge
		}
		return invalid("", "the request body could not be read")
	}
	return decodeBytes(body, dst)
}

// isJSON reports whether a Content-Type is JSON: application/json or a
// +json type, with any parameters.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// decodeBytes is the strict decoding of decode, on a body already read.
func decodeBytes(body []byte, dst any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return invalid("", "the request body is empty: send a JSON object")
	}
	if trimmed[0] != '{' {
		return invalid("", "the request body must be a JSON object")
	}
	// JSON is UTF-8 (RFC 8259); encoding/json would turn each bad byte into
	// U+FFFD, so that subjects "a\xffb" and "a\xfeb" became one.
	if !utf8.Valid(body) {
		return invalid("", "the request body is not valid UTF-8")
	}
	// Invalid JSON goes straight to the decoder, which says where it breaks.
	if t := reflect.TypeOf(dst); t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && json.Valid(body) {
		if at := loneSurrogate(body); at >= 0 {
			return invalid("", "the request body holds an escaped lone surrogate at byte %d: JSON strings must be valid Unicode", at)
		}
		if err := exactKeys(body, t.Elem(), ""); err != nil {
			return err
		}
		if plainStrings(body, reflect.ValueOf(dst).Elem()) {
			return nil
		}
		// Valid JSON, one value, every key exactly a field's name: what the
		// strict decoder below would also check is checked, so a plain
		// Unmarshal only has the types left to find wrong.
		if err := json.Unmarshal(body, dst); err != nil {
			return jsonError(err)
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("", "the request body must hold one JSON object and nothing after it")
	}
	return nil
}

// jsonError turns an encoding/json error into a 400 naming the field. The
// messages of encoding/json quote field names and types, never values,
// except for unknown field names, which the client chose.
func jsonError(err error) *apiError {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var field *fieldError
	switch {
	case errors.As(err, &syntax):
		return invalid("", "the request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("", "the request body is not valid JSON: it ends too soon")
	case errors.As(err, &typ):
		name := typ.Field
		if name == "" {
			return invalid("", "the request body must be a JSON object")
		}
		// Value is "number 1.5" for a number that does not fit: keep only
		// the kind, since the value may be a secret sent in the wrong field.
		kind, _, _ := strings.Cut(typ.Value, " ")
		return invalid(name, "%s must be %s, not a JSON %s", name, describe(typ.Type.String()), kind)
	case errors.As(err, &field):
		return invalid(field.field, "%s %s", field.field, field.reason)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		if len(name) > 64 {
			name = name[:64]
		}
		return invalid(name, "unknown field %q", name)
	}
	return invalid("", "the request body is not valid JSON")
}

// exactKeys checks the JSON object body, which must be valid JSON, and
// refuses what encoding/json would quietly accept: a key given twice in one
// object (the last would win) and a key that is not exactly the name of a
// field of t, such as "Purpose" for "purpose" (encoding/json ignores case).
// Objects in struct-typed fields are checked too, their keys named with the
// path ("ratelimit.limit"); other values, such as meta, are the client's
// own. Values of the wrong type are left to the decoder, which names them.
//
// It walks the bytes rather than a json.Decoder's tokens: the check runs on
// every request, and the token walk cost as much as the decoding itself.
func exactKeys(body []byte, t reflect.Type, path string) *apiError {
	fields := jsonFields(t)
	var seen [16]string // requests have few fields; more spill to a map
	var seenMore map[string]bool
	nseen := 0
	var bad *apiError
	walkObject(body, func(member string, val []byte) bool {
		name := path + member
		if len(name) > 64 {
			name = name[:64]
		}
		ft, ok := fields[member]
		if !ok {
			bad = invalid(name, "unknown field %q", name)
			return false
		}
		dup := seenMore[member]
		for _, k := range seen[:nseen] {
			dup = dup || k == member
		}
		if dup {
			bad = invalid(name, "%s is given more than once", name)
			return false
		}
		if nseen < len(seen) {
			seen[nseen] = member
			nseen++
		} else {
			if seenMore == nil {
				seenMore = map[string]bool{}
			}
			seenMore[member] = true
		}
		if ft != nil && len(val) > 0 && val[0] == '{' {
			bad = exactKeys(val, ft, name+".")
		}
		return bad == nil
	})
	return bad
}

// walkObject calls f with the key and the raw value of each member of the
// JSON object at the start of b, which must be valid JSON, until f returns
// false. It does nothing if b holds another kind of value.
func walkObject(b []byte, f func(key string, val []byte) bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] == '"' {
		end, escaped := skipString(b, i)
		key := string(b[i+1 : end-1])
		if escaped {
			json.Unmarshal(b[i:end], &key) // valid JSON: it cannot fail
		}
		i = skipSpace(b, end)
		i = skipSpace(b, i+1) // the ':'
		start := i
		i = skipValue(b, i)
		if !f(key, b[start:i]) {
			return
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at b[i] (a
// quote), and whether it holds an escape.
func skipString(b []byte, i int) (end int, escaped bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			return i + 1, escaped
		}
	}
	return len(b), escaped
}

// skipValue returns the index after the value that starts at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		end, _ := skipString(b, i)
		return end
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i, _ = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\n' {
		i++
	}
	return i
}

// fieldsCache maps a request type to its *fieldSet.
var fieldsCache sync.Map

// fieldSet is what the strict decoding needs to know of a request type.
type fieldSet struct {
	// nested maps the JSON names of the fields to the struct type a field
	// holds (through a pointer), or to nil for a field of any other type.
	nested map[string]reflect.Type
	// plain maps the JSON names of the plain string fields (of kind
	// string, with no options in the tag and no unmarshalling method of
	// their own) to their indexes, for plainStrings.
	plain map[string]int
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func requestFields(t reflect.Type) *fieldSet {
	if fs, ok := fieldsCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{nested: make(map[string]reflect.Type, t.NumField()), plain: map[string]int{}}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		ft := f.Type
		if ft.Kind() == reflect.String && opts == "" && !f.Anonymous {
			if p := reflect.PointerTo(ft); !p.Implements(jsonUnmarshaler) && !p.Implements(textUnmarshaler) {
				fs.plain[name] = i
			}
		}
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() != reflect.Struct {
			ft = nil
		}
		fs.nested[name] = ft
	}
	fieldsCache.Store(t, fs)
	return fs
}

// jsonFields is requestFields(t).nested.
func jsonFields(t reflect.Type) map[string]reflect.Type { return requestFields(t).nested }

// loneSurrogate returns the offset of the first escaped UTF-16 surrogate
// in body, valid JSON, that is not half of a pair ("\ud800" alone), or -1.
// encoding/json turns each into U+FFFD, so that subjects "\ud800" and
// "\udbff" would become one, as invalid UTF-8 would without the check
// before it.
func loneSurrogate(body []byte) int {
	if bytes.IndexByte(body, '\\') < 0 {
		return -1
	}
	// Outside strings valid JSON has no backslash; inside, each escape is
	// a backslash and one character, or "\u" and four hex digits.
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if body[i+1] != 'u' {
			i++
			continue
		}
		r := hex4(body[i+2 : i+6])
		switch {
		case r >= 0xd800 && r < 0xdc00: // high: a low must follow
			if i+12 > len(body) || body[i+6] != '\\' || body[i+7] != 'u' {
				return i
			}
			if lo := hex4(body[i+8 : i+12]); lo < 0xdc00 || lo >= 0xe000 {
				return i
			}
			i += 11
		case r >= 0xdc00 && r < 0xe000: // low, with no high before it
			return i
		default:
			i += 5
		}
	}
	return -1
}

// hex4 is the value of four hex digits, which valid JSON guarantees.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// plainStrings decodes body, a valid JSON object whose keys exactKeys
// accepted, into the struct v when every member is a string without
// escapes for a plain string field: the common request, such as
// {"key":"sk_live_…"}, then costs none of encoding/json's reflection. It
// reports false, having set nothing, for any other body, which
// json.Unmarshal decodes; FuzzPlainStrings checks that both agree.
func plainStrings(body []byte, v reflect.Value) bool {
	fields := requestFields(v.Type()).plain
	var set [8]struct {
		field int
		val   []byte
	}
	n, ok := 0, true
	walkObject(body, func(key string, val []byte) bool {
		i, isString := fields[key]
		ok = isString && n < len(set) && len(val) >= 2 && val[0] == '"' && bytes.IndexByte(val, '\\') < 0
		if ok {
			set[n].field, set[n].val = i, val[1:len(val)-1]
			n++
		}
		return ok
	})
	if !ok {
		return false
	}
	for _, f := range set[:n] {
		v.Field(f.field).SetString(string(f.val))
	}
	return true
}

// describe names a Go type for a client in JSON terms.
func describe(goType string) string {
	switch goType {
	case "string", "*string":
		return "a string"
	case "bool", "*bool":
		return "true or false"
	case "int", "int64", "*int", "*int64":
		return "a whole number"
	}
	if strings.Contains(goType, "map[") || strings.HasPrefix(goType, "server.") || strings.HasPrefix(goType, "*server.") {
		return "an object"
	}
	return "of another type"
}

// fieldError is returned by the UnmarshalJSON of request types to name the
// field at fault.
type fieldError struct{ field, reason string }

func (e *fieldError) Error() string { return e.field + " " + e.reason }

// query reads the URL query of r, refusing parameters not in allowed and
// parameters given twice.
func query(r *http.Request, allowed ...string) (map[string]string, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, invalid("", "the query string does not parse")
	}
	out := make(map[string]string, len(q))
	for name, vs := range q {
		ok := false
		for _, a := range allowed {
			ok = ok || a == name
		}
		if !ok {
			if len(name) > 64 {
				name = name[:64]
			}
			return nil, invalid(name, "unknown query parameter %q", name)
		}
		if len(vs) > 1 {
			return nil, invalid(name, "%s is given more than once", name)
		}
		out[name] = vs[0]
	}
	return out, nil
}
