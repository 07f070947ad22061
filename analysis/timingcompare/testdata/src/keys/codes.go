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

// A code issued earlier and looked up in a store, checked against the one
// a caller presents (the request was decoded by the handler).
type codeRecord struct {
	Code       string
	StatusCode string
}

type codeStore struct{ m map[string]codeRecord }

func (s *codeStore) Code(email string) (codeRecord, error) { return s.m[email], nil }

type verifier struct{ store *codeStore }

func (v *verifier) Verify(email, code string) bool {
	rec, err := v.store.Code(email)
	if err != nil {
		return false
	}
	return rec.Code == code // want `== compares code rec.Code`
}

func (v *verifier) status(email, status string) bool {
	rec, _ := v.store.Code(email)
	return rec.StatusCode == status // ok: a status code
}

func (v *verifier) same(a, b codeRecord) bool {
	return a.Code == b.Code // ok: two records compared field by field
}
