package keys

import "net/http"

type Account struct {
	RegistrationCode string
	CountryCode      string
}

// A one-time code checked against what a request presents is a secret.
func confirm(r *http.Request, a *Account) bool {
	return r.FormValue("code") != a.RegistrationCode // want `!= compares code a.RegistrationCode`
}

func login(r *http.Request, loginCode string) bool {
	submitted := r.PostFormValue("code")
	return submitted == loginCode // want `== compares code loginCode`
}

// A code that is a label is not, nor is a code compared with no request.
func country(r *http.Request, a *Account) bool {
	return r.FormValue("country") == a.CountryCode // ok: a country code
}

func sameCode(code, other string) bool {
	return code == other // ok: nothing says an attacker chose other
}
