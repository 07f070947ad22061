// Package weakv1 holds math/rand values that reach security sinks. Each
// reported line carries a want comment; each line that must stay quiet ends
// in "// ok".
package weakv1

import (
	"crypto/aes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	mrand "math/rand"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const charset = "abcdefghijklmnopqrstuvwxyz0123456789"

type User struct {
	Name       string
	ResetToken string
	APIKey     string
	Pin        int
	Retries    int
}

func direct() {
	token := rand.Int63() // want `weak random value from math/rand.Int63 reaches variable token: math/rand is predictable from its outputs; use secrets.RandBelow`
	_ = token
}

func conversion() {
	sessionID := strconv.FormatInt(rand.Int63(), 16) // want `math/rand.Int63 reaches variable sessionID: .*use secrets.TokenURLSafe`
	_ = sessionID
}

func sprintf() string {
	csrf := fmt.Sprintf("%x", rand.Uint64()) // want `math/rand.Uint64 reaches variable csrf`
	return csrf
}

func indexing(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = charset[rand.Intn(len(charset))]
	}
	password := string(b) // want `math/rand.Intn reaches variable password: .*use secrets.TokenString`
	return password
}

func builder(n int) {
	var sb strings.Builder
	for range n {
		sb.WriteByte(charset[rand.Intn(len(charset))])
	}
	inviteCode := sb.String() // want `math/rand.Intn reaches variable inviteCode`
	_ = inviteCode
}

func appending(n int) {
	var out []byte
	for range n {
		out = append(out, charset[rand.Intn(36)])
	}
	var verificationCode = string(out) // want `reaches variable verificationCode`
	_ = verificationCode
}

func aliased() {
	apiKey := hex.EncodeToString([]byte(strconv.Itoa(mrand.Int()))) // want `math/rand.Int reaches variable apiKey`
	_ = apiKey
}

func readBytes() {
	buf := make([]byte, 32)
	rand.Read(buf)
	secret := base64.RawURLEncoding.EncodeToString(buf) // want `math/rand.Read reaches variable secret: .*use secrets.TokenURLSafe`
	_ = secret
}

func readKey() {
	b := make([]byte, 32) // named as nothing: the report is where it goes in
	rand.Read(b)
	aes.NewCipher(b) // want `math/rand.Read reaches an argument of crypto/aes.NewCipher`
}

func sign(msg []byte) []byte {
	k := []byte(strconv.Itoa(rand.Int()))
	m := hmac.New(sha256.New, k) // want `reaches an argument of crypto/hmac.New`
	m.Write(msg)
	return m.Sum(nil)
}

func generator() {
	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	nonce := r.Int63() // want `math/rand.Rand.Int63 reaches variable nonce`
	_ = nonce
}

func generatorRead(dst io.Writer) {
	r := rand.New(rand.NewSource(1))
	salt := make([]byte, 16)
	r.Read(salt)                                         // want `math/rand.Rand.Read reaches variable salt`
	passwordHash := sha256.Sum256(append(salt, "pw"...)) // ok: reported once, where the salt is filled
	fmt.Fprint(dst, passwordHash)
}

func readFull() {
	r := rand.New(rand.NewSource(2))
	b := make([]byte, 16)
	io.ReadFull(r, b)
	otp := hex.EncodeToString(b) // want `reaches variable otp`
	_ = otp
}

type server struct {
	rng *rand.Rand
}

func (s *server) field() {
	var u User
	u.ResetToken = strconv.Itoa(s.rng.Int()) // want `math/rand.Rand.Int reaches field ResetToken`
	_ = u
}

func literal() User {
	return User{Name: "x", APIKey: fmt.Sprint(rand.Int63())} // want `reaches field APIKey`
}

func pin() {
	u := User{Pin: rand.Intn(10000)} // want `math/rand.Intn reaches field Pin: .*use secrets.RandBelow`
	_ = u
}

func cookie(w http.ResponseWriter) {
	v := strconv.FormatUint(rand.Uint64(), 36)
	http.SetCookie(w, &http.Cookie{Name: "sid", Value: v}) // want `reaches http.Cookie Value`
}

func cookieField(w http.ResponseWriter) {
	c := &http.Cookie{Name: "id"}
	c.Value = strconv.Itoa(rand.Int()) // want `reaches http.Cookie Value`
	http.SetCookie(w, c)
}

func header(w http.ResponseWriter) {
	w.Header().Set("X-Request-Auth", strconv.Itoa(rand.Int())) // want `reaches response header X-Request-Auth`
	w.Header().Add("X-CSRF-Token", fmt.Sprint(rand.Int63()))   // want `reaches response header X-CSRF-Token`
}

func sendReset(email, token string) {}

func parameter() {
	sendReset("a@example.com", fmt.Sprint(rand.Int())) // want `reaches parameter token of sendReset`
}

// randomString is not a sink itself: its callers decide.
func randomString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = charset[rand.Intn(len(charset))]
	}
	return string(b)
}

func viaFunction() {
	resetToken := randomString(32) // want `math/rand.Intn \(via randomString\) reaches variable resetToken: .*use secrets.TokenString`
	_ = resetToken
}

func generateToken() string {
	return fmt.Sprintf("%016x", rand.Int63()) // want `reaches the result of generateToken`
}

func caller() {
	token := generateToken() // ok: reported once, at generateToken's return
	_ = token
}

func namedResult() (passphrase string) {
	passphrase = strings.Repeat(strconv.Itoa(rand.Intn(9)), 4) // want `reaches variable passphrase`
	return passphrase                                          // ok: already reported at the assignment
}

func closure() func() string {
	return func() string {
		sessionKey := strconv.Itoa(rand.Int()) // want `reaches variable sessionKey`
		return sessionKey
	}
}

func rangeOver() {
	for _, d := range rand.Perm(6) {
		otpDigit := d // want `math/rand.Perm reaches variable otpDigit`
		_ = otpDigit
	}
}

func ignored() {
	token := rand.Int63() //secretsvet:ignore demo data for the crack package, never issued
	_ = token
}

func ignoredAbove() {
	//secretsvet:ignore a fixture for the README
	token := rand.Int63()
	_ = token
}

func ignoreNeedsReason() {
	token := rand.Int63() //secretsvet:ignore // want `reaches variable token: .*needs a reason after it, so it does not silence this`
	_ = token
}

func cipherFromWeakKey(plain []byte) []byte {
	k := []byte(strconv.Itoa(rand.Int()))
	block, _ := aes.NewCipher(k) // want `reaches an argument of crypto/aes.NewCipher`
	out := make([]byte, len(plain))
	block.Encrypt(out, plain) // ok: the cipher is reported once, where the key goes in
	sessionBlob := out        // ok: ciphertext is not itself a weak random value
	_ = sessionBlob
	return out
}
