package store

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxNameBytes is the longest purpose, subject, namespace, owner or key name
// the managers accept.
const MaxNameBytes = 256

// NameProblem returns why v cannot be stored as a purpose, subject,
// namespace, owner or key name, or "" if it can: it must be UTF-8 without NUL
// characters (which every backend stores as text alike), at most
// MaxNameBytes long, and not empty when required.
func NameProblem(v string, required bool) string {
	least := 0
	if required {
		least = 1
	}
	if len(v) < least || len(v) > MaxNameBytes {
		return fmt.Sprintf("must be %d to %d bytes long", least, MaxNameBytes)
	}
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return "must be UTF-8 text without NUL characters"
	}
	return ""
}
