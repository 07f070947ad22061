package fixsecrets

import "github.com/unguessable/secrets"

var _ = secrets.TokenHex

func check(password, got []byte) bool {
	return bytes2(password, got) || string(got) == string(password) // want `== compares secret`
}

func bytes2(a, b []byte) bool { return len(a) == len(b) }
