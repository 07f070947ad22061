package linearizability

import (
	"fmt"

	"github.com/anishathalye/porcupine"
)

// CodeOp is a call on one-time codes.
type CodeOp int

// The code calls: POST /v1/codes and POST /v1/codes/verify.
const (
	CodeIssue CodeOp = iota
	CodeCheck
)

// MaxSends is the service's send throttle: codes per purpose and subject
// in its window (code.DefaultMaxSends in 10 minutes; a history is shorter
// than the window).
const MaxSends = 5

// MaxFailures is the failure budget of a purpose and subject across its
// codes (code.DefaultMaxFailures wrong guesses in its window of an hour,
// longer than a history): once spent, every check answers MAX_ATTEMPTS
// and counts nothing.
const MaxFailures = 10

// WrongCode, as CodeInput.Code, is a code that is none of the subject's.
const WrongCode = -1

// CodeInput is a call on the codes of one purpose and subject (Object).
type CodeInput struct {
	Object int
	Op     CodeOp
	// Issue: the code's max_attempts and expires_in (ms).
	MaxAttempts int
	TTL         int64
	// Check: the code presented, by the number the recorder gave it when
	// its issue answered, or WrongCode.
	Code int
	Span Span
}

func (in CodeInput) object() int { return in.Object }

// CodeOutput is the answer.
type CodeOutput struct {
	Unknown      bool
	Throttled    bool   // issue: 429
	Code         int    // issue: the number given to the new code
	ExpiresAt    int64  // issue: expires_at, Unix ms
	Status       string // check: APPROVED, INVALID, EXPIRED, MAX_ATTEMPTS, NOT_FOUND
	AttemptsLeft int    // check: attempts_left
}

// pendingCode is a subject's current code in the model. Its number is
// noCode before the first issue and anonCode after an issue that had no
// answer (no client knows that code, and any code presented is wrong).
// Its expiry is known within [expLo, expHi].
type pendingCode struct {
	num           int
	attempts, max int
	approved      bool
	expLo, expHi  int64
}

const (
	noCode   = -2
	anonCode = -3
)

// codeState is one subject's codes.
type codeState struct {
	cur   pendingCode
	sends int // codes issued: the send throttle
	// failures counts the wrong guesses across all of the subject's
	// codes, against MaxFailures.
	failures int
}

// CodeModel is what the service promises of one-time codes, one purpose
// and subject at a time:
//
//   - issue cancels the pending code and makes a new one, unless MaxSends
//     codes were already sent (429);
//   - a check of the pending code counts one attempt, right or wrong, and
//     answers APPROVED for the right code (at most once: the code is then
//     spent) or INVALID, with attempts_left;
//   - once its attempts are spent, or the subject's failure budget across
//     codes (MaxFailures wrong guesses), a code answers MAX_ATTEMPTS,
//     right or wrong, and counts nothing; past its expiry, EXPIRED,
//     counting nothing; a spent (approved) or absent code, NOT_FOUND;
//   - attempts_left is the code's attempts left, or the budget's if fewer
//     once a wrong guess has opened its window.
var CodeModel = porcupine.Model{
	Partition: partition,
	Init:      func() any { return codeState{cur: pendingCode{num: noCode}} },
	Step: func(state, input, output any) (bool, any) {
		return codeStep(state.(codeState), input.(CodeInput), output.(CodeOutput))
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(CodeInput), output.(CodeOutput)
		var call string
		if in.Op == CodeIssue {
			call = fmt.Sprintf("issue(max=%d)", in.MaxAttempts)
		} else if in.Code == WrongCode {
			call = "check(wrong)"
		} else {
			call = fmt.Sprintf("check(#%d)", in.Code)
		}
		switch {
		case out.Unknown:
			return call + " → ?"
		case out.Throttled:
			return call + " → 429"
		case in.Op == CodeIssue:
			return fmt.Sprintf("%s → #%d", call, out.Code)
		}
		return fmt.Sprintf("%s → %s, %d left (%s)", call, out.Status, out.AttemptsLeft, describeSpan(in.Span))
	},
	DescribeState: func(state any) string {
		s := state.(codeState)
		c := s.cur
		switch c.num {
		case noCode:
			return fmt.Sprintf("no code, %d sent", s.sends)
		case anonCode:
			return fmt.Sprintf("unknown code %d/%d attempts approved=%v, %d sent", c.attempts, c.max, c.approved, s.sends)
		}
		return fmt.Sprintf("#%d %d/%d attempts approved=%v, %d sent", c.num, c.attempts, c.max, c.approved, s.sends)
	},
}

func codeStep(s codeState, in CodeInput, out CodeOutput) (bool, codeState) {
	if in.Op == CodeIssue {
		if out.Throttled {
			return s.sends >= MaxSends, s
		}
		if s.sends >= MaxSends {
			// Refused: an answer of 201 is wrong, and no answer changed nothing.
			return out.Unknown, s
		}
		s.sends++
		if out.Unknown {
			s.cur = pendingCode{num: anonCode, max: in.MaxAttempts, expLo: in.Span.Call + in.TTL, expHi: Never}
			return true, s
		}
		if out.Code < 0 {
			return false, s
		}
		s.cur = pendingCode{num: out.Code, max: in.MaxAttempts, expLo: out.ExpiresAt, expHi: out.ExpiresAt}
		return true, s
	}
	return codeCheck(s, in, out)
}

// codeCheck is one check: the outcome the pending code allows, and the
// attempt it counts.
func codeCheck(s codeState, in CodeInput, out CodeOutput) (bool, codeState) {
	c := s.cur
	checkable := c.num != noCode && !c.approved && c.attempts < c.max && s.failures < MaxFailures
	if out.Unknown {
		if checkable && in.Span.mayBeBefore(c.expHi) {
			s = s.count(in)
		}
		return true, s
	}
	switch {
	case c.num == noCode || c.approved:
		return out.Status == "NOT_FOUND", s
	case c.attempts >= c.max || s.failures >= MaxFailures:
		return out.Status == "MAX_ATTEMPTS", s
	}
	switch out.Status {
	case "EXPIRED":
		return in.Span.mayBeAtOrAfter(c.expLo), s
	case "APPROVED", "INVALID":
		if !in.Span.mayBeBefore(c.expHi) {
			return false, s
		}
		s = s.count(in)
		right := s.cur.approved
		left := s.cur.max - s.cur.attempts
		if s.failures > 0 {
			left = min(left, MaxFailures-s.failures)
		}
		if (out.Status == "APPROVED") != right || out.AttemptsLeft != left {
			return false, s
		}
		return true, s
	}
	return false, s
}

// count counts an attempt of in against the pending code.
func (s codeState) count(in CodeInput) codeState {
	s.cur.attempts++
	if in.Code >= 0 && in.Code == s.cur.num {
		s.cur.approved = true
	} else {
		s.failures++
	}
	return s
}
