package deliver

import (
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/unguessable/secrets"
)

// KeyBytes is the length of a delivery key.
const KeyBytes = chacha20poly1305.KeySize

// ErrSealed is returned by Sealer.Open for a sealed plaintext that this key
// did not seal, or that was changed: the instances of one database need
// copies of one delivery key.
var ErrSealed = errors.New("deliver: the sealed plaintext does not open with this delivery key")

// Sealer seals the plaintext of a delivery job with XChaCha20-Poly1305: a
// random 192-bit nonce per job, and the job's id as additional data, so a
// sealed value copied to another job does not open.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer with key, KeyBytes random bytes.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeyBytes {
		return nil, fmt.Errorf("%w: the delivery key has %d bytes, want %d", ErrConfig, len(key), KeyBytes)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal returns plaintext sealed for the job id: nonce, then ciphertext.
func (s *Sealer) Seal(id, plaintext string) []byte {
	nonce := secrets.TokenBytes(chacha20poly1305.NonceSizeX)
	return s.aead.Seal(nonce, nonce, []byte(plaintext), []byte(id))
}

// Open returns the plaintext that Seal sealed for the job id, or ErrSealed.
func (s *Sealer) Open(id string, sealed []byte) (string, error) {
	if len(sealed) < chacha20poly1305.NonceSizeX+s.aead.Overhead() {
		return "", ErrSealed
	}
	n := chacha20poly1305.NonceSizeX
	p, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(id))
	if err != nil {
		return "", ErrSealed
	}
	return string(p), nil
}

// KeyID is the id of a delivery key that the database may keep, to tell
// instances with different keys apart: the first 8 bytes of its SHA-256,
// in hex, which say nothing of the key.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return "dk_" + hex.EncodeToString(sum[:8])
}
