// Package app makes secrets out of crosspkg/util's math/rand helpers.
package app

import (
	"math/rand"
	"net/http"
	"strconv"
	"time"

	"crosspkg/util"
)

type Session struct {
	Token  string
	UserID int
}

func login(w http.ResponseWriter) *Session {
	s := &Session{Token: util.GetRandomString(32)}                       // want `math/rand.Intn \(via util.GetRandomString\) reaches field Token: .*use secrets.TokenString`
	http.SetCookie(w, &http.Cookie{Name: "sid", Value: util.RandomID()}) // want `math/rand.Intn \(via util.GetRandomString\) reaches http.Cookie Value`
	return s
}

func oauthNonce() string {
	nonce := util.SetState() // want `math/rand.Int63 \(via util.SetState\) reaches variable nonce`
	return nonce
}

func viaValue() string {
	f := util.SetState
	state := f()
	csrfToken := state // want `math/rand.Int63 \(via util.SetState\) reaches variable csrfToken`
	return csrfToken
}

func method(g *util.Generator) string {
	apiKey := g.Next() // want `math/rand.Rand.Uint64 \(via util.Next\) reaches variable apiKey`
	return apiKey
}

func reportedAlready() string {
	token := util.NewSessionToken() // reported in util, where it is made
	return token
}

func harmless() {
	time.Sleep(time.Duration(util.Jitter()) * time.Millisecond)
	name := util.Hex(3)
	_ = name
	password := util.Hex(42)
	_ = password
}

func session(w http.ResponseWriter) {
	util.Remember(w, strconv.Itoa(rand.Int())) // want `math/rand.Int reaches http.Cookie Value through SetSession through util.Remember`
}

func sign(msg []byte) []byte {
	return util.Sign([]byte(strconv.Itoa(rand.Int())), msg) // want `math/rand.Int reaches an argument of crypto/hmac.New through util.Sign`
}

func signRandomMessage(key []byte) []byte {
	return util.Sign(key, []byte(strconv.Itoa(rand.Int()))) // ok: the message may be anything
}
