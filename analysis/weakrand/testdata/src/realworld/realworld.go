// Package realworld holds math/rand uses as public modules write them
// (bench/vet-realworld) that are not secrets, and one that is.
package realworld

import (
	"crypto/tls"
	"math/rand"
	"net"
	"strconv"
)

// go-redis picks a ring shard by a random shard key.
type ring struct{ shards map[string]string }

func (r *ring) GetByKey(key string) string { return r.shards[key] }

func (r *ring) random() string {
	return r.GetByKey(strconv.Itoa(rand.Int())) // ok
}

// go-redis dials a randomly chosen sentinel over TLS: an address is not a
// secret.
func dialSentinel(addrs []string, cfg *tls.Config) (*tls.Conn, error) {
	addr := addrs[rand.Intn(len(addrs))]
	return tls.DialWithDialer(&net.Dialer{}, "tcp", addr, cfg) // ok
}

// nats.go cuts a request's routing token from its reply inbox.
func newRespInbox(prefix string) string {
	return prefix + strconv.FormatInt(rand.Int63(), 36)
}

func request(prefix string) string {
	respInbox := newRespInbox(prefix)
	token := respInbox[len(prefix):] // ok
	return token
}

// A key of bytes is key material, whatever the function is called.
func seal(key []byte) []byte { return key }

func weakKey() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return seal(b) // want `weak random value from math/rand.Read reaches parameter key of seal`
}
