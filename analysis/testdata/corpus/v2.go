package corpus

import (
	"crypto/aes"
	"crypto/cipher"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"net/http"
)

// label: weak
func EncryptWithWeakKey(plain []byte) ([]byte, error) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(rand.IntN(256))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	crand.Read(nonce)
	return gcm.Seal(nonce, nonce, plain, nil), nil
}

// label: weak
func WeakNonce(gcm cipher.AEAD, plain []byte) []byte {
	nonce := make([]byte, gcm.NonceSize())
	for i := range nonce {
		nonce[i] = byte(rand.Uint32())
	}
	return gcm.Seal(nil, nonce, plain, nil)
}

// label: weak
func PCGSessionID(seed uint64) string {
	g := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	sessionID := fmt.Sprintf("%016x%016x", g.Uint64(), g.Uint64())
	return sessionID
}

// label: weak
func AuthHeader(w http.ResponseWriter) {
	w.Header().Set("Authorization", fmt.Sprintf("Bearer %x", rand.Uint64()))
}

// label: ok
func ChaChaFromCryptoSeed() string {
	var seed [32]byte
	crand.Read(seed[:])
	g := rand.New(rand.NewChaCha8(seed))
	token := fmt.Sprintf("%016x%016x", g.Uint64(), g.Uint64())
	return token
}

// label: ok
func PrintRandom() {
	fmt.Println("testing: ", rand.N(1000))
}

// label: ok
func RandomBool() bool {
	return rand.Int32()&(1<<30) == 0
}

// label: ok
func RandomInRange(min, max int) int {
	return rand.IntN(max-min+1) + min
}

// label: ok
func DiceRoll() int {
	return 1 + rand.IntN(6)
}

// label: ok
func BackoffSchedule(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = (1 << i) + rand.IntN(1<<i)
	}
	return out
}
