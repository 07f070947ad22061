package linearizability

import (
	"fmt"

	"github.com/anishathalye/porcupine"
)

// TokenOp is a call on one-time tokens.
type TokenOp int

// The token calls: POST /v1/tokens, POST /v1/tokens/verify, POST
// /v1/tokens/redeem, DELETE /v1/tokens?purpose=&subject=.
const (
	TokenIssue TokenOp = iota
	TokenVerify
	TokenRedeem
	TokenRevoke
)

var tokenOpNames = [...]string{"issue", "verify", "redeem", "revoke"}

// MaxTokens is the most tokens one subject's history may issue.
const MaxTokens = 8

// TokenInput is a call on the tokens of one purpose and subject (Object).
type TokenInput struct {
	Object int
	Op     TokenOp
	// Token is the token verified or redeemed: the number the recorder gave
	// it when its issue answered, 0 for the first.
	Token        int
	KeepExisting bool // issue: keep the subject's earlier tokens
	Span         Span
}

func (in TokenInput) object() int { return in.Object }

// TokenOutput is the answer.
type TokenOutput struct {
	Unknown   bool   // no answer came
	Token     int    // issue: the number given to the new token
	ExpiresAt int64  // issue: expires_at, Unix ms
	Status    string // verify, redeem: VALID, USED, REVOKED, EXPIRED, NOT_FOUND
	Revoked   int64  // revoke: how many tokens it revoked
}

// The life of a token in the model.
const (
	tokNone uint8 = iota
	tokLive
	tokUsed
	tokRevoked
)

type tok struct {
	life uint8
	exp  int64 // Unix ms
}

// tokenState is one subject's tokens. Anon counts the live tokens whose
// issue had no answer: no client knows them, but a revocation counts them.
type tokenState struct {
	tokens [MaxTokens]tok
	anon   int
}

// TokenModel is what the service promises of one-time tokens, one purpose
// and subject at a time:
//
//   - issue makes a live token and, unless keep_existing, revokes the
//     subject's live ones;
//   - redeem answers VALID for a live token and uses it: VALID exactly
//     once, then USED;
//   - verify answers what redeem would, and changes nothing;
//   - revoke revokes every live token of the subject (expired ones too) and
//     answers how many; a revoked token answers REVOKED;
//   - a live token past its expires_at answers EXPIRED (a used or revoked
//     one still answers USED or REVOKED); within Margin of the expiry
//     either answer is right.
var TokenModel = porcupine.Model{
	Partition: partition,
	Init:      func() any { return tokenState{} },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(tokenState), input.(TokenInput), output.(TokenOutput)
		return tokenStep(s, in, out)
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(TokenInput), output.(TokenOutput)
		var call string
		switch in.Op {
		case TokenIssue:
			call = fmt.Sprintf("issue(keep=%v)", in.KeepExisting)
		case TokenRevoke:
			call = "revoke()"
		default:
			call = fmt.Sprintf("%s(#%d)", tokenOpNames[in.Op], in.Token)
		}
		switch {
		case out.Unknown:
			return call + " → ?"
		case in.Op == TokenIssue:
			return fmt.Sprintf("%s → #%d", call, out.Token)
		case in.Op == TokenRevoke:
			return fmt.Sprintf("%s → %d", call, out.Revoked)
		}
		return fmt.Sprintf("%s → %s (%s)", call, out.Status, describeSpan(in.Span))
	},
	DescribeState: func(state any) string {
		s := state.(tokenState)
		var d string
		for i, t := range s.tokens {
			if t.life != tokNone {
				d += fmt.Sprintf("#%d %s ", i, [...]string{"", "live", "used", "revoked"}[t.life])
			}
		}
		return d + fmt.Sprintf("anon %d", s.anon)
	},
}

func tokenStep(s tokenState, in TokenInput, out TokenOutput) (bool, tokenState) {
	switch in.Op {
	case TokenIssue:
		if !in.KeepExisting {
			s = s.revokeLive()
		}
		if out.Unknown {
			s.anon++
			return true, s
		}
		if out.Token < 0 || out.Token >= MaxTokens || s.tokens[out.Token].life != tokNone {
			return false, s
		}
		s.tokens[out.Token] = tok{life: tokLive, exp: out.ExpiresAt}
		return true, s
	case TokenRevoke:
		n := int64(s.anon)
		for _, t := range s.tokens {
			if t.life == tokLive {
				n++
			}
		}
		if !out.Unknown && out.Revoked != n {
			return false, s
		}
		return true, s.revokeLive()
	case TokenVerify, TokenRedeem:
		if in.Token < 0 || in.Token >= MaxTokens {
			return false, s
		}
		t := s.tokens[in.Token]
		if t.life == tokNone {
			return false, s // a token used before the model issued it
		}
		if out.Unknown {
			if in.Op == TokenRedeem && t.life == tokLive && in.Span.mayBeBefore(t.exp) {
				s.tokens[in.Token].life = tokUsed
			}
			return true, s
		}
		switch t.life {
		case tokUsed:
			return out.Status == "USED", s
		case tokRevoked:
			return out.Status == "REVOKED", s
		}
		switch out.Status {
		case "EXPIRED":
			return in.Span.mayBeAtOrAfter(t.exp), s
		case "VALID":
			if !in.Span.mayBeBefore(t.exp) {
				return false, s
			}
			if in.Op == TokenRedeem {
				s.tokens[in.Token].life = tokUsed
			}
			return true, s
		}
		return false, s
	}
	return false, s
}

// revokeLive revokes every live token, as a new token or DELETE does.
func (s tokenState) revokeLive() tokenState {
	for i := range s.tokens {
		if s.tokens[i].life == tokLive {
			s.tokens[i].life = tokRevoked
		}
	}
	s.anon = 0
	return s
}
