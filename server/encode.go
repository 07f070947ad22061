package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// jsonAppender is a response type that writes its own JSON. The verify
// responses are, since applications call verify on their hot path: there
// encoding/json's reflection and validation of its own output cost more
// than the rest of the handler. Each appendJSON gives byte for byte what
// encoding/json (without HTML escaping) gives for the same value, which
// TestAppendJSONMatchesEncodingJSON checks.
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

// encoder is a response buffer with its encoder, kept in encoders between
// responses.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := new(encoder)
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false) // nothing here is HTML; keep "<" and "&" as they are
	return e
}}

// maxPooledBuffer is the largest buffer put back in encoders: a long key
// listing should not pin its buffer for good.
const maxPooledBuffer = 64 << 10

// writeJSON writes v as the JSON response with status. Responses may hold
// secrets (a new key, token or code), so none may be cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	e := encoders.Get().(*encoder)
	defer func() {
		if e.buf.Cap() <= maxPooledBuffer {
			e.buf.Reset()
			encoders.Put(e)
		}
	}()
	var err error
	if a, ok := v.(jsonAppender); ok {
		var b []byte
		if b, err = a.appendJSON(e.buf.AvailableBuffer()); err == nil {
			e.buf.Write(append(b, '\n'))
		}
	} else {
		err = e.enc.Encode(v)
	}
	if err != nil {
		// Only a bug in a response type, or stored metadata that is no
		// longer JSON, gets here.
		e.buf.Reset()
		e.buf.WriteString(`{"error":{"code":"internal_error","message":"internal error"}}` + "\n")
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h["Content-Type"] = headerJSON
	h["Cache-Control"] = headerNoStore
	h["X-Content-Type-Options"] = headerNosniff
	w.WriteHeader(status)
	w.Write(e.buf.Bytes())
}

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it without HTML escaping.
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

// appendEscaped is appendString for strings that need escapes: rare in
// responses (names and metadata come from clients), so left to
// encoding/json.
func appendEscaped(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// appendRaw appends raw JSON compacted, as encoding/json writes a
// json.RawMessage.
func appendRaw(b []byte, raw json.RawMessage) ([]byte, error) {
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, raw); err != nil {
		return b, err
	}
	return buf.Bytes(), nil
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
	if len(r.Meta) > 0 {
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
	return append(b, '}'), nil
}
