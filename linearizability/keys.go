package linearizability

import (
	"fmt"

	"github.com/anishathalye/porcupine"
)

// KeyOp is a call on an API key.
type KeyOp int

// The key calls: POST /v1/keys (made before the key's other calls), POST
// /v1/keys/verify, PATCH /v1/keys/{id} with remaining, DELETE
// /v1/keys/{id}.
const (
	KeyCreate KeyOp = iota
	KeyVerify
	KeySetRemaining
	KeyRevoke
)

var keyOpNames = [...]string{"create", "verify", "set-remaining", "revoke"}

// Unlimited, as a count of remaining uses, is no limit.
const Unlimited = -1

// KeyInput is a call on one API key (Object).
type KeyInput struct {
	Object int
	Op     KeyOp
	// Create: the key's remaining uses (Unlimited for none) and its rate
	// limit per window (0 for none; the window outlasts the history).
	// SetRemaining: the new remaining uses.
	Remaining int64
	Limit     int64
	Cost      int64 // verify
	Span      Span
}

func (in KeyInput) object() int { return in.Object }

// KeyOutput is the answer.
type KeyOutput struct {
	Unknown bool
	// Verify: the status, remaining (Unlimited when the answer has none)
	// and ratelimit.remaining (Unlimited when none).
	Status        string
	Remaining     int64
	RateRemaining int64
	// SetRemaining, Revoke: the HTTP status (200 or 409, 204).
	HTTP int
}

// keyState is one key.
type keyState struct {
	created bool
	rem     int64 // Unlimited: no limit
	limit   int64 // 0: no rate limit
	count   int64 // uses counted in the window
	revoked bool
}

// KeyModel is what the service promises of an API key with remaining uses
// and a rate limit:
//
//   - a verification of a live key spends its cost from both counters if
//     both allow it, and answers VALID with what is left; it never admits
//     more than the counters hold, in any order;
//   - otherwise it answers USAGE_EXCEEDED (remaining uses short of the cost)
//     or RATE_LIMITED (the window full), spending nothing, with the
//     counters as they are;
//   - a PATCH of remaining sets the remaining uses, unless the key is
//     revoked (409); after DELETE, every verification answers REVOKED.
//
// The rate-limit window is longer than a history, so the limit is a
// counter here; the window's turn is the keys package's tests' business.
var KeyModel = porcupine.Model{
	Partition: partition,
	Init:      func() any { return keyState{} },
	Step: func(state, input, output any) (bool, any) {
		return keyStep(state.(keyState), input.(KeyInput), output.(KeyOutput))
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(KeyInput), output.(KeyOutput)
		var call string
		switch in.Op {
		case KeyCreate:
			call = fmt.Sprintf("create(remaining=%d, limit=%d)", in.Remaining, in.Limit)
		case KeyVerify:
			call = fmt.Sprintf("verify(cost=%d)", in.Cost)
		case KeySetRemaining:
			call = fmt.Sprintf("set-remaining(%d)", in.Remaining)
		default:
			call = keyOpNames[in.Op] + "()"
		}
		switch {
		case out.Unknown:
			return call + " → ?"
		case in.Op == KeyVerify:
			return fmt.Sprintf("%s → %s remaining=%d rate-remaining=%d", call, out.Status, out.Remaining, out.RateRemaining)
		}
		return fmt.Sprintf("%s → %d", call, out.HTTP)
	},
	DescribeState: func(state any) string {
		s := state.(keyState)
		return fmt.Sprintf("remaining=%d used=%d/%d revoked=%v", s.rem, s.count, s.limit, s.revoked)
	},
}

func keyStep(s keyState, in KeyInput, out KeyOutput) (bool, keyState) {
	if in.Op == KeyCreate {
		if s.created || out.Unknown {
			return false, s // the recorder creates each key once, and knows it did
		}
		return true, keyState{created: true, rem: in.Remaining, limit: in.Limit}
	}
	if !s.created {
		return false, s
	}
	switch in.Op {
	case KeyRevoke:
		s.revoked = true
		return out.Unknown || out.HTTP == 204, s
	case KeySetRemaining:
		if s.revoked {
			return out.Unknown || out.HTTP == 409, s
		}
		s.rem = in.Remaining
		return out.Unknown || out.HTTP == 200, s
	case KeyVerify:
		return keyVerify(s, in, out)
	}
	return false, s
}

func keyVerify(s keyState, in KeyInput, out KeyOutput) (bool, keyState) {
	c := in.Cost
	usageShort := s.rem != Unlimited && s.rem < c
	rateFull := s.limit > 0 && s.count+c > s.limit
	if out.Unknown {
		if !s.revoked && !usageShort && !rateFull {
			s = s.spend(c)
		}
		return true, s
	}
	if s.revoked {
		return out.Status == "REVOKED", s
	}
	switch {
	case usageShort:
		return out.Status == "USAGE_EXCEEDED" && out.Remaining == s.rem && s.rateLeft() == out.RateRemaining, s
	case rateFull:
		return out.Status == "RATE_LIMITED" && out.Remaining == s.rem && s.rateLeft() == out.RateRemaining, s
	}
	s = s.spend(c)
	return out.Status == "VALID" && out.Remaining == s.rem && s.rateLeft() == out.RateRemaining, s
}

func (s keyState) spend(c int64) keyState {
	if s.rem != Unlimited {
		s.rem -= c
	}
	if s.limit > 0 {
		s.count += c
	}
	return s
}

// rateLeft is ratelimit.remaining as the service answers it.
func (s keyState) rateLeft() int64 {
	if s.limit == 0 {
		return Unlimited
	}
	return max(s.limit-s.count, 0)
}
