package keys

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/unguessable/secrets/store"
)

// checkStatus checks a listing's status filter.
func checkStatus(s string) error {
	switch store.KeyStatus(s) {
	case "", store.KeyActive, store.KeyExpired, store.KeyRevoked, store.KeyDisabled:
		return nil
	}
	return invalid("status", "must be active, expired, revoked or disabled")
}

// A cursor is base64url of "k1." + the last key's id + "." + 16 hex digits
// of the SHA-256 of the filter it pages through. It is no secret (key ids
// are not), so it carries no MAC; the digest only lets List refuse a
// cursor of another filter or another list, which would otherwise page
// through the wrong keys without a word.
const cursorVersion = "k1"

func (o ListOptions) filterTag() string {
	sum := sha256.Sum256([]byte(strings.Join([]string{"keys.List", o.Owner, o.Namespace, o.Status, o.NamePrefix}, "\x00")))
	return fmt.Sprintf("%x", sum[:8])
}

func (o ListOptions) encodeCursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorVersion + "." + lastID + "." + o.filterTag()))
}

// decodeCursor returns the id a page starts after: "" for no cursor.
func (o ListOptions) decodeCursor() (string, error) {
	if o.Cursor == "" {
		return "", nil
	}
	bad := invalid("cursor", "is not a cursor of this list: pass the cursor of the previous page with the same owner, namespace, status and name_prefix, or none to start again")
	raw, err := base64.RawURLEncoding.DecodeString(o.Cursor)
	if err != nil {
		return "", bad
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 || parts[0] != cursorVersion || parts[2] != o.filterTag() || !store.IsID("key", parts[1]) {
		return "", bad
	}
	return parts[1], nil
}
