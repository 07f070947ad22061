package secretname

import (
	"go/types"
	"slices"
	"testing"
)

func TestWordsSplitsIdentifiers(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"resetToken", []string{"reset", "token"}},
		{"reset_token", []string{"reset", "token"}},
		{"APIKey", []string{"api", "key"}},
		{"sessionID", []string{"session", "id"}},
		{"HTTPServerToken2", []string{"http", "server", "token"}},
		{"x", []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" splits into its words", func(t *testing.T) {
			if got := Words(tt.name); !slices.Equal(got, tt.want) {
				t.Errorf("Words(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestIsSecret(t *testing.T) {
	str := types.Typ[types.String]
	integer := types.Typ[types.Int]
	boolean := types.Typ[types.Bool]
	bytes := types.NewSlice(types.Typ[types.Byte])
	tests := []struct {
		name string
		t    types.Type
		want bool
	}{
		{"resetToken", str, true},
		{"tokens", str, true},
		{"apiKey", str, true},
		{"api_key", bytes, true},
		{"key", bytes, true},
		{"key", integer, false},
		{"pin", integer, true},
		{"otpCode", integer, true},
		{"sessionID", str, true},
		{"csrf", str, true},
		{"tokenizer", str, false},
		{"tokenCount", integer, false},
		{"sessionTimeout", integer, false},
		{"passwordLength", integer, false},
		{"resetToken", boolean, false},
		{"pinned", str, false},
		{"playlist", str, false},
		{"genToken", str, true},
		{"genKey", bytes, true},
		{"tokenGen", str, false},
		{"keyGen", bytes, false},
		{"replyToken", str, false},
		{"inboxToken", str, false},
		{"publicKey", bytes, false},
		{"pubKey", bytes, false},
		{"signingKey", bytes, true},
		{"smpSecretMissingError", str, false},
		{"errBadToken", str, false},
	}
	for _, tt := range tests {
		t.Run(tt.name+" of type "+tt.t.String(), func(t *testing.T) {
			if got := IsSecret(tt.name, tt.t); got != tt.want {
				t.Errorf("IsSecret(%q, %v) = %v, want %v", tt.name, tt.t, got, tt.want)
			}
		})
	}
}

func TestIsDigestAndTokenName(t *testing.T) {
	str := types.Typ[types.String]
	if !IsDigest("expectedMAC", str) || !IsDigest("sig", str) || IsDigest("hashCount", str) || IsDigest("mac", types.Typ[types.Int]) {
		t.Error("IsDigest disagrees with its documentation")
	}
	if IsDigest("etagHash", str) || IsDigest("etag", str) {
		t.Error("an ETag is a public hash, not a digest to compare in constant time")
	}
	if !IsTokenName("resetToken") || IsTokenName("nonce") || IsTokenName("salt") {
		t.Error("IsTokenName disagrees with its documentation")
	}
}

func TestIsCode(t *testing.T) {
	str, integer := types.Typ[types.String], types.Typ[types.Int]
	tests := []struct {
		name string
		t    types.Type
		want bool
	}{
		{"code", str, true},
		{"registrationCode", str, true},
		{"loginCode", integer, true},
		{"sms_code", str, true},
		{"statusCode", integer, false},
		{"errorCode", str, false},
		{"countryCode", str, false},
		{"codeLength", integer, false},
		{"codec", str, false},
		{"code", types.Typ[types.Bool], false},
	}
	for _, tt := range tests {
		t.Run(tt.name+" of type "+tt.t.String(), func(t *testing.T) {
			if got := IsCode(tt.name, tt.t); got != tt.want {
				t.Errorf("IsCode(%q, %v) = %v, want %v", tt.name, tt.t, got, tt.want)
			}
		})
	}
}

func TestKeyOnlyIdentifierAndSessionID(t *testing.T) {
	str := types.Typ[types.String]
	tests := []struct {
		name                      string
		keyOnly, ident, sessionID bool
	}{
		{"key", true, false, false},
		{"signingKey", true, false, false},
		{"apiKey", false, false, false},
		{"secretKey", false, false, false},
		{"keyID", true, true, false},
		{"tokenID", false, true, false},
		{"sessionID", false, true, true},
		{"session_ids", false, true, true},
		{"token", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is told apart", func(t *testing.T) {
			if got := KeyOnly(tt.name, str); got != tt.keyOnly {
				t.Errorf("KeyOnly(%q) = %v, want %v", tt.name, got, tt.keyOnly)
			}
			if got := IsIdentifier(tt.name); got != tt.ident {
				t.Errorf("IsIdentifier(%q) = %v, want %v", tt.name, got, tt.ident)
			}
			if got := IsSessionID(tt.name); got != tt.sessionID {
				t.Errorf("IsSessionID(%q) = %v, want %v", tt.name, got, tt.sessionID)
			}
		})
	}
}
