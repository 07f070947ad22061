// Package argcheck holds the checks of arguments that the token, code and
// keys managers share: names and metadata. Each failure is a
// [*store.InvalidError] naming the manager and the field.
package argcheck

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/unguessable/secrets/store"
)

// nameProblem returns why v cannot be stored as a purpose, subject,
// namespace, owner or key name, or "" if it can: it must be UTF-8 without
// NUL characters (which every backend stores as text alike), at most
// store.MaxNameBytes long, and not empty when required.
func nameProblem(v string, required bool) string {
	least := 0
	if required {
		least = 1
	}
	if len(v) < least || len(v) > store.MaxNameBytes {
		return fmt.Sprintf("must be %d to %d bytes long", least, store.MaxNameBytes)
	}
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return "must be UTF-8 text without NUL characters"
	}
	return ""
}

// Name checks v as the name field (a purpose, subject, namespace, owner or
// key name) of manager pkg.
func Name(pkg, field, v string, required bool) error {
	if p := nameProblem(v, required); p != "" {
		return &store.InvalidError{Package: pkg, Field: field, Reason: p}
	}
	return nil
}

// NameOK reports whether v can be a required name: a lookup by a name that
// no record can have finds nothing without asking the store.
func NameOK(v string) bool { return nameProblem(v, true) == "" }

// Meta checks that meta is empty or a JSON object of at most most bytes.
func Meta(pkg string, meta json.RawMessage, most int) error {
	if len(meta) == 0 {
		return nil
	}
	if len(meta) > most {
		return &store.InvalidError{Package: pkg, Field: "meta", Reason: fmt.Sprintf("is %d bytes, the most is %d", len(meta), most)}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(meta, &obj); err != nil || obj == nil {
		return &store.InvalidError{Package: pkg, Field: "meta", Reason: "must be a JSON object"}
	}
	return nil
}

// First returns the first non-nil error, so that a message names one field.
func First(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
