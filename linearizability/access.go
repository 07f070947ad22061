package linearizability

import (
	"fmt"

	"github.com/anishathalye/porcupine"
)

// AccessOp is a call with, or on, an access key.
type AccessOp int

// The access-key calls: POST /v1/access-keys (made before the key's other
// calls, with the root key), a call made with the key (POST
// /v1/tokens/verify of a token that does not exist: 200 if the key is
// accepted, 401 if not), and DELETE /v1/access-keys/{id} with the root key.
const (
	AccessCreate AccessOp = iota
	AccessUse
	AccessRevoke
)

var accessOpNames = [...]string{"create", "use", "revoke"}

// AccessCacheTTL is how long an instance may go on trusting what it read of
// an access key (access.DefaultTTL). A revocation answers only once it has
// passed, so the model allows no call after the answer; the recorder keeps
// calling for this long after it, where a cache that outlived the wait
// would show.
const AccessCacheTTL = 1000 // milliseconds

// AccessInput is a call on one access key (Object), made to the process
// Proc (an instance and its restarts are different processes).
type AccessInput struct {
	Object int
	Op     AccessOp
	Proc   int
	Span   Span
}

func (in AccessInput) object() int { return in.Object }

// AccessOutput is the answer: OK is a 2xx (for a use, the key was
// accepted), otherwise the key was refused with 401.
type AccessOutput struct {
	Unknown bool
	OK      bool
}

// accessState is one access key. A revocation records the process that
// made it and when its answer came (Never if it did not).
type accessState struct {
	created    bool
	revoked    bool
	revokeProc int
	revokedAt  int64
}

// AccessModel is what the service promises of an access key revoked while
// in use: once DELETE /v1/access-keys/{id} has answered, no call with the
// key succeeds on any process (the revocation waits out the other
// instances' caches before it answers); before the revocation every call
// with it succeeds. While the revocation is under way, another process may
// still accept the key after some process has refused it: that is not
// linearizable, and the model allows exactly that, no more.
var AccessModel = porcupine.Model{
	Partition: partition,
	Init:      func() any { return accessState{} },
	Step: func(state, input, output any) (bool, any) {
		return accessStep(state.(accessState), input.(AccessInput), output.(AccessOutput))
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(AccessInput), output.(AccessOutput)
		call := fmt.Sprintf("%s(proc %d)", accessOpNames[in.Op], in.Proc)
		switch {
		case out.Unknown:
			return call + " → ?"
		case out.OK:
			return call + " → ok"
		}
		return call + " → 401"
	},
	DescribeState: func(state any) string {
		s := state.(accessState)
		if s.revoked {
			return fmt.Sprintf("revoked by proc %d", s.revokeProc)
		}
		return fmt.Sprintf("created=%v", s.created)
	},
}

func accessStep(s accessState, in AccessInput, out AccessOutput) (bool, accessState) {
	switch in.Op {
	case AccessCreate:
		return !s.created && !out.Unknown && out.OK, accessState{created: true}
	case AccessRevoke:
		if !s.created || s.revoked {
			return false, s // the recorder revokes each key once
		}
		if !out.Unknown && !out.OK {
			return false, s
		}
		at := in.Span.Return // Never when no answer came: then no process is bound by it
		return true, accessState{created: true, revoked: true, revokeProc: in.Proc, revokedAt: at}
	case AccessUse:
		if !s.created {
			return false, s
		}
		if out.Unknown {
			return true, s
		}
		if !s.revoked {
			return out.OK, s
		}
		if !out.OK {
			return true, s
		}
		// Accepted after the revocation took effect: only by another
		// process, in a call made before the revocation answered (it
		// answers once every instance's cache has run out, so another
		// instance may still trust its copy until then), or when the
		// revocation's answer never came.
		if s.revokedAt == Never {
			return true, s
		}
		return in.Proc != s.revokeProc && in.Span.Call < s.revokedAt+Margin, s
	}
	return false, s
}
