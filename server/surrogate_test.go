package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

type subjectRequest struct {
	Subject string `json:"subject"`
	A       string `json:"a"`
}

// TestLoneSurrogate checks that decodeBytes refuses an escaped UTF-16
// surrogate that is not half of a pair ("\ud800" alone), with a 400 that
// points at its byte, and accepts pairs. encoding/json turned each lone
// one into U+FFFD, so that subjects "\ud800" and "\udbff" became one.
func TestLoneSurrogate(t *testing.T) {
	for _, c := range []struct {
		body string
		want int // the byte of the lone surrogate, or -1 for none
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
		err := decodeBytes([]byte(c.body), new(subjectRequest))
		if c.want < 0 {
			if err != nil {
				t.Errorf("decodeBytes(%s) = %v, want no error", c.body, err)
			}
			continue
		}
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
			t.Fatalf("decodeBytes(%s) = %v, want a 400", c.body, err)
		}
		if at := "at byte " + strconv.Itoa(c.want); !strings.Contains(ae.Message, at) {
			t.Errorf("decodeBytes(%s): %q does not say %q", c.body, ae.Message, at)
		}
	}
}

// FuzzLoneSurrogate checks decodeBytes against what encoding/json does:
// a body it accepts decodes without a U+FFFD the body did not spell out,
// and a body it refuses, of a string that encoding/json takes, decodes
// with one.
func FuzzLoneSurrogate(f *testing.F) {
	for _, s := range []string{`"\ud800"`, `"\ud83d\ude00"`, `"\\ud800"`, `"a\udc00b"`, `"\u00e9\ud800\udc00"`, `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, str string) {
		body := []byte(`{"subject":` + str + `}`)
		if !json.Valid(body) || !utf8.Valid(body) { // decodeBytes refuses both
			return
		}
		var subject string
		if err := json.Unmarshal([]byte(str), &subject); err != nil {
			return // not one string
		}
		spelled := strings.Contains(str, "\uFFFD") || strings.Contains(strings.ToLower(str), `\ufffd`)
		err := decodeBytes(body, new(subjectRequest))
		if err == nil && strings.ContainsRune(subject, '\uFFFD') && !spelled {
			t.Fatalf("%s passed, but decodes to %q", body, subject)
		}
		if err != nil && !strings.ContainsRune(subject, '\uFFFD') {
			t.Fatalf("%s was refused (%v), but decodes to %q", body, err, subject)
		}
	})
}
