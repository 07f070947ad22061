// Package entropy turns the size of a secret's space into bits, expected
// guesses and time to crack, for the secrets this module generates, and
// estimates the strength of passwords people choose with zxcvbn.
//
// A secret drawn uniformly from 2^b possibilities takes an attacker who
// tries them in any order (2^b + 1) / 2 guesses on average, about 2^(b-1):
// 128 bits at 10^12 guesses a second is 1.7 x 10^26 seconds, about 5.4 x
// 10^18 years, the figure Python's secrets documentation gives. A password
// a person chose is not uniform, and its bits say little; [Password] uses
// zxcvbn's estimate of the guesses an attacker who knows how people choose
// would need.
package entropy

import (
	"encoding/json"
	"fmt"
	"math"
)

// Guessing rates, in guesses a second.
const (
	// OfflineRate is an attacker with a leaked fast hash (SHA-256) and a
	// rack of GPUs: 10^12 guesses a second.
	OfflineRate = 1e12
	// OnlineRate is an attacker guessing through a rate-limited login: 10
	// guesses a second.
	OnlineRate = 10
)

// Bytes returns the entropy of n uniformly random bytes: 8n bits. It panics
// if n is negative.
func Bytes(n int) float64 {
	nonNegative("Bytes", n)
	return 8 * float64(n)
}

// Words returns the entropy of n words drawn uniformly and independently from
// a list of listSize distinct words: n x log2(listSize) bits (12.925 a word
// for the 7776-word EFF list). It panics if n is negative or listSize < 1.
func Words(n, listSize int) float64 {
	nonNegative("Words", n)
	positive("Words list size", listSize)
	return float64(n) * math.Log2(float64(listSize))
}

// Charset returns the entropy of length characters drawn uniformly and
// independently from size distinct characters: length x log2(size) bits
// (6.555 a character for the 94 printable ASCII characters). It panics if
// length is negative or size < 1.
func Charset(length, size int) float64 {
	nonNegative("Charset", length)
	positive("Charset size", size)
	return float64(length) * math.Log2(float64(size))
}

// Digits returns the entropy of n uniformly random decimal digits: n x
// log2(10) bits (19.93 for a 6-digit code). It panics if n is negative.
func Digits(n int) float64 {
	nonNegative("Digits", n)
	return float64(n) * math.Log2(10)
}

func nonNegative(what string, n int) {
	if n < 0 {
		panic(fmt.Sprintf("entropy: %s argument %d is negative", what, n))
	}
}

func positive(what string, n int) {
	if n < 1 {
		panic(fmt.Sprintf("entropy: %s %d is not positive", what, n))
	}
}

// Estimate is how long an attacker needs to find a secret.
type Estimate struct {
	Bits         float64 // log2 of the number of equally likely secrets, or of the guesses for Password
	GuessesLog10 float64 // log10 of the expected number of guesses
	Rate         float64 // guesses a second

	guesses float64 // exact expected guesses when representable; 0 if unknown
}

// FromBits returns the estimate for a secret drawn uniformly from 2^bits
// possibilities, guessed at rate guesses a second: (2^bits + 1) / 2 guesses
// on average. It panics if bits is negative or NaN or rate is not positive.
func FromBits(bits, rate float64) Estimate {
	if !(bits >= 0) || math.IsInf(bits, 0) {
		panic(fmt.Sprintf("entropy: FromBits bits %v is not a finite number of 0 or more", bits))
	}
	checkRate(rate)
	if bits < 1000 {
		g := (math.Exp2(bits) + 1) / 2
		return Estimate{Bits: bits, GuessesLog10: math.Log10(g), Rate: rate, guesses: g}
	}
	// 2^bits is at or near the limit of a float64; the +1 no longer matters.
	return Estimate{Bits: bits, GuessesLog10: (bits - 1) * math.Log10(2), Rate: rate}
}

// FromGuesses returns the estimate for a secret that takes guesses guesses
// to find (at least 1), at rate guesses a second.
func FromGuesses(guesses, rate float64) Estimate {
	if !(guesses >= 1) || math.IsInf(guesses, 0) {
		panic(fmt.Sprintf("entropy: FromGuesses guesses %v is not a finite number of 1 or more", guesses))
	}
	checkRate(rate)
	return Estimate{Bits: math.Log2(guesses), GuessesLog10: math.Log10(guesses), Rate: rate, guesses: guesses}
}

func checkRate(rate float64) {
	if !(rate > 0) || math.IsInf(rate, 0) {
		panic(fmt.Sprintf("entropy: rate %v is not a positive number", rate))
	}
}

// Guesses returns the expected number of guesses, +Inf if it exceeds a float64.
func (e Estimate) Guesses() float64 {
	if e.guesses > 0 {
		return e.guesses
	}
	return math.Pow(10, e.GuessesLog10)
}

// SecondsLog10 returns log10 of the expected seconds to crack.
func (e Estimate) SecondsLog10() float64 { return e.GuessesLog10 - math.Log10(e.Rate) }

// Seconds returns the expected seconds to crack, +Inf if it exceeds a float64.
func (e Estimate) Seconds() float64 {
	if e.guesses > 0 {
		return e.guesses / e.Rate
	}
	return math.Pow(10, e.SecondsLog10())
}

// MarshalJSON writes the estimate as an object with bits, guesses,
// guesses_log10, rate, seconds_to_crack and seconds_to_crack_log10. guesses
// and seconds_to_crack are left out when they exceed a float64 (beyond about
// 1020 bits); the log10 fields are always there.
func (e Estimate) MarshalJSON() ([]byte, error) {
	type out struct {
		Bits          float64  `json:"bits"`
		Guesses       *float64 `json:"guesses,omitempty"`
		GuessesLog10  float64  `json:"guesses_log10"`
		Rate          float64  `json:"rate"`
		Seconds       *float64 `json:"seconds_to_crack,omitempty"`
		SecondsLog10  float64  `json:"seconds_to_crack_log10"`
		HumanReadable string   `json:"time_to_crack"`
	}
	o := out{Bits: e.Bits, GuessesLog10: e.GuessesLog10, Rate: e.Rate, SecondsLog10: e.SecondsLog10(), HumanReadable: Duration(e.SecondsLog10())}
	if g := e.Guesses(); !math.IsInf(g, 0) {
		o.Guesses = &g
	}
	if s := e.Seconds(); !math.IsInf(s, 0) {
		o.Seconds = &s
	}
	return json.Marshal(o)
}

// Time units for Duration.
const (
	minute = 60
	hour   = 60 * minute
	day    = 24 * hour
	year   = 365.25 * day
)

// Duration describes a time given as log10 of seconds in words: "less than
// a second", "3 hours", "5.4 x 10^18 years".
func Duration(secondsLog10 float64) string {
	if secondsLog10 < 0 {
		return "less than a second"
	}
	if secondsLog10 < 8 {
		s := math.Pow(10, secondsLog10)
		for _, u := range []struct {
			size float64
			name string
		}{{year, "year"}, {day, "day"}, {hour, "hour"}, {minute, "minute"}, {1, "second"}} {
			if s >= u.size {
				n := math.Round(s / u.size)
				if n == 1 {
					return "1 " + u.name
				}
				return fmt.Sprintf("%.0f %ss", n, u.name)
			}
		}
	}
	yearsLog10 := secondsLog10 - math.Log10(year)
	if yearsLog10 < 6 {
		return fmt.Sprintf("%.0f years", math.Pow(10, yearsLog10))
	}
	return Scientific(yearsLog10) + " years"
}

// Scientific writes 10^x as "m x 10^e" with one decimal in m.
func Scientific(log10 float64) string {
	e := math.Floor(log10)
	m := math.Pow(10, log10-e)
	if math.Round(m*10)/10 >= 10 {
		m /= 10
		e++
	}
	return fmt.Sprintf("%.1f x 10^%.0f", m, e)
}
