package fiximport

import "net/http"

func check(r *http.Request, token string) bool {
	return r.Header.Get("X-Token") == token // want `== compares secret token`
}
