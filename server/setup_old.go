package server

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/store"
)

// The set-up of before access keys and pepper files, which secrets serve
// uses until it moves to RootKey, Bootstrap and LoadPeppers.

// AdminKeyPrefix starts every generated admin key, so that secret scanners
// and people can tell what it is.
const AdminKeyPrefix = "secrets_admin_"

// AdminKey returns the SHA-256 of the admin key. With fromEnv set (from
// SECRETS_ADMIN_KEY), that is the key, and nothing is stored. Otherwise the
// digest kept in st is used; on the first start there is none, so AdminKey
// generates a key of 256 bits, keeps only its digest and returns the
// plaintext as generated, which the caller shows once and forgets. Of
// several servers starting together on one database, exactly one gets a
// generated key; the others use its digest.
func AdminKey(ctx context.Context, st store.Store, fromEnv string) (digest [32]byte, generated string, err error) {
	if fromEnv != "" {
		if len(fromEnv) < MinAdminKeyLen {
			return digest, "", fmt.Errorf("%w: SECRETS_ADMIN_KEY has %d characters, at least %d are needed", ErrWeakSecret, len(fromEnv), MinAdminKeyLen)
		}
		return sha256.Sum256([]byte(fromEnv)), "", nil
	}
	candidate := AdminKeyPrefix + secrets.TokenURLSafe(32)
	want := sha256.Sum256([]byte(candidate))
	got, err := st.LoadOrStoreSetting(ctx, settingAdminKey, want[:])
	if err != nil {
		return digest, "", fmt.Errorf("server: admin key: %w", err)
	}
	if len(got) != sha256.Size {
		return digest, "", fmt.Errorf("server: admin key: the stored digest has %d bytes, want %d", len(got), sha256.Size)
	}
	copy(digest[:], got)
	if secrets.CompareDigest(got, want[:]) {
		return digest, candidate, nil
	}
	return digest, "", nil
}

// Pepper returns the key of code HMACs. With fromEnv set (from
// SECRETS_PEPPER) that is the pepper, which must have at least
// code.MinPepperBytes bytes; otherwise it is the pepper kept in st, 32
// random bytes generated on the first start. Keeping the pepper beside the
// codes protects them less than keeping it apart (set SECRETS_PEPPER for
// that), but still makes a copy of the codes table alone worthless.
func Pepper(ctx context.Context, st store.Store, fromEnv string) ([]byte, error) {
	if fromEnv != "" {
		if len(fromEnv) < code.MinPepperBytes {
			return nil, fmt.Errorf("%w: SECRETS_PEPPER has %d bytes, at least %d are needed", ErrWeakSecret, len(fromEnv), code.MinPepperBytes)
		}
		return []byte(fromEnv), nil
	}
	p, err := st.LoadOrStoreSetting(ctx, settingPepper, secrets.TokenBytes(32))
	if err != nil {
		return nil, fmt.Errorf("server: pepper: %w", err)
	}
	if len(p) < code.MinPepperBytes {
		return nil, fmt.Errorf("server: pepper: the stored pepper has %d bytes, want at least %d", len(p), code.MinPepperBytes)
	}
	return p, nil
}
