package readmetest

import (
	"fmt"
	"regexp"
	"strings"
)

// Block is a fenced code block of a Markdown file.
type Block struct {
	File string
	Line int    // of the opening fence, from 1
	Lang string // the first word of the info string
	// Marked is set when the info string holds "not run:", NotRun is the
	// reason given after it (empty when it was left out).
	Marked bool
	NotRun string
	Body   string // the lines between the fences, without the fence's indentation
	body   []string
}

// Command is one shell command of an sh block: a line and the lines that
// continue it after a trailing backslash.
type Command struct {
	Line int    // of its first line in the file
	Text string // as written, continuation lines and comments included
	// Plain is the command on one line, without its comment, with runs of
	// spaces collapsed: what the expectations match.
	Plain   string
	Comment string // the trailing comment of its last line, without the #
	Marked  bool   // the comment holds "not run:"
	NotRun  string // the reason after it
}

var fence = regexp.MustCompile("^( {0,3})(`{3,}|~{3,})(.*)$")

// indentedCommand is a command in an indented code block, which has no info
// string to say what it is.
var indentedCommand = regexp.MustCompile(`^(    |\t)\s*(\$ )?(go|secrets|secretsvet|curl|bench/\S+|\./\S+)( |$)`)

// Parse returns the fenced code blocks of a Markdown file. An unclosed
// fence and a command in an indented code block are errors.
func Parse(file string, src string) ([]Block, error) {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var blocks []Block
	for i := 0; i < len(lines); i++ {
		m := fence.FindStringSubmatch(lines[i])
		if m == nil {
			if indentedCommand.MatchString(lines[i]) {
				return blocks, fmt.Errorf("%s:%d: a command in an indented code block: fence it as sh", file, i+1)
			}
			continue
		}
		indent, marks, info := len(m[1]), m[2], strings.TrimSpace(m[3])
		if marks[0] == '`' && strings.Contains(info, "`") {
			continue // an inline code span, not a fence
		}
		b := Block{File: file, Line: i + 1}
		b.Lang, _, _ = strings.Cut(info, " ")
		b.NotRun, b.Marked = notRun(info)
		closed := false
		for i++; i < len(lines); i++ {
			if closes(lines[i], marks) {
				closed = true
				break
			}
			b.body = append(b.body, dedent(lines[i], indent))
		}
		if !closed {
			return blocks, fmt.Errorf("%s:%d: the fenced block is never closed", file, b.Line)
		}
		b.Body = strings.Join(b.body, "\n")
		blocks = append(blocks, b)
	}
	return blocks, nil
}

// closes reports whether line closes a fence opened with marks.
func closes(line, marks string) bool {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 {
		return false
	}
	n := len(t) - len(strings.TrimLeft(t, marks[:1]))
	return n >= len(marks) && strings.TrimSpace(t[n:]) == ""
}

// dedent removes up to n leading spaces, the indentation of the fence.
func dedent(line string, n int) string {
	for n > 0 && strings.HasPrefix(line, " ") {
		line, n = line[1:], n-1
	}
	return line
}

// notRun finds the marker "not run: REASON" in s and returns the reason,
// without a closing parenthesis around it.
func notRun(s string) (reason string, marked bool) {
	_, after, found := strings.Cut(s, "not run:")
	if !found {
		return "", false
	}
	return strings.TrimSpace(strings.TrimRight(strings.TrimSpace(after), ")")), true
}

// Commands splits the body of an sh block into its commands. Blank lines and
// lines that hold only a comment are not commands. A backslash that
// continues the last line into the closing fence is an error.
func (b Block) Commands() ([]Command, error) {
	var cmds []Command
	var cur *Command
	var plain []string
	for i, line := range b.body {
		if cur == nil {
			t := strings.TrimSpace(line)
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			cur = &Command{Line: b.Line + 1 + i}
			plain = plain[:0]
		}
		if cur.Text != "" {
			cur.Text += "\n"
		}
		cur.Text += line
		code, comment := splitComment(line)
		code = strings.TrimSpace(code)
		if comment == "" && strings.HasSuffix(code, `\`) {
			plain = append(plain, strings.TrimSuffix(code, `\`))
			continue
		}
		plain = append(plain, code)
		cur.Plain = strings.Join(strings.Fields(strings.Join(plain, " ")), " ")
		cur.Comment = strings.TrimSpace(comment)
		cur.NotRun, cur.Marked = notRun(cur.Comment)
		cmds = append(cmds, *cur)
		cur = nil
	}
	if cur != nil {
		return cmds, fmt.Errorf("%s:%d: the command's last line ends in a backslash", b.File, cur.Line)
	}
	return cmds, nil
}

// splitComment splits a shell line at the # that starts its comment: one
// at the start of a word, outside quotes.
func splitComment(line string) (code, comment string) {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case c == '\\':
			i++ // the next byte is escaped, in double quotes or none
		case quote == '"':
			if c == '"' {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return line[:i], line[i+1:]
		}
	}
	return line, ""
}
