// Package secrets is a stand-in for github.com/unguessable/secrets with the
// functions the tests call.
package secrets

func TokenHex(n int) string                          { return "" }
func TokenURLSafe(n int) string                      { return "" }
func TokenBytes(n int) []byte                        { return nil }
func TokenString(length int, alphabet string) string { return "" }
