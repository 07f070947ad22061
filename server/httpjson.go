package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/unguessable/secrets/apikey"
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
	codeForbidden        = "forbidden"
	codeNotFound         = "not_found"
	codeMethod           = "method_not_allowed"
	codeConflict         = "conflict"
	codeTooLarge         = "request_too_large"
	codeMediaType        = "unsupported_media_type"
	codeTooManyRequests  = "too_many_requests"
	codeInternal         = "internal_error"
	codeUnavailableStore = "unavailable"
	codeStorageFull      = "storage_full"
)

var (
	errUnauthorized = &apiError{Status: http.StatusUnauthorized, Code: codeUnauthorized,
		Message: "a valid access key is required: Authorization: Bearer <access key>"}
	errInternal = &apiError{Status: http.StatusInternalServerError, Code: codeInternal, Message: "internal error"}
	errTooLarge = &apiError{Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge,
		Message: fmt.Sprintf("the request body is larger than %d bytes", MaxBodyBytes)}
	errMediaType = &apiError{Status: http.StatusUnsupportedMediaType, Code: codeMediaType,
		Message: "the request body must be JSON in UTF-8, with Content-Type: application/json"}
	errContentEncoding = &apiError{Status: http.StatusUnsupportedMediaType, Code: codeMediaType,
		Message: "the request body must be sent as it is, without a Content-Encoding such as gzip"}
	// errUnavailable answers a call that the database failed: it may
	// succeed if retried once the database answers again.
	errUnavailable = &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailableStore, RetryAfter: RetryAfterUnavailable,
		Message: "the database is not answering; retry after the time in Retry-After"}
	// errStorageFull answers a write that failed because the database's
	// disk is full (507): it fails until space is freed, while reads work.
	errStorageFull = &apiError{Status: http.StatusInsufficientStorage, Code: codeStorageFull, RetryAfter: RetryAfterStorageFull,
		Message: "the database's disk is full: writes are refused until space is freed (reads still work); retry after the time in Retry-After"}
	// errClientGone is the status of a request whose client disconnected
	// before its answer: for the log and the metrics only, as nobody
	// reads it (499, nginx's "client closed request").
	errClientGone = &apiError{Status: statusClientClosed, Code: "client_closed_request", Message: "the client closed the connection"}
)

// statusClientClosed is the status logged and counted for a request whose
// client left before the answer.
const statusClientClosed = 499

// invalid returns a 400 about field.
func invalid(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: codeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFound(msg string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: codeNotFound, Message: msg}
}

// writeError writes e as the JSON error response. A message or field that
// repeats what the caller sent (an unknown field's name, a rate limit's
// name) shows any key in it redacted, as a key pasted into the wrong field
// would otherwise come back in an error that clients log.
func writeError(w http.ResponseWriter, e *apiError) {
	e.Message, e.Field = apikey.RedactIn(e.Message), apikey.RedactIn(e.Field)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(e.RetryAfter, 10))
	}
	writeJSON(w, e.Status, struct {
		Error *apiError `json:"error"`
	}{e})
}

// decode reads r's body, at most MaxBodyBytes of JSON holding one object,
// into dst, strictly (see decodeOptions): a field dst does not have, one
// named in another case or given twice, a value of the wrong type, text
// that is not UTF-8, or anything after the object is a 400, naming the
// field where there is one. An empty body without a Content-Type is taken
// for {}, so that calls whose fields are all optional need no body.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.ContentLength == 0 {
		return decodeBytes([]byte("{}"), dst)
	}
	if ct != "application/json" && !isJSON(ct) {
		return errMediaType
	}
	// The body is read as it is sent: one compressed (or otherwise
	// encoded) would be read as JSON it is not (RFC 9110: 415).
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		w.Header().Set("Accept-Encoding", "identity")
		return errContentEncoding
	}
	if r.ContentLength > MaxBodyBytes {
		return tooLarge(r)
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
			return tooLarge(r)
		}
		return invalid("", "the request body could not be read")
	}
	return decodeBytes(body, dst)
}

// tooLarge reads and discards what is left of r's body, at most
// MaxDrainBytes, and returns the 413. A client that writes its whole body
// before it reads (Python's urllib, and most simple clients) would
// otherwise see the connection reset while it writes, and never the
// answer. A client that asked to be told first (Expect: 100-continue) and
// has sent nothing is not made to send the body.
func tooLarge(r *http.Request) error {
	if !strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		io.CopyN(io.Discard, r.Body, MaxDrainBytes)
	}
	return errTooLarge
}

// isJSON reports whether a Content-Type is JSON: application/json or a
// +json type, with any parameters.
func isJSON(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	// JSON is UTF-8 (RFC 8259): a body said to be in another charset would
	// be read as what it is not.
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// decodeOptions make json.Unmarshal strict. A member the request type
// does not have, a name in another case than the field's ("Purpose" for
// purpose), a name given twice in one object (anywhere, metadata
// included), bytes that are not UTF-8 and escaped lone surrogates ("\ud800")
// are all refused: each would otherwise let two distinct requests mean one
// thing, or an unnoticed typo mean nothing. The library does this for
// nested objects too and names the path of the member at fault.
var decodeOptions = json.JoinOptions(
	json.RejectUnknownMembers(true),
	json.MatchCaseInsensitiveNames(false),
	jsontext.AllowDuplicateNames(false),
	jsontext.AllowInvalidUTF8(false),
)

// decodeBytes is the strict decoding of decode, on a body already read.
func decodeBytes(body []byte, dst any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return invalid("", "the request body is empty: send a JSON object")
	}
	// json.Unmarshal takes null for a struct as "nothing to set".
	if trimmed[0] != '{' {
		return invalid("", "the request body must be a JSON object")
	}
	if err := json.Unmarshal(body, dst, decodeOptions); err != nil {
		return jsonError(err)
	}
	return nil
}

// nestedJSONError is jsonError for a field decoded on its own after the
// body (a PATCH's refill or ratelimits): an error inside it names its path
// from the body ("ratelimits[1].limit"), and one of the whole field is
// whole, which says what the field takes.
func nestedJSONError(field string, err error, whole *apiError) *apiError {
	prefix := jsontext.Pointer("/" + field)
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	switch {
	case errors.As(err, &syn) && syn.JSONPointer != "":
		e := *syn
		e.JSONPointer = prefix + e.JSONPointer
		return jsonError(&e)
	case errors.As(err, &sem) && sem.JSONPointer != "":
		e := *sem
		e.JSONPointer = prefix + e.JSONPointer
		return jsonError(&e)
	}
	return whole
}

// jsonError turns an error of json.Unmarshal into a 400 naming the field,
// from the error's JSON pointer. The message is made here, never taken
// from the error, whose text may quote the value (a secret sent in the
// wrong field, say); only member names, which the client chose from the
// API's own, are repeated.
func jsonError(err error) *apiError {
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	switch {
	case errors.As(err, &syn):
		if syn.Err == jsontext.ErrDuplicateName {
			name := fieldName(syn.JSONPointer)
			return invalid(name, "%s is given more than once", name)
		}
		if errors.Is(syn.Err, io.ErrUnexpectedEOF) {
			return invalid("", "the request body is not valid JSON: it ends too soon")
		}
		where := ""
		if name := fieldName(syn.JSONPointer); name != "" {
			where = " in " + name
		}
		return invalid("", "the request body is not valid JSON at byte %d%s: check its syntax, "+
			"that it is UTF-8, and that an escaped surrogate is half of a pair", syn.ByteOffset, where)
	case errors.As(err, &sem):
		name := fieldName(sem.JSONPointer)
		switch {
		case sem.Err == json.ErrUnknownName:
			return invalid(name, "unknown field %q", name)
		case name == "":
			return invalid("", "the request body must be a JSON object")
		case sem.GoType == nil:
			return invalid(name, "%s has a value of the wrong type", name)
		}
		kind, what := takes(sem.GoType)
		got := sem.JSONKind
		if got == 'f' {
			got = 't'
		}
		switch {
		case got != kind:
			return invalid(name, "%s must be %s, not a JSON %s", name, what, kindName(sem.JSONKind))
		case errors.Is(sem.Err, strconv.ErrRange):
			return invalid(name, "%s is out of range for %s", name, what)
		case kind == '0':
			return invalid(name, "%s must be %s, written without a fraction or an exponent", name, what)
		}
		return invalid(name, "%s is not a valid value", name)
	}
	return invalid("", "the request body is not valid JSON")
}

// maxFieldName is the most of a field's path that an error repeats.
const maxFieldName = 64

// fieldName is the path ("ratelimit.limit", "ratelimits[0].name") of a
// JSON pointer ("/ratelimit/limit", "/ratelimits/0/name"), as the checks
// after decoding name fields, cut to at most maxFieldName bytes of whole
// characters. No field of a request is named by digits alone, so such a
// token is an array's index, but in meta, whose names are the caller's.
func fieldName(p jsontext.Pointer) string {
	var b strings.Builder
	meta := false
	for tok := range p.Tokens() {
		if b.Len() == 0 {
			meta = tok == "meta"
		}
		switch {
		case b.Len() > 0 && !meta && tok != "" && strings.Trim(tok, "0123456789") == "":
			b.WriteString("[" + tok + "]")
			continue
		case b.Len() > 0:
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	name := b.String()
	if len(name) > maxFieldName {
		// The name goes into the JSON of the error: no half a character.
		name = strings.ToValidUTF8(name[:maxFieldName], "")
	}
	return name
}

// takes returns the kind of JSON value that a field of type t takes ('t'
// for both booleans), and how to tell a client so.
func takes(t reflect.Type) (jsontext.Kind, string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return '"', "a string"
	case reflect.Bool:
		return 't', "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return '0', "a whole number"
	case reflect.Float32, reflect.Float64:
		return '0', "a number"
	case reflect.Struct, reflect.Map:
		return '{', "an object"
	case reflect.Slice, reflect.Array:
		return '[', "an array"
	}
	return 0, "of another type"
}

// kindName names a kind of JSON value.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}

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
