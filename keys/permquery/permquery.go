// Package permquery parses and evaluates permission queries, the
// permissions a key must hold for a verification to pass, such as
//
//	docs.read AND (docs.write OR admin)
//
// A query is permission names joined by AND and OR (upper case), grouped
// with parentheses; AND binds tighter than OR. A permission name is 1 to
// [MaxNameBytes] of the letters, digits and ". _ : / -". A query is at most
// [MaxLength] bytes and nests parentheses at most [MaxDepth] deep, so
// parsing and evaluating it take time and stack in proportion to its length,
// whatever the input.
package permquery

import (
	"fmt"
	"strings"
)

// Limits of a query.
const (
	MaxLength    = 1024
	MaxDepth     = 8
	MaxNameBytes = 128
)

// SyntaxError is returned by Parse for a query that is malformed or too
// long or deep. Pos is the 1-based byte position in the query where the
// problem was found.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("at position %d: %s", e.Pos, e.Msg) }

// ValidName reports whether s may be a permission name.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > MaxNameBytes || s == "AND" || s == "OR" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !nameByte(s[i]) {
			return false
		}
	}
	return true
}

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._:/-", c) >= 0
}

// Query is a parsed permission query. The zero Query is satisfied by any
// set of permissions.
type Query struct {
	root node
	text string
}

// String returns the query as it was given.
func (q Query) String() string { return q.text }

// Names returns the permission names the query mentions, each once, in
// order of first mention.
func (q Query) Names() []string {
	var names []string
	seen := map[string]bool{}
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case name:
			if !seen[string(n)] {
				seen[string(n)] = true
				names = append(names, string(n))
			}
		case and:
			for _, c := range n {
				walk(c)
			}
		case or:
			for _, c := range n {
				walk(c)
			}
		}
	}
	if q.root != nil {
		walk(q.root)
	}
	return names
}

// Allows reports whether a holder of the permissions for which has
// returns true satisfies the query.
func (q Query) Allows(has func(permission string) bool) bool {
	return q.root == nil || q.root.eval(has)
}

type node interface {
	eval(has func(string) bool) bool
}

type (
	name string
	and  []node
	or   []node
)

func (n name) eval(has func(string) bool) bool { return has(string(n)) }

func (n and) eval(has func(string) bool) bool {
	for _, c := range n {
		if !c.eval(has) {
			return false
		}
	}
	return true
}

func (n or) eval(has func(string) bool) bool {
	for _, c := range n {
		if c.eval(has) {
			return true
		}
	}
	return false
}

// Parse parses a query. An error is a [*SyntaxError] naming the position.
func Parse(s string) (Query, error) {
	if len(s) > MaxLength {
		return Query{}, &SyntaxError{Pos: MaxLength + 1, Msg: fmt.Sprintf("the query is longer than %d bytes", MaxLength)}
	}
	p := &parser{s: s}
	p.next()
	if p.tok == tokEnd {
		return Query{}, &SyntaxError{Pos: p.pos + 1, Msg: "the query is empty: expected a permission"}
	}
	root, err := p.or(0)
	if err != nil {
		return Query{}, err
	}
	if p.tok != tokEnd {
		return Query{}, p.unexpected("AND, OR or the end of the query")
	}
	return Query{root: root, text: s}, nil
}

type token int

const (
	tokEnd token = iota
	tokName
	tokAnd
	tokOr
	tokOpen
	tokClose
	tokBad
)

type parser struct {
	s   string
	i   int    // where the next token starts to be looked for
	tok token  // the current token
	pos int    // its 0-based start
	val string // its text
}

func (p *parser) next() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
	p.pos = p.i
	if p.i == len(p.s) {
		p.tok, p.val = tokEnd, ""
		return
	}
	switch c := p.s[p.i]; {
	case c == '(':
		p.tok, p.val = tokOpen, "("
		p.i++
	case c == ')':
		p.tok, p.val = tokClose, ")"
		p.i++
	case nameByte(c):
		j := p.i
		for j < len(p.s) && nameByte(p.s[j]) {
			j++
		}
		p.val = p.s[p.i:j]
		p.i = j
		switch p.val {
		case "AND":
			p.tok = tokAnd
		case "OR":
			p.tok = tokOr
		default:
			p.tok = tokName
		}
	default:
		p.tok, p.val = tokBad, p.s[p.i:p.i+1]
		p.i++
	}
}

func (p *parser) unexpected(want string) error {
	var got string
	switch p.tok {
	case tokEnd:
		got = "the end of the query"
	case tokBad:
		got = "a character that is not allowed (a permission is letters, digits and . _ : / -)"
	default:
		got = fmt.Sprintf("%q", p.val)
	}
	return &SyntaxError{Pos: p.pos + 1, Msg: fmt.Sprintf("expected %s, found %s", want, got)}
}

// or parses terms joined by OR.
func (p *parser) or(depth int) (node, error) {
	first, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	if p.tok != tokOr {
		return first, nil
	}
	n := or{first}
	for p.tok == tokOr {
		p.next()
		t, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		n = append(n, t)
	}
	return n, nil
}

// and parses atoms joined by AND.
func (p *parser) and(depth int) (node, error) {
	first, err := p.atom(depth)
	if err != nil {
		return nil, err
	}
	if p.tok != tokAnd {
		return first, nil
	}
	n := and{first}
	for p.tok == tokAnd {
		p.next()
		t, err := p.atom(depth)
		if err != nil {
			return nil, err
		}
		n = append(n, t)
	}
	return n, nil
}

// atom parses a permission or a parenthesised query.
func (p *parser) atom(depth int) (node, error) {
	switch p.tok {
	case tokName:
		if len(p.val) > MaxNameBytes {
			return nil, &SyntaxError{Pos: p.pos + 1, Msg: fmt.Sprintf("a permission name is longer than %d bytes", MaxNameBytes)}
		}
		n := name(p.val)
		p.next()
		return n, nil
	case tokOpen:
		if depth == MaxDepth {
			return nil, &SyntaxError{Pos: p.pos + 1, Msg: fmt.Sprintf("parentheses nest deeper than %d", MaxDepth)}
		}
		open := p.pos
		p.next()
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.tok != tokClose {
			if p.tok == tokEnd {
				return nil, &SyntaxError{Pos: open + 1, Msg: "this parenthesis is never closed"}
			}
			return nil, p.unexpected(`AND, OR or ")"`)
		}
		p.next()
		return n, nil
	}
	return nil, p.unexpected(`a permission or "("`)
}
