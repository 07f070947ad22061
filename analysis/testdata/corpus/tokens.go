package corpus

import (
	crand "crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// label: weak
func NewPasswordResetToken() string {
	b := make([]byte, 24)
	for i := range b {
		b[i] = alphabet[rand.Intn(len(alphabet))]
	}
	return string(b)
}

// label: weak
func IssueSession(w http.ResponseWriter) {
	sid := strconv.FormatInt(rand.Int63(), 36) + strconv.FormatInt(rand.Int63(), 36)
	http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, HttpOnly: true})
}

// label: weak
func GenerateAPIKey(prefix string) string {
	var sb strings.Builder
	sb.WriteString(prefix)
	for range 32 {
		sb.WriteByte(alphabet[rand.Intn(32)])
	}
	apiKey := sb.String()
	return apiKey
}

// label: weak
func OneTimeCode() string {
	otp := fmt.Sprintf("%06d", rand.Intn(1000000))
	return otp
}

// label: weak
func InviteLink(base string) string {
	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	b := make([]byte, 16)
	r.Read(b)
	inviteToken := hex.EncodeToString(b)
	return base + "?invite=" + inviteToken
}

// label: weak
func CSRFMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-CSRF-Token", strconv.FormatUint(rand.Uint64(), 16))
		next.ServeHTTP(w, r)
	})
}

type Account struct {
	Email             string
	VerificationToken string
	TempPassword      string
}

// label: weak
func Register(email string) Account {
	return Account{Email: email, VerificationToken: fmt.Sprintf("%x%x", rand.Uint32(), rand.Uint32())}
}

// label: weak
func ResetPassword(a *Account) {
	a.TempPassword = randomWord(12)
}

func randomWord(n int) string {
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[rand.Intn(len(alphabet))]
	}
	return string(out)
}

// label: weak
func SignupPIN() int {
	pin := 1000 + rand.Intn(9000)
	return pin
}

// label: ok
func SecureToken() string {
	b := make([]byte, 32)
	crand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// label: ok
func RetryWithJitter(attempt int) time.Duration {
	base := time.Duration(1<<attempt) * 100 * time.Millisecond
	return base + time.Duration(rand.Int63n(int64(base/2)))
}

// label: ok
func PickServer(servers []string) string {
	return servers[rand.Intn(len(servers))]
}

// label: ok
func ShufflePlaylist(songs []string) {
	rand.Shuffle(len(songs), func(i, j int) { songs[i], songs[j] = songs[j], songs[i] })
}

// label: ok
func SampleRequest() bool {
	return rand.Float64() < 0.01
}

// label: ok
func RandomColor() string {
	return fmt.Sprintf("#%06x", rand.Intn(0xffffff))
}

// label: ok
func MonteCarloPi(n int) float64 {
	r := rand.New(rand.NewSource(1))
	in := 0
	for range n {
		x, y := r.Float64(), r.Float64()
		if x*x+y*y <= 1 {
			in++
		}
	}
	return 4 * float64(in) / float64(n)
}

// label: ok
func GuestName() string {
	return "guest-" + strconv.Itoa(rand.Intn(10000))
}

// label: ok
func CacheTTL() time.Duration {
	return 5*time.Minute + time.Duration(rand.Intn(60))*time.Second
}

// label: ok
func SessionCleanupDelay() time.Duration {
	sessionSweepInterval := time.Duration(30+rand.Intn(30)) * time.Second
	return sessionSweepInterval
}
