package cli

import (
	"strings"
	"testing"

	"github.com/unguessable/secrets/apikey"
)

func TestAPIKeyPrintsParseableKeys(t *testing.T) {
	out := mustRun(t, "apikey", "--prefix", "sk_live_", "-n", "5")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("got %d lines, want 5", len(lines))
	}
	seen := map[string]bool{}
	for _, l := range lines {
		p, err := apikey.Parse(l)
		if err != nil || p.Prefix != "sk_live_" {
			t.Fatalf("line %q: prefix %q, error %v", apikey.Redact(l), p.Prefix, err)
		}
		if seen[l] {
			t.Fatal("a key repeated")
		}
		seen[l] = true
	}
	if p, err := apikey.Parse(strings.TrimSpace(mustRun(t, "apikey"))); err != nil || p.Prefix != "sk_" {
		t.Fatalf("default prefix %q, error %v; want sk_", p.Prefix, err)
	}
}

func TestAPIKeyCheck(t *testing.T) {
	key := apikey.New("sk_live_")
	typo := key[:10] + map[bool]string{true: "b", false: "a"}[key[10] == 'a'] + key[11:]
	t.Run("a well-formed key exits 0 and shows it only redacted", func(t *testing.T) {
		out := mustRun(t, "apikey", "check", key)
		if !strings.Contains(out, "well formed") || strings.Contains(out, key[8:30]) {
			t.Fatalf("output %q", out)
		}
	})
	t.Run("a key on standard input is read with -", func(t *testing.T) {
		// Blank lines, spaces around the key and CRLF are not the key.
		for _, in := range []string{key + "\n", key, "\n\n  " + key + " \r\n\n"} {
			r := run(t, in, "apikey", "check", "-")
			if r.code != 0 || !strings.Contains(r.out, "well formed") {
				t.Fatalf("input %q: exit %d, out %q, err %q", in, r.code, r.out, r.err)
			}
		}
	})
	for _, tt := range []struct{ name, key, reason string }{
		{"a key with a typo exits 1 naming the checksum", typo, "checksum mismatch"},
		{"a truncated key exits 1 naming the length", key[:len(key)-3], "wrong length"},
		{"a key without a prefix exits 1 naming the prefix", strings.Repeat("a", 49), "bad prefix"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, "", "apikey", "check", tt.key)
			if r.code != exitFailure || r.out != "" || !strings.HasPrefix(r.err, "secrets: key ") || !strings.Contains(r.err, tt.reason) {
				t.Fatalf("exit %d, out %q, err %q; want 1 and %q", r.code, r.out, r.err, tt.reason)
			}
			if strings.Contains(r.err, tt.key[12:40]) {
				t.Fatalf("stderr %q shows the key", r.err)
			}
		})
	}
}

func TestAPIKeyWithAKeyButNoCheckDoesNotRepeatTheKey(t *testing.T) {
	key := apikey.New("sk_live_")
	r := run(t, "", "apikey", key)
	wantUsageError(t, r, "apikey check")
	if strings.Contains(r.err, key[len("sk_live_"):][:8]) {
		t.Fatalf("stderr %q shows the key", r.err)
	}
}

func TestAPIKeyBadInput(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"a prefix without a trailing underscore is refused", "", []string{"apikey", "--prefix", "sk"}, `"sk"`},
		{"a prefix with a dash is refused", "", []string{"apikey", "--prefix", "sk-live_"}, `"sk-live_"`},
		{"an empty prefix is refused", "", []string{"apikey", "--prefix", ""}, "empty"},
		{"a negative count is refused", "", []string{"apikey", "-n", "-1"}, "-1"},
		{"an argument to apikey is refused", "", []string{"apikey", "sk_"}, `"sk_"`},
		{"check without a key is refused", "", []string{"apikey", "check"}, "one KEY"},
		{"check with empty standard input is refused", "", []string{"apikey", "check", "-"}, "no key"},
		{"check with too much standard input is refused", strings.Repeat("a", 5000), []string{"apikey", "check", "-"}, "more than"},
		{"check with blank standard input is refused", "\n  \n", []string{"apikey", "check", "-"}, "no key"},
		{"check with two keys on standard input is refused", "sk_a\nsk_b\n", []string{"apikey", "check", "-"}, "2 lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantUsageError(t, run(t, tt.stdin, tt.args...), tt.want)
		})
	}
}
