package weakrand

import (
	"go/token"
	"go/types"
)

// report reports o reaching sink at pos; t is the sink's type, which picks
// the replacement to suggest.
func (s *fnState) report(pos token.Pos, o *origin, sink string, t types.Type) {
	if s.c.summarizing {
		if o.param > 0 {
			s.c.recordParamSink(s.unit, o.param-1, sink)
		}
		return
	}
	if o.param > 0 {
		return
	}
	line := s.c.pass.Fset.Position(pos).Line
	if s.lines[line] {
		return
	}
	s.lines[line] = true
	s.c.rep.Reportf(pos, "weak random value from %s reaches %s: math/rand is predictable from its outputs; use %s", o, sink, replacement(o, t))
}

func replacement(o *origin, t types.Type) string {
	if t != nil {
		if b, ok := t.Underlying().(*types.Basic); ok && b.Info()&types.IsInteger != 0 {
			return "secrets.RandBelow"
		}
		if _, ok := t.Underlying().(*types.Slice); ok {
			return "secrets.TokenBytes"
		}
	}
	if o.indexed {
		return "secrets.TokenString"
	}
	if o.bounded() {
		// A bounded integer written out as a string is a numeric code:
		// fmt.Sprintf("%06d", rand.Intn(1e6)).
		return "secrets.RandBelow"
	}
	return "secrets.TokenURLSafe"
}
