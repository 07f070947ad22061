package server

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/unguessable/secrets/keys"
)

// referenceJSON is what the library writes for v with encodeOptions, as
// writeJSON writes every response without an appendJSON of its own.
func referenceJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jsonv2.MarshalWrite(&buf, v, encodeOptions); err != nil {
		t.Fatalf("json: %v", err)
	}
	return append(buf.Bytes(), '\n')
}

// encodingJSON is what encoding/json (without HTML escaping) writes for
// v, as writeJSON wrote every response before the library.
func encodingJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return buf.Bytes()
}

// validStrings reports whether every string of the verify response is
// UTF-8: encoding/json writes a bad byte as \ufffd, the library as U+FFFD
// itself, and that is the one way in which the two may differ.
func validStrings(r verifyKeyResponse) bool {
	for _, p := range r.Permissions {
		if !utf8.ValidString(p) {
			return false
		}
	}
	return utf8.ValidString(r.ID) && utf8.ValidString(r.Namespace) && utf8.ValidString(r.Owner) && utf8.ValidString(r.Name)
}

// Strings that take every path of appendString: plain, escaped by
// encoding/json (quotes, control characters, invalid UTF-8, U+2028), and
// HTML characters that must stay as they are.
var awkwardStrings = []string{
	"", "key_01J9Z", "default", "a b", `say "hi"`, `back\slash`, "tab\there", "nl\n", "\x00\x01\x1f", "\x7f",
	"<script>&amp;</script>", "é", "日本", "\u2028\u2029", "\xff\xfe", "a\xc3", "😀", "\U0010FFFF",
}

var awkwardMeta = []jsontext.Value{
	nil, jsontext.Value(`{}`), jsontext.Value(`{"plan":"pro"}`), jsontext.Value(` { "a" : [1, 2.5e3, true, null] ,"b":{"c":"<&>"} } `),
	jsontext.Value("{\"u\":\"\\u00e9\\n\"}"), jsontext.Value(`{"x":"é"}`),
	jsontext.Value(`{"s":"\u2028\/\u0041","a":1,"a":2}`), // escapes the library writes otherwise; a name twice, stored before decoding was strict
}

// TestAppendJSONMatchesEncodingJSON checks the hand-written JSON of the
// verify response against the library, byte for byte, and against
// encoding/json, which wrote it before: the same JSON value always, and
// the same bytes where no metadata (re-escaped by the library) and no
// invalid UTF-8 is involved. Field by field and on 20,000 random values
// (from a fixed seed, so a failure repeats).
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2)) // test data, not secrets
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	times := []time.Time{
		time.Date(2030, 1, 2, 15, 4, 5, 0, time.UTC),
		time.Date(2026, 11, 29, 9, 0, 0, 123456789, time.FixedZone("x", -7*3600)),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.UnixMilli(0),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		{},
	}
	ints := []int64{0, 1, -1, 42, math.MaxInt64, math.MinInt64}
	for i := range 20000 {
		r := verifyKeyResponse{Valid: rng.IntN(2) == 0, Status: keys.Status(rng.IntN(10) - 1),
			ID: pick(awkwardStrings), Namespace: pick(awkwardStrings), Owner: pick(awkwardStrings), Name: pick(awkwardStrings),
			Meta: awkwardMeta[rng.IntN(len(awkwardMeta))]}
		if rng.IntN(2) == 0 {
			ts := timestamp(times[rng.IntN(len(times))])
			r.ExpiresAt = &ts
		}
		if rng.IntN(2) == 0 {
			n := ints[rng.IntN(len(ints))]
			r.Remaining = &n
		}
		if rng.IntN(2) == 0 {
			r.RateLimit = &rateLimitState{Limit: ints[rng.IntN(len(ints))], Remaining: ints[rng.IntN(len(ints))],
				Reset: timestamp(times[rng.IntN(len(times))])}
		}
		for range rng.IntN(3) {
			r.RateLimits = append(r.RateLimits, namedLimitState{Name: pick([]string{"requests", "a.b:c-d_e", "x"}), Scope: pick([]string{"key", "owner"}),
				Limit: ints[rng.IntN(len(ints))], Remaining: ints[rng.IntN(len(ints))], Reset: timestamp(times[rng.IntN(len(times))])})
		}
		if rng.IntN(2) == 0 {
			r.Refill = &refillState{Interval: pick([]string{"daily", "monthly"}), Amount: ints[rng.IntN(len(ints))], Day: rng.IntN(2) * 31,
				Remaining: ints[rng.IntN(len(ints))], NextRefillAt: timestamp(times[rng.IntN(len(times))])}
		}
		switch rng.IntN(3) {
		case 0:
			r.Permissions = []string{}
		case 1:
			r.Permissions = []string{pick(awkwardStrings), pick(awkwardStrings)}
		}
		want := referenceJSON(t, r)
		got, err := r.appendJSON(nil)
		if err != nil {
			t.Fatalf("value %d: appendJSON: %v", i, err)
		}
		if got = append(got, '\n'); !bytes.Equal(got, want) {
			t.Fatalf("value %d: appendJSON gives\n%s\nthe library gives\n%s", i, got, want)
		}
		if old := encodingJSON(t, r); !sameJSON(t, got, old) {
			t.Fatalf("value %d: appendJSON gives\n%s\nencoding/json gave\n%s", i, got, old)
		}
		if old := encodingJSON(t, r); r.Meta == nil && validStrings(r) && !bytes.Equal(got, old) {
			t.Fatalf("value %d: appendJSON gives\n%s\nencoding/json gave\n%s", i, got, old)
		}
	}
}

// sameJSON reports whether a and b hold the same JSON value, for
// encoding/json: the same names, values and numbers, however written.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range awkwardStrings {
		want := bytes.TrimSuffix(referenceJSON(t, s), []byte("\n"))
		if got := appendString([]byte("x"), s); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Errorf("appendString(%q) = %s, want x%s", s, got, want)
		}
		old := bytes.TrimSuffix(encodingJSON(t, s), []byte("\n"))
		if got := appendString(nil, s); !sameJSON(t, got, old) || (utf8.ValidString(s) && !bytes.Equal(got, old)) {
			t.Errorf("appendString(%q) = %s, encoding/json gave %s", s, got, old)
		}
	}
}

// TestWriteJSONBadMetadata checks that stored metadata which is no longer
// JSON gives a bare 500, not a response cut off in the middle.
func TestWriteJSONBadMetadata(t *testing.T) {
	rec := httptest.NewRecorder()
	writeJSON(rec, 200, verifyKeyResponse{Valid: true, Status: keys.Valid, ID: "key_1", Meta: jsontext.Value(`{"a":`)})
	if rec.Code != 500 || rec.Body.String() != `{"error":{"code":"internal_error","message":"internal error"}}`+"\n" {
		t.Errorf("got %d %q", rec.Code, rec.Body.String())
	}
	for _, h := range []string{"Content-Type", "Cache-Control", "X-Content-Type-Options"} {
		if rec.Header().Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
}

// TestWriteJSONReusesNoBuffer checks that a response written from the
// pool does not carry bytes of the one before it.
func TestWriteJSONReusesNoBuffer(t *testing.T) {
	long := verifyKeyResponse{Valid: true, Status: keys.Valid, ID: "key_1", Name: string(bytes.Repeat([]byte("n"), 5000))}
	short := verifyKeyResponse{Status: keys.NotFound}
	for range 50 {
		for _, v := range []verifyKeyResponse{long, short} {
			rec := httptest.NewRecorder()
			writeJSON(rec, 200, v)
			if want := referenceJSON(t, v); !bytes.Equal(rec.Body.Bytes(), want) {
				t.Fatalf("got %q, want %q", rec.Body.Bytes(), want)
			}
		}
	}
}
