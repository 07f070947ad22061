// Package ignore implements the //secretsvet:ignore directive shared by the
// secretsvet analyzers. A comment
//
//	//secretsvet:ignore reason why this is safe
//
// at the end of the reported line, or alone on the line just above it,
// silences the reports on that line. The reason is required: a bare
// //secretsvet:ignore silences nothing, and the report says why.
//
// Each analyzer applies the directive itself, so it holds under go vet
// -vettool as well as under secretsvet's own driver.
package ignore

import (
	"fmt"
	"go/ast"
	"go/token"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// Directive is the comment prefix that silences a report.
const Directive = "//secretsvet:ignore"

// directive is one //secretsvet:ignore comment.
type directive struct {
	line      int
	alone     bool // the comment is the only thing on its line
	hasReason bool
}

// Reporter reports diagnostics for one pass, dropping those silenced by a
// directive with a reason.
type Reporter struct {
	pass   *analysis.Pass
	byFile map[*token.File][]directive
}

// NewReporter returns a Reporter for pass.
func NewReporter(pass *analysis.Pass) *Reporter {
	r := &Reporter{pass: pass, byFile: map[*token.File][]directive{}}
	for _, f := range pass.Files {
		tf := pass.Fset.File(f.Pos())
		if tf == nil {
			continue
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if !strings.HasPrefix(c.Text, Directive) {
					continue
				}
				rest := c.Text[len(Directive):]
				if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
					continue // some other directive, such as //secretsvet:ignored
				}
				line := tf.Line(c.Pos())
				r.byFile[tf] = append(r.byFile[tf], directive{
					line:      line,
					alone:     aloneOnLine(tf, c, f),
					hasReason: reason(rest) != "",
				})
			}
		}
	}
	return r
}

// aloneOnLine reports whether comment c is the only thing on its line: no
// node of f starts or ends on that line before it.
func aloneOnLine(tf *token.File, c *ast.Comment, f *ast.File) bool {
	line := tf.Line(c.Pos())
	alone := true
	ast.Inspect(f, func(n ast.Node) bool {
		if !alone || n == nil {
			return false
		}
		if _, ok := n.(*ast.CommentGroup); ok {
			return false
		}
		if _, ok := n.(*ast.Comment); ok {
			return false
		}
		if !n.Pos().IsValid() || !n.End().IsValid() {
			return true
		}
		if tf.Line(n.Pos()) > line || tf.Line(n.End()) < line {
			return false // n cannot touch the comment's line
		}
		if n.Pos() < c.Pos() && tf.Line(n.Pos()) == line {
			alone = false
		}
		if tf.Line(n.End()) == line && n.End() <= c.Pos() && tf.Line(n.Pos()) < line {
			alone = false // a node that ends on this line before the comment
		}
		return true
	})
	return alone
}

// reason returns the reason after the directive: the text up to any
// further comment on the line, which is not a reason.
func reason(rest string) string {
	if i := strings.Index(rest, "//"); i >= 0 {
		rest = rest[:i]
	}
	return strings.TrimSpace(rest)
}

// Report reports d unless a //secretsvet:ignore with a reason is on its line,
// or alone on the line above. A directive without a reason does not silence
// d; the message then says that the directive needs one.
func (r *Reporter) Report(d analysis.Diagnostic) {
	tf := r.pass.Fset.File(d.Pos)
	if tf != nil {
		line := tf.Line(d.Pos)
		for _, dir := range r.byFile[tf] {
			if dir.line != line && !(dir.alone && dir.line == line-1) {
				continue
			}
			if dir.hasReason {
				return
			}
			d.Message += " (" + Directive + " needs a reason after it, so it does not silence this)"
			break
		}
	}
	r.pass.Report(d)
}

// Reportf is Report with a formatted message and no suggested fix.
func (r *Reporter) Reportf(pos token.Pos, format string, args ...any) {
	r.Report(analysis.Diagnostic{Pos: pos, Message: fmt.Sprintf(format, args...)})
}
