// Package weakv2 holds math/rand/v2 values that reach security sinks, and
// generators that are, or are not, strong enough to make secrets.
package weakv2

import (
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	r2 "math/rand/v2"
	"net/http"
	"strconv"
)

func topLevel() {
	apiToken := strconv.FormatUint(r2.Uint64(), 36) // want `math/rand/v2.Uint64 reaches variable apiToken`
	_ = apiToken
}

func n() {
	pinCode := r2.N(1000000) // want `math/rand/v2.N reaches variable pinCode: .*use secrets.RandBelow`
	_ = pinCode
}

func intN() {
	otp := fmt.Sprintf("%06d", r2.IntN(1000000)) // want `math/rand/v2.IntN reaches variable otp: .*use secrets.RandBelow`
	_ = otp
}

func pcg() {
	g := r2.New(r2.NewPCG(1, 2))
	sessionToken := g.Uint64() // want `math/rand/v2.Rand.Uint64 reaches variable sessionToken`
	_ = sessionToken
}

func pcgDirect() {
	p := r2.NewPCG(3, 4)
	csrfToken := strconv.FormatUint(p.Uint64(), 16) // want `math/rand/v2.PCG.Uint64 reaches variable csrfToken`
	_ = csrfToken
}

func chachaConstantSeed() {
	var seed [32]byte // all zeros: anyone can run the same generator
	g := r2.New(r2.NewChaCha8(seed))
	secretKey := make([]byte, 32)
	binary.LittleEndian.PutUint64(secretKey, g.Uint64()) // the bytes are put into secretKey by PutUint64
	resetCode := fmt.Sprint(g.Uint64())                  // want `math/rand/v2.Rand.Uint64 reaches variable resetCode`
	_ = resetCode
}

func chachaRead() {
	c := r2.NewChaCha8([32]byte{1})
	b := make([]byte, 16)
	c.Read(b)
	w := http.Cookie{Value: fmt.Sprintf("%x", b)} // want `math/rand/v2.ChaCha8.Read reaches http.Cookie Value`
	_ = w
}

// A ChaCha8 generator seeded from crypto/rand is a CSPRNG: not reported.
func chachaStrong() {
	var seed [32]byte
	crand.Read(seed[:])
	g := r2.New(r2.NewChaCha8(seed))
	sessionToken := strconv.FormatUint(g.Uint64(), 36) // ok
	_ = sessionToken
}

func chachaStrongDirect() {
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		panic(err)
	}
	c := r2.NewChaCha8(seed)
	nonce := make([]byte, 12)
	c.Read(nonce)
	apiKey := fmt.Sprintf("%x", nonce) // ok
	_ = apiKey
}

func chachaStrongInline() string {
	var seed [32]byte
	crand.Read(seed[:])
	token := r2.New(r2.NewChaCha8(seed)).Uint64() // ok
	return strconv.FormatUint(token, 16)
}
