package server

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLoneSurrogate(t *testing.T) {
	for _, c := range []struct {
		body string
		want int
	}{
		{`{"subject":"plain"}`, -1},
		{`{"subject":"\ud83d\ude00"}`, -1}, // a pair: 😀
		{`{"subject":"\uD83D\uDE00 and \u00e9"}`, -1},
		{`{"subject":"\\ud800"}`, -1}, // a backslash, then text
		{`{"subject":"\"\\\ud83d\ude00"}`, -1},
		{`{"subject":"\ud800"}`, 12},
		{`{"subject":"\uDBFF"}`, 12},
		{`{"subject":"\udc00"}`, 12},             // a low half alone
		{`{"subject":"\ud800\u0041"}`, 12},       // a high half, then no low
		{`{"subject":"\ud800\ud800\udc00"}`, 12}, // the first high has no low
		{`{"subject":"\ud83d\ude00\ude00"}`, 24}, // a pair, then a low alone
		{`{"subject":"\ud800x"}`, 12},
		{`{"a":"\n","subject":"\ud800"}`, 21},
	} {
		if !json.Valid([]byte(c.body)) {
			t.Fatalf("%s is not valid JSON", c.body)
		}
		if got := loneSurrogate([]byte(c.body)); got != c.want {
			t.Errorf("loneSurrogate(%s) = %d, want %d", c.body, got, c.want)
		}
	}
}

// FuzzLoneSurrogate checks loneSurrogate against what encoding/json does:
// a body it passes decodes without a U+FFFD the body did not spell out,
// and a body it stops decodes with one.
func FuzzLoneSurrogate(f *testing.F) {
	for _, s := range []string{`"\ud800"`, `"\ud83d\ude00"`, `"\\ud800"`, `"a\udc00b"`, `"\u00e9\ud800\udc00"`, `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, str string) {
		body := []byte(`{"subject":` + str + `}`)
		if !json.Valid(body) || !utf8.Valid(body) { // decodeBytes refuses both before
			return
		}
		var v struct{ Subject string }
		if err := json.Unmarshal(body, &v); err != nil {
			return // not a string
		}
		spelled := strings.Contains(str, "\uFFFD") || strings.Contains(strings.ToLower(str), `\ufffd`)
		at := loneSurrogate(body)
		if at < 0 && strings.ContainsRune(v.Subject, '\uFFFD') && !spelled {
			t.Fatalf("%s passed, but decodes to %q", body, v.Subject)
		}
		if at >= 0 && !strings.ContainsRune(v.Subject, '\uFFFD') {
			t.Fatalf("%s stopped at byte %d, but decodes to %q", body, at, v.Subject)
		}
	})
}
