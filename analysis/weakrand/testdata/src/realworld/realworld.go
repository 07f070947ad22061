// Package realworld holds math/rand uses as public modules write them
// (bench/vet-realworld) that are not secrets, and one that is.
package realworld

import (
	"crypto/tls"
	"math/rand"
	"net"
	"strconv"
	"strings"
)

// go-redis picks a ring shard by a random shard key.
type ring struct{ shards map[string]string }

func (r *ring) GetByKey(key string) string {
	key = strings.ToLower(key)
	return r.shards[key]
}

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

// nats-server makes up a user for clients without credentials; its password
// is part of its name, which it hands out.
type User struct{ Username, Password string }

func noAuthUser() *User {
	uname := "nats-" + strconv.FormatInt(rand.Int63(), 36)
	return &User{Username: uname, Password: uname[5:]} // ok
}

func weakUser(name string) *User {
	v := strconv.FormatInt(rand.Int63(), 36)
	return &User{Username: name, Password: v} // want `reaches field Password`
}

// minio-go names an upload with a random suffix; the name reaches the Key
// (the S3 object key) of an error response.
type ErrorResponse struct {
	Key     string
	Message string
}

func errTooLarge(objectName string) ErrorResponse {
	return ErrorResponse{Key: objectName, Message: "too large"}
}

func upload() ErrorResponse {
	name := "snowball-upload-" + strconv.FormatUint(rand.Uint64(), 16) + ".tar"
	return errTooLarge(name) // ok
}

// A key of bytes in a field is key material.
type sealer struct{ Key []byte }

func newSealer() *sealer {
	k := make([]byte, 32)
	rand.Read(k)
	return &sealer{Key: k} // want `reaches field Key`
}
