// Package plain holds uses of math/rand that must not be reported: nothing
// secret is made from them.
package plain

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	mrand "math/rand"
	r2 "math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// gosec #568: helpers for test data.
func getRandomBool() bool {
	return mrand.Int31()&(1<<30) == 0 // ok
}

func getRandomInt(min, max int) int {
	return mrand.Intn(max-min+1) + min // ok
}

func getRandomDate(min, max int64) time.Time {
	delta := max - min
	sec := mrand.Int63n(delta) + min // ok
	return time.Unix(sec, 0)
}

// gosec #1278: printing a math/rand/v2 number.
func print1278() {
	fmt.Println("testing: ", r2.N(1000)) // ok
}

func jitter(base time.Duration) time.Duration {
	return base + time.Duration(mrand.Int63n(int64(base))) // ok
}

func backoff(attempt int) {
	retryDelay := time.Duration(r2.IntN(1<<attempt)) * time.Millisecond // ok
	time.Sleep(retryDelay)
}

func shuffle(playlist []string) {
	mrand.Shuffle(len(playlist), func(i, j int) { playlist[i], playlist[j] = playlist[j], playlist[i] }) // ok
}

func simulate(n int) float64 {
	g := mrand.New(mrand.NewSource(42))
	hits := 0
	for range n {
		x, y := g.Float64(), g.Float64() // ok
		if x*x+y*y < 1 {
			hits++
		}
	}
	return 4 * float64(hits) / float64(n)
}

func sample(items []string) string {
	return items[r2.IntN(len(items))] // ok
}

func tokenCount() int {
	tokenCount := mrand.Intn(5) // ok: a count of tokens, not a token
	return tokenCount
}

func sessionTimeout() time.Duration {
	sessionTimeout := time.Duration(mrand.Intn(60)) * time.Second // ok
	return sessionTimeout
}

func cacheShard(key string) int {
	shard := mrand.Intn(16) // ok
	return shard
}

func loadBalance(backends []string) string {
	backend := backends[mrand.Intn(len(backends))] // ok
	return backend
}

// crypto/rand is what secrets should use; nothing to report.
func cryptoToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	token := fmt.Sprintf("%x", b) // ok
	return token
}

func cryptoHash(data []byte) [32]byte {
	return sha256.Sum256(data) // ok: data is not random
}

func header(w http.ResponseWriter) {
	w.Header().Set("X-Shard", strconv.Itoa(mrand.Intn(4)))      // ok: a shard number is no credential
	w.Header().Set("Retry-After", strconv.Itoa(mrand.Intn(30))) // ok
}

func requestHeader(req *http.Request) {
	req.Header.Set("X-Debug-Sample", strconv.Itoa(mrand.Intn(100))) // ok: a request's header, not a response's
}

func colour() string {
	colors := []string{"red", "green"}
	c := colors[r2.IntN(2)] // ok
	return c
}

func mapKey() map[int]string {
	m := map[int]string{}
	m[mrand.Int()] = "x" // ok
	return m
}

func resetFlag() bool {
	reset := mrand.Intn(2) == 0 // ok: a bool cannot hold a secret
	return reset
}

func seed() {
	mrand.Seed(time.Now().UnixNano()) // ok
}

func randomName() string {
	return fmt.Sprintf("player-%d", mrand.Intn(1000)) // ok
}
