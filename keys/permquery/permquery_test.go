package permquery

import (
	"errors"
	"strings"
	"testing"
)

func set(perms ...string) func(string) bool {
	m := map[string]bool{}
	for _, p := range perms {
		m[p] = true
	}
	return func(p string) bool { return m[p] }
}

func TestParseAndAllows(t *testing.T) {
	for _, c := range []struct {
		name, query string
		held        []string
		want        bool
	}{
		{"a single permission held passes", "docs.read", []string{"docs.read"}, true},
		{"a single permission missing fails", "docs.read", []string{"docs.write"}, false},
		{"AND needs both", "a AND b", []string{"a"}, false},
		{"AND with both passes", "a AND b", []string{"a", "b"}, true},
		{"OR needs one", "a OR b", []string{"b"}, true},
		{"OR with neither fails", "a OR b", []string{"c"}, false},
		{"AND binds tighter than OR", "a OR b AND c", []string{"a"}, true},
		{"AND binds tighter than OR, right side", "a OR b AND c", []string{"b"}, false},
		{"parentheses group", "(a OR b) AND c", []string{"a"}, false},
		{"parentheses group, satisfied", "(a OR b) AND c", []string{"b", "c"}, true},
		{"the issue's example with write", "docs.read AND (docs.write OR admin)", []string{"docs.read", "docs.write"}, true},
		{"the issue's example with admin", "docs.read AND (docs.write OR admin)", []string{"docs.read", "admin"}, true},
		{"the issue's example with read only", "docs.read AND (docs.write OR admin)", []string{"docs.read"}, false},
		{"whitespace is free", "  ( a\tAND\nb )  ", []string{"a", "b"}, true},
		{"names take : / - _", "api:v1/users-list_all", []string{"api:v1/users-list_all"}, true},
		{"lower-case and is a name, not a keyword", "(and)", []string{"and"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			q, err := Parse(c.query)
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.query, err)
			}
			if got := q.Allows(set(c.held...)); got != c.want {
				t.Errorf("Parse(%q).Allows(%v) = %v, want %v", c.query, c.held, got, c.want)
			}
			if q.String() != c.query {
				t.Errorf("String() = %q, want %q", q.String(), c.query)
			}
		})
	}
}

func TestParseRejectsMalformedQueriesNamingThePosition(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth+1) + "a" + strings.Repeat(")", MaxDepth+1)
	for _, c := range []struct {
		name, query string
		pos         int
		msg         string
	}{
		{"an empty query", "", 1, "empty"},
		{"blanks only", "   ", 4, "empty"},
		{"a trailing AND", "a AND", 6, "expected a permission"},
		{"a leading OR", "OR a", 1, `found "OR"`},
		{"two names in a row", "a b", 3, `found "b"`},
		{"an unclosed parenthesis", "a AND (b OR c", 7, "never closed"},
		{"a stray closing parenthesis", "a)", 2, `found ")"`},
		{"empty parentheses", "()", 2, `found ")"`},
		{"a character not allowed", "docs.read AND doc$", 18, "not allowed"},
		{"a quote", `"a"`, 1, "not allowed"},
		{"too deep", deep, MaxDepth + 1, "deeper than"},
		{"too long", strings.Repeat("a OR ", MaxLength/5+1) + "a", MaxLength + 1, "longer than"},
		{"a name too long", strings.Repeat("x", MaxNameBytes+1), 1, "longer than 128"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.query)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, want a *SyntaxError", c.query, err)
			}
			if se.Pos != c.pos || !strings.Contains(se.Msg, c.msg) {
				t.Errorf("Parse(%q) = %v, want position %d and a message containing %q", c.query, err, c.pos, c.msg)
			}
			if !strings.Contains(err.Error(), "position") {
				t.Errorf("error %q does not name the position", err)
			}
		})
	}
}

func TestDepthAtTheLimitParses(t *testing.T) {
	q := strings.Repeat("(", MaxDepth) + "a" + strings.Repeat(")", MaxDepth)
	if _, err := Parse(q); err != nil {
		t.Fatalf("Parse at depth %d: %v", MaxDepth, err)
	}
}

func TestNamesListsEachPermissionOnce(t *testing.T) {
	q, err := Parse("b AND (a OR b) AND c")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(q.Names(), ","); got != "b,a,c" {
		t.Errorf("Names() = %s, want b,a,c", got)
	}
}

func TestValidName(t *testing.T) {
	for s, want := range map[string]bool{"docs.read": true, "a": true, "": false, "AND": false, "OR": false, "a b": false,
		"é": false, strings.Repeat("a", MaxNameBytes): true, strings.Repeat("a", MaxNameBytes+1): false, "a*": false} {
		if got := ValidName(s); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestZeroQueryAllowsAnything(t *testing.T) {
	if !(Query{}).Allows(set()) {
		t.Error("the zero Query refused an empty set")
	}
}

// render writes a parsed query back with every group parenthesised, for a
// round trip in the fuzz test.
func render(n node) string {
	switch n := n.(type) {
	case name:
		return string(n)
	case and:
		parts := make([]string, len(n))
		for i, c := range n {
			parts[i] = render(c)
		}
		return "(" + strings.Join(parts, " AND ") + ")"
	case or:
		parts := make([]string, len(n))
		for i, c := range n {
			parts[i] = render(c)
		}
		return "(" + strings.Join(parts, " OR ") + ")"
	}
	panic("unknown node")
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"docs.read AND (docs.write OR admin)", "a", "(a)", "a OR b AND c", "((a", "a AND", ")", "", "AND",
		strings.Repeat("(", 20) + "a" + strings.Repeat(")", 20)} {
		f.Add(s, uint16(5))
	}
	f.Fuzz(func(t *testing.T, s string, bits uint16) {
		q, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos < 1 || se.Pos > len(s)+1 {
				t.Fatalf("Parse(%q): %v: not a *SyntaxError with a position inside the query", s, err)
			}
			return
		}
		if len(s) > MaxLength {
			t.Fatalf("Parse accepted %d bytes", len(s))
		}
		names := q.Names()
		for _, n := range names {
			if !ValidName(n) {
				t.Fatalf("Parse(%q) holds the invalid name %q", s, n)
			}
		}
		// Hold a subset of the names chosen by bits; the query and its
		// fully parenthesised rendering must agree.
		var held []string
		for i, n := range names {
			if i < 16 && bits&(1<<i) != 0 {
				held = append(held, n)
			}
		}
		again := render(q.root)
		q2, err := Parse(again)
		if err != nil {
			if len(again) > MaxLength || strings.Contains(err.Error(), "deeper") {
				return // the rendering adds parentheses, which may pass a limit
			}
			t.Fatalf("rendering %q of %q does not parse: %v", again, s, err)
		}
		if q.Allows(set(held...)) != q2.Allows(set(held...)) {
			t.Fatalf("%q and its rendering %q disagree on %v", s, again, held)
		}
	})
}
