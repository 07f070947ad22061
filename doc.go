// Package secrets generates values that must stay unguessable: tokens for
// password-reset links and API keys, random choices, and uniform integers,
// all drawn from the operating system's cryptographically secure random number
// generator through [crypto/rand].
//
// It follows Python's secrets module ([TokenBytes], [TokenHex],
// [TokenURLSafe], [Choice], [RandBelow], [RandBits], [CompareDigest]) and adds
// what Go programs building on it need: [TokenString] over any alphabet,
// [RandBelowBig] for arbitrary-precision bounds, [Shuffle] and [Sample].
//
// # Threat model
//
// A token is safe when an attacker who has seen any number of earlier tokens,
// and who can make as many guesses as the system lets them, still has only a
// negligible chance of guessing a live one. That takes two things:
//
//   - An unpredictable source. Every function here reads crypto/rand directly.
//     No exported API takes an io.Reader of randomness, so no caller can pass
//     a seeded or weak generator by mistake. math/rand and math/rand/v2 are
//     predictable from a few hundred outputs (see the crack package).
//   - Enough entropy. [DefaultEntropy] is 32 bytes (256 bits). 16 bytes
//     (128 bits) is the floor for tokens that must survive offline attack.
//
// Sampling is unbiased: every function that maps random bytes onto a range
// that is not a power of two uses rejection sampling, never a bare modulo.
//
// Comparisons of secrets must not leak, through their running time, how much
// of a guess was right. Use [CompareDigest] or [CompareDigestString], never
// == or bytes.Equal.
//
// # Which function for which job
//
//   - A password-reset, email-verification or magic-link token in a URL:
//     [TokenURLSafe] with [DefaultEntropy].
//   - A token stored or displayed as hex: [TokenHex].
//   - Key material for a cipher or MAC: [TokenBytes].
//   - A string over your own alphabet (API key bodies, codes, passwords):
//     [TokenString].
//   - A uniform integer: [RandBelow], [RandBelowBig] or [RandBits].
//   - Picking from a list: [Choice], [Sample], [Shuffle].
//   - Checking a presented token against the expected one: [CompareDigest].
//
// # The other packages
//
// The generators (apikey, otp, passphrase, password, entropy) build on this
// package; the managers (token, code, keys) issue and verify secrets over a
// store (store/sqlite, store/postgres); server is the HTTP API over the
// managers. docs/ARCHITECTURE.md in the repository says which package owns
// what and where a new record or endpoint goes.
//
// # Failure behaviour
//
// Like [crypto/rand.Read], these functions never return an error: on the rare
// legacy system where the operating system cannot supply randomness, the
// program crashes rather than continue with weak values. Programmer misuse,
// such as a negative length or an empty slice, panics with a message that
// starts with "secrets:" and names the bad argument.
package secrets
