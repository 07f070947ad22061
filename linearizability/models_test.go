package linearizability_test

import (
	"testing"

	"github.com/anishathalye/porcupine"

	lin "github.com/unguessable/secrets/linearizability"
)

// The models on histories written by hand: each judges the ones it must
// accept linearizable and the ones it must refuse not, so that the harness
// can fail. Times are in ms; ret lin.Never is a call without an answer.

func op(client int, call, ret int64, in, out any) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Call: call, Return: ret, Input: in, Output: out}
}

func wall(call, ret int64) lin.Span { return lin.Span{Call: call, Return: ret} }

const hour = 3600_000

func tokIssue(c int, call, ret int64, n int) porcupine.Operation {
	return op(c, call, ret, lin.TokenInput{Op: lin.TokenIssue, Span: wall(call, ret)}, lin.TokenOutput{Token: n, ExpiresAt: hour})
}

func tok(c int, call, ret int64, o lin.TokenOp, n int, status string) porcupine.Operation {
	return op(c, call, ret, lin.TokenInput{Op: o, Token: n, Span: wall(call, ret)}, lin.TokenOutput{Status: status, Unknown: ret == lin.Never})
}

func codeIssue(c int, call, ret int64, n, maxAttempts int) porcupine.Operation {
	return op(c, call, ret, lin.CodeInput{Op: lin.CodeIssue, MaxAttempts: maxAttempts, TTL: hour, Span: wall(call, ret)}, lin.CodeOutput{Code: n, ExpiresAt: call + hour})
}

func codeCheck(c int, call, ret int64, n int, status string, left int) porcupine.Operation {
	return op(c, call, ret, lin.CodeInput{Op: lin.CodeCheck, Code: n, Span: wall(call, ret)}, lin.CodeOutput{Status: status, AttemptsLeft: left, Unknown: ret == lin.Never})
}

func keyCreate(remaining, limit int64) porcupine.Operation {
	return op(0, 0, 1, lin.KeyInput{Op: lin.KeyCreate, Remaining: remaining, Limit: limit, Span: wall(0, 1)}, lin.KeyOutput{HTTP: 201})
}

func keyVerify(c int, call, ret int64, status string, remaining, rateRemaining int64) porcupine.Operation {
	return op(c, call, ret, lin.KeyInput{Op: lin.KeyVerify, Cost: 1, Span: wall(call, ret)},
		lin.KeyOutput{Status: status, Remaining: remaining, RateRemaining: rateRemaining, Unknown: ret == lin.Never})
}

func access(c int, call, ret int64, o lin.AccessOp, proc int, ok bool) porcupine.Operation {
	return op(c, call, ret, lin.AccessInput{Op: o, Proc: proc, Span: wall(call, ret)}, lin.AccessOutput{OK: ok, Unknown: ret == lin.Never})
}

func TestModels(t *testing.T) {
	const n = lin.Unlimited
	for _, c := range []struct {
		name    string
		model   porcupine.Model
		history []porcupine.Operation
		want    bool
	}{
		{"a token redeemed twice at once is VALID once and USED once", lin.TokenModel, []porcupine.Operation{
			tokIssue(0, 0, 10, 0), tok(1, 20, 40, lin.TokenRedeem, 0, "USED"), tok(2, 20, 40, lin.TokenRedeem, 0, "VALID")}, true},
		{"a token redeemed twice at once is not VALID twice", lin.TokenModel, []porcupine.Operation{
			tokIssue(0, 0, 10, 0), tok(1, 20, 40, lin.TokenRedeem, 0, "VALID"), tok(2, 20, 40, lin.TokenRedeem, 0, "VALID")}, false},
		{"a redemption that answered USED before the VALID one was made is not linearizable", lin.TokenModel, []porcupine.Operation{
			tokIssue(0, 0, 10, 0), tok(1, 20, 30, lin.TokenRedeem, 0, "USED"), tok(2, 40, 50, lin.TokenRedeem, 0, "VALID")}, false},
		{"a redemption without an answer may have used the token", lin.TokenModel, []porcupine.Operation{
			tokIssue(0, 0, 10, 0), tok(1, 20, lin.Never, lin.TokenRedeem, 0, ""), tok(2, 40, 50, lin.TokenVerify, 0, "USED")}, true},
		{"a redemption without an answer may have done nothing", lin.TokenModel, []porcupine.Operation{
			tokIssue(0, 0, 10, 0), tok(1, 20, lin.Never, lin.TokenRedeem, 0, ""), tok(2, 40, 50, lin.TokenRedeem, 0, "VALID")}, true},
		{"a newer token revokes the older one", lin.TokenModel, []porcupine.Operation{
			tokIssue(0, 0, 10, 0), tokIssue(0, 20, 30, 1), tok(1, 40, 50, lin.TokenVerify, 0, "REVOKED"), tok(1, 60, 70, lin.TokenRedeem, 1, "VALID")}, true},
		{"a token of the revoked subject is not VALID after the revocation answered", lin.TokenModel, []porcupine.Operation{
			tokIssue(0, 0, 10, 0), op(1, 20, 30, lin.TokenInput{Op: lin.TokenRevoke, Span: wall(20, 30)}, lin.TokenOutput{Revoked: 1}), tok(2, 40, 50, lin.TokenRedeem, 0, "VALID")}, false},
		{"a revocation answers how many tokens it revoked", lin.TokenModel, []porcupine.Operation{
			tokIssue(0, 0, 10, 0), op(1, 20, 30, lin.TokenInput{Op: lin.TokenRevoke, Span: wall(20, 30)}, lin.TokenOutput{Revoked: 2})}, false},
		{"a token is not EXPIRED an hour before its expiry", lin.TokenModel, []porcupine.Operation{
			tokIssue(0, 0, 10, 0), tok(1, 20, 30, lin.TokenVerify, 0, "EXPIRED")}, false},
		{"a token is EXPIRED after its expiry, and not VALID", lin.TokenModel, []porcupine.Operation{
			tokIssue(0, 0, 10, 0), tok(1, hour+20, hour+30, lin.TokenVerify, 0, "EXPIRED"), tok(1, hour+1000, hour+1010, lin.TokenRedeem, 0, "VALID")}, false},

		{"a code's attempts are counted to its limit, then MAX_ATTEMPTS", lin.CodeModel, []porcupine.Operation{
			codeIssue(0, 0, 10, 0, 2), codeCheck(1, 20, 40, lin.WrongCode, "INVALID", 0), codeCheck(2, 20, 40, lin.WrongCode, "INVALID", 1),
			codeCheck(3, 20, 40, 0, "MAX_ATTEMPTS", 0)}, true},
		{"a code's attempts are not counted past its limit", lin.CodeModel, []porcupine.Operation{
			codeIssue(0, 0, 10, 0, 2), codeCheck(1, 20, 40, lin.WrongCode, "INVALID", 0), codeCheck(2, 20, 40, lin.WrongCode, "INVALID", 1),
			codeCheck(3, 20, 40, lin.WrongCode, "INVALID", 0)}, false},
		{"a code is APPROVED at most once", lin.CodeModel, []porcupine.Operation{
			codeIssue(0, 0, 10, 0, 5), codeCheck(1, 20, 40, 0, "APPROVED", 4), codeCheck(2, 20, 40, 0, "APPROVED", 3)}, false},
		{"a right code after the last attempt answered is not APPROVED (the right total in the wrong order)", lin.CodeModel, []porcupine.Operation{
			codeIssue(0, 0, 10, 0, 1), codeCheck(1, 20, 30, lin.WrongCode, "INVALID", 0), codeCheck(2, 40, 50, 0, "APPROVED", 0)}, false},
		{"a new code cancels the pending one", lin.CodeModel, []porcupine.Operation{
			codeIssue(0, 0, 10, 0, 5), codeIssue(0, 20, 30, 1, 5), codeCheck(1, 40, 50, 0, "INVALID", 4), codeCheck(1, 60, 70, 1, "APPROVED", 3),
			codeCheck(1, 80, 90, 1, "NOT_FOUND", 0)}, true},
		{"a check without an answer may have spent the last attempt", lin.CodeModel, []porcupine.Operation{
			codeIssue(0, 0, 10, 0, 1), codeCheck(1, 20, lin.Never, lin.WrongCode, "", 0), codeCheck(2, 40, 50, 0, "MAX_ATTEMPTS", 0)}, true},

		{"a key with 2 remaining uses admits 2 of 3 at once", lin.KeyModel, []porcupine.Operation{
			keyCreate(2, 0), keyVerify(1, 10, 20, "VALID", 1, n), keyVerify(2, 10, 20, "USAGE_EXCEEDED", 0, n), keyVerify(3, 10, 20, "VALID", 0, n)}, true},
		{"a key with 2 remaining uses does not admit 3", lin.KeyModel, []porcupine.Operation{
			keyCreate(2, 0), keyVerify(1, 10, 20, "VALID", 1, n), keyVerify(2, 10, 20, "VALID", 0, n), keyVerify(3, 10, 20, "VALID", 0, n)}, false},
		{"the last use is not answered before the one it follows was made", lin.KeyModel, []porcupine.Operation{
			keyCreate(2, 0), keyVerify(1, 10, 20, "VALID", 0, n), keyVerify(2, 30, 40, "VALID", 1, n)}, false},
		{"a rate limit of 2 admits 2 and answers RATE_LIMITED", lin.KeyModel, []porcupine.Operation{
			keyCreate(n, 2), keyVerify(1, 10, 20, "VALID", n, 1), keyVerify(2, 10, 20, "VALID", n, 0), keyVerify(3, 30, 40, "RATE_LIMITED", n, 0)}, true},
		{"a key without a rate limit is never RATE_LIMITED", lin.KeyModel, []porcupine.Operation{
			keyCreate(0, 0), keyVerify(1, 10, 20, "RATE_LIMITED", 0, n)}, false},
		{"a revoked key is REVOKED", lin.KeyModel, []porcupine.Operation{
			keyCreate(n, 0), op(1, 10, 20, lin.KeyInput{Op: lin.KeyRevoke, Span: wall(10, 20)}, lin.KeyOutput{HTTP: 204}), keyVerify(2, 30, 40, "VALID", n, n)}, false},

		{"an access key works until its revocation and not after", lin.AccessModel, []porcupine.Operation{
			access(0, 0, 1, lin.AccessCreate, 1, true), access(1, 10, 20, lin.AccessUse, 1, true), access(2, 30, 40, lin.AccessRevoke, 1, true),
			access(1, 50, 60, lin.AccessUse, 1, false), access(1, 70, 80, lin.AccessUse, 2, false)}, true},
		{"no call succeeds on the revoking process after the revocation answered", lin.AccessModel, []porcupine.Operation{
			access(0, 0, 1, lin.AccessCreate, 1, true), access(2, 30, 40, lin.AccessRevoke, 1, true), access(1, 50, 60, lin.AccessUse, 1, true)}, false},
		{"no other process trusts its cache once the revocation answered", lin.AccessModel, []porcupine.Operation{
			access(0, 0, 1, lin.AccessCreate, 1, true), access(2, 30, 40, lin.AccessRevoke, 1, true), access(1, 500, 510, lin.AccessUse, 2, true)}, false},
		{"a call during the revocation may succeed on another process", lin.AccessModel, []porcupine.Operation{
			access(0, 0, 1, lin.AccessCreate, 1, true), access(2, 30, 1040, lin.AccessRevoke, 1, true), access(1, 500, 510, lin.AccessUse, 2, true)}, true},
		{"no process trusts its cache past the cache time", lin.AccessModel, []porcupine.Operation{
			access(0, 0, 1, lin.AccessCreate, 1, true), access(2, 30, 40, lin.AccessRevoke, 1, true), access(1, 2000, 2010, lin.AccessUse, 2, true)}, false},
		{"a key is not refused before any revocation", lin.AccessModel, []porcupine.Operation{
			access(0, 0, 1, lin.AccessCreate, 1, true), access(1, 10, 20, lin.AccessUse, 1, false)}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := porcupine.CheckOperations(c.model, c.history); got != c.want {
				t.Errorf("linearizable: %v, want %v", got, c.want)
			}
		})
	}
}
