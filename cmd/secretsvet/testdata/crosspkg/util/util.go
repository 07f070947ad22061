// Package util returns math/rand values under names that say nothing.
package util

import (
	"math/rand"
	"strconv"
)

const letters = "abcdefghijklmnopqrstuvwxyz"

func GetRandomString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[rand.Intn(len(letters))]
	}
	return string(b)
}

var SetState = func() string { return strconv.FormatInt(rand.Int63(), 36) }
