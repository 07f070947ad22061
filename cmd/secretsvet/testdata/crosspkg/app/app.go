// Package app makes an OAuth nonce and a CSRF token out of package util's
// helpers.
package app

import "example.com/crosspkg/util"

func Nonce() string {
	nonce := util.GetRandomString(16)
	return nonce
}

func CSRFToken() string {
	return util.SetState()
}
