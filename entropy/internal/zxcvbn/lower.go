package zxcvbn

import (
	"unicode"
	"unicode/utf16"
)

// toLower is JavaScript's String.prototype.toLowerCase on UTF-16 code
// units: code points are lower-cased by the Unicode simple mapping, except
// İ (U+0130), which becomes i and a combining dot above, and Σ, which
// becomes ς at the end of a word (the Final_Sigma condition); a lone
// surrogate is kept. Its result can be longer than s.
func toLower(s []uint16) []uint16 {
	out := make([]uint16, 0, len(s))
	for p := 0; p < len(s); {
		r, size := codePointAt(s, p)
		switch {
		case size == 1 && utf16.IsSurrogate(r):
			out = append(out, s[p])
		case r == 'İ':
			out = append(out, 'i', 0x307)
		case r == 'Σ':
			if finalSigma(s, p, size) {
				out = append(out, 'ς')
			} else {
				out = append(out, 'σ')
			}
		default:
			out = utf16.AppendRune(out, unicode.ToLower(r))
		}
		p += size
	}
	return out
}

// codePointAt decodes the code point at s[p], as JavaScript's codePointAt:
// a surrogate pair is one code point, a lone surrogate is itself.
func codePointAt(s []uint16, p int) (rune, int) {
	c := rune(s[p])
	if c >= 0xd800 && c < 0xdc00 && p+1 < len(s) && s[p+1] >= 0xdc00 && s[p+1] < 0xe000 {
		return utf16.DecodeRune(c, rune(s[p+1])), 2
	}
	return c, 1
}

// codePointBefore decodes the code point that ends just before s[p].
func codePointBefore(s []uint16, p int) (rune, int) {
	c := rune(s[p-1])
	if c >= 0xdc00 && c < 0xe000 && p >= 2 && s[p-2] >= 0xd800 && s[p-2] < 0xdc00 {
		return utf16.DecodeRune(rune(s[p-2]), c), 2
	}
	return c, 1
}

// finalSigma is Unicode's Final_Sigma condition for the Σ at s[p:p+size]:
// a cased letter before it and none after it, skipping case-ignorable
// characters on both sides.
func finalSigma(s []uint16, p, size int) bool {
	before := false
	for q := p; q > 0; {
		r, n := codePointBefore(s, q)
		q -= n
		if caseIgnorable(r) {
			continue
		}
		before = cased(r)
		break
	}
	if !before {
		return false
	}
	for q := p + size; q < len(s); {
		r, n := codePointAt(s, q)
		q += n
		if caseIgnorable(r) {
			continue
		}
		return !cased(r)
	}
	return true
}

func cased(r rune) bool {
	return unicode.IsLower(r) || unicode.IsUpper(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// caseIgnorable is Unicode's Case_Ignorable: marks, format characters,
// modifier letters and symbols, and the Word_Break classes MidLetter,
// MidNumLet and Single_Quote.
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0xb7, 0x387, 0x55f, 0x5f4, 0x2018, 0x2019, 0x2024, 0x2027,
		0xfe13, 0xfe52, 0xfe55, 0xff07, 0xff0e, 0xff1a:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
