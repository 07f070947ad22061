// Package flow holds cases where the order of statements and what a method
// does with its argument decide whether a value is weak: a random delay
// handed to a peer does not make the peer's password weak, a builder is
// weak only from the first weak byte written, and the count and error of
// rand.Read are not the random bytes.
package flow

import (
	"crypto/tls"
	"math/rand"
	"net/url"
	"strconv"
	"strings"
	"time"
)

type Peer struct {
	Addr     string
	Password string
	delay    time.Duration
}

func (p *Peer) SetDelay(d time.Duration) { p.delay = d }

// A random back-off handed to a method leaves the rest of the peer alone.
func dial(p *Peer, cfg *tls.Config) (*tls.Conn, error) {
	p.SetDelay(time.Duration(rand.Intn(100)) * time.Millisecond)
	password := p.Password
	_ = password
	return tls.Dial("tcp", p.Addr, cfg)
}

const letters = "abcdefghijklmnopqrstuvwxyz"

// A builder is weak from the first weak byte written into it, not before.
func prefixFirst() (string, string) {
	var sb strings.Builder
	sb.WriteString("tok_")
	tokenHead := sb.String()
	sb.WriteByte(letters[rand.Intn(len(letters))])
	token := sb.String() // want `math/rand.Intn reaches variable token`
	return tokenHead, token
}

// In a loop, a write late in the body makes the builder weak at its top too.
func inLoop() string {
	var sb strings.Builder
	token := ""
	for range 16 {
		token = sb.String() // want `math/rand.Intn reaches variable token`
		sb.WriteByte(letters[rand.Intn(len(letters))])
	}
	return token
}

// Values stored with Set make the container weak.
func authURL() string {
	v := url.Values{}
	v.Set("state", strconv.Itoa(rand.Int()))
	csrfToken := v.Encode() // want `math/rand.Int reaches variable csrfToken`
	return csrfToken
}

// The count and the error of rand.Read are not the random bytes.
func newPassword() (string, error) {
	b := make([]byte, 12)
	n, err := rand.Read(b)
	if err != nil {
		return "", err
	}
	passwordLen := n
	_ = passwordLen
	password := string(b) // want `math/rand.Read reaches variable password`
	return password, nil
}

func resetToken() ([]byte, error) {
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		return nil, err
	}
	var token []byte
	token = buf // want `math/rand.Read reaches variable token`
	return token, nil
}

// A value used before it is drawn is not weak.
func before() (string, string) {
	var s string
	apiKey := s
	s = string(letters[rand.Intn(len(letters))])
	return apiKey, s
}
