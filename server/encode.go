package server

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// encodeOptions are how every response is written. Map keys are sorted,
// and U+2028 and U+2029 escaped, as encoding/json did. Metadata stored
// before decoding was strict may hold a name twice, and a string may in
// principle hold bytes that are not UTF-8: a response that carries them is
// still written (such bytes as U+FFFD) rather than failing a verification.
var encodeOptions = json.JoinOptions(
	json.Deterministic(true),
	jsontext.EscapeForJS(true),
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
)

// jsonAppender is a response type that writes its own JSON. The verify
// response does, since applications call verify on their hot path, where
// the library's reflection would cost more than the rest of the JSON
// work. Each appendJSON gives byte for byte what the library, with
// encodeOptions, gives for the same value, which
// TestAppendJSONMatchesEncodingJSON checks; strings that need escapes and
// raw metadata are left to the library.
type jsonAppender interface {
	appendJSON(b []byte) ([]byte, error)
}

// Header values shared by every JSON response. net/http only reads them;
// Header.Add would copy a value slice before appending to it (each has no
// spare capacity), so no response can change another's.
var (
	headerJSON    = []string{"application/json"}
	headerNoStore = []string{"no-store"}
	headerNosniff = []string{"nosniff"}
)

// buffers holds response buffers between responses.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the largest buffer put back in buffers: a long key
// listing should not pin its buffer for good.
const maxPooledBuffer = 64 << 10

// writeJSON writes v as the JSON response with status, ended by a
// newline. Responses may hold secrets (a new key, token or code), so none
// may be cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := buffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			buffers.Put(buf)
		}
	}()
	var err error
	if a, ok := v.(jsonAppender); ok {
		var b []byte
		if b, err = a.appendJSON(buf.AvailableBuffer()); err == nil {
			buf.Write(b)
		}
	} else {
		err = json.MarshalWrite(buf, v, encodeOptions)
	}
	if err != nil {
		// Only a bug in a response type, or stored metadata that is no
		// longer JSON, gets here.
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal_error","message":"internal error"}}`)
		status = http.StatusInternalServerError
	}
	buf.WriteByte('\n')
	h := w.Header()
	h["Content-Type"] = headerJSON
	h["Cache-Control"] = headerNoStore
	h["X-Content-Type-Options"] = headerNosniff
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// appendString appends s as a JSON string, as the library writes it with
// encodeOptions.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return appendEscaped(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendEscaped is appendString for strings that need escapes, or may:
// rare in responses (names and metadata come from clients), so left to
// the library.
func appendEscaped(b []byte, s string) []byte {
	q, _ := json.Marshal(s, encodeOptions) // a string always encodes
	return append(b, q...)
}

// appendRaw appends raw JSON as the library writes a jsontext.Value:
// compacted, its strings escaped as any other.
func appendRaw(b []byte, raw jsontext.Value) ([]byte, error) {
	return jsontext.AppendFormat(b, raw, encodeOptions)
}

// appendTime appends t as a timestamp's JSON.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, timestampLayout)
	return append(b, '"')
}

// timestamp is a time in JSON: RFC 3339 in UTC to the millisecond, or null
// for the zero time (never, not yet).
type timestamp time.Time

const timestampLayout = "2006-01-02T15:04:05.000Z07:00"

func (t timestamp) MarshalJSON() ([]byte, error) { return appendTime(nil, time.Time(t)), nil }

func (r verifyKeyResponse) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"valid":`...)
	b = strconv.AppendBool(b, r.Valid)
	b = append(b, `,"status":`...)
	b = appendString(b, r.Status.String())
	for _, f := range [...]struct{ name, v string }{{"id", r.ID}, {"namespace", r.Namespace}, {"owner", r.Owner}, {"name", r.Name}} {
		if f.v != "" {
			b = append(append(append(b, `,"`...), f.name...), `":`...)
			b = appendString(b, f.v)
		}
	}
	if r.Meta != nil {
		b = append(b, `,"meta":`...)
		var err error
		if b, err = appendRaw(b, r.Meta); err != nil {
			return b, err
		}
	}
	if r.ExpiresAt != nil {
		b = append(b, `,"expires_at":`...)
		b = appendTime(b, time.Time(*r.ExpiresAt))
	}
	if r.Remaining != nil {
		b = append(b, `,"remaining":`...)
		b = strconv.AppendInt(b, *r.Remaining, 10)
	}
	if rl := r.RateLimit; rl != nil {
		b = append(b, `,"ratelimit":{"limit":`...)
		b = strconv.AppendInt(b, rl.Limit, 10)
		b = append(b, `,"remaining":`...)
		b = strconv.AppendInt(b, rl.Remaining, 10)
		b = append(b, `,"reset":`...)
		b = appendTime(b, time.Time(rl.Reset))
		b = append(b, '}')
	}
	if r.Permissions != nil {
		b = append(b, `,"permissions":[`...)
		for i, p := range r.Permissions {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, p)
		}
		b = append(b, ']')
	}
	b = r.appendLimitsJSON(b)
	return append(b, '}'), nil
}
