package eval

// Check-digit rules for the held-out corpus's synthetic ID numbers, written
// from the public specifications and NOT shared with internal/detect: a
// fault in the detectors' arithmetic then shows up as misses instead of
// being copied into the labels.

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

func digits(s string) []int {
	d := make([]int, len(s))
	for i, c := range s {
		d[i] = int(c - '0')
	}
	return d
}

func weighted(d, w []int) int {
	s := 0
	for i := range w {
		s += d[i] * w[i]
	}
	return s
}

// fnrCheck returns the two check digits of a Norwegian fødselsnummer's
// first nine digits, ok false when either would be 10.
func fnrCheck(nine string) (string, bool) {
	d := digits(nine)
	k1 := (11 - weighted(d, []int{3, 7, 6, 1, 8, 9, 4, 5, 2})%11) % 11
	if k1 == 10 {
		return "", false
	}
	d = append(d, k1)
	k2 := (11 - weighted(d, []int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2})%11) % 11
	if k2 == 10 {
		return "", false
	}
	return fmt.Sprintf("%d%d", k1, k2), true
}

// ValidFnr reports whether an 11-digit fødselsnummer, D- or H-number has
// valid check digits (the pre-2032 rule).
func ValidFnr(s string) bool {
	if len(s) != 11 || strings.Trim(s, "0123456789") != "" {
		return false
	}
	c, ok := fnrCheck(s[:9])
	return ok && c == s[9:]
}

// genFnr: kind is fnr, dnr (day+40) or hnr (month+40); the individual
// number follows the birth year's range and the third digit the sex.
func genFnr(r *rand.Rand, t time.Time, male bool, kind string, bad bool) string {
	day, month := t.Day(), int(t.Month())
	switch kind {
	case "dnr":
		day += 40
	case "hnr":
		month += 40
	}
	for {
		var ind int
		if t.Year() >= 2000 {
			ind = 500 + r.IntN(500)
		} else {
			ind = r.IntN(500)
		}
		if (ind%2 == 1) != male {
			continue
		}
		nine := fmt.Sprintf("%02d%02d%02d%03d", day, month, t.Year()%100, ind)
		c, ok := fnrCheck(nine)
		if !ok {
			continue
		}
		if bad {
			// A transposed or mistyped last digit: still shaped like a
			// fødselsnummer, no longer valid.
			c = c[:1] + strconv.Itoa((int(c[1]-'0')+1)%10)
		}
		return nine + c
	}
}

// ValidCPRMod11 reports whether a 10-digit CPR number passes modulus 11,
// which numbers issued since 2007 need not do.
func ValidCPRMod11(s string) bool {
	if len(s) != 10 || strings.Trim(s, "0123456789") != "" {
		return false
	}
	return weighted(digits(s), []int{4, 3, 2, 7, 6, 5, 4, 3, 2, 1})%11 == 0
}

// genCPR: the seventh digit places the century (0–3 for 1900–1999, 4 for
// 2000–2036), the last digit's parity the sex.
func genCPR(r *rand.Rand, t time.Time, male, mod11 bool) string {
	for {
		first := r.IntN(4)
		if t.Year() >= 2000 {
			first = 4
		}
		s := fmt.Sprintf("%02d%02d%02d%d%03d", t.Day(), int(t.Month()), t.Year()%100, first, r.IntN(1000))
		if (int(s[9]-'0')%2 == 1) != male || ValidCPRMod11(s) != mod11 {
			continue
		}
		return s
	}
}

func luhn(d []int) int {
	s := 0
	for i, v := range d {
		if i%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		s += v
	}
	return (10 - s%10) % 10
}

// ValidPnr reports whether a 10-digit Swedish personnummer (or
// samordningsnummer) passes the Luhn check.
func ValidPnr(ten string) bool {
	if len(ten) != 10 || strings.Trim(ten, "0123456789") != "" {
		return false
	}
	d := digits(ten)
	return luhn(d[:9]) == d[9]
}

// genPnr: a samordningsnummer adds 60 to the day; long gives the 12-digit
// form with the century.
func genPnr(r *rand.Rand, t time.Time, coordination, long bool) string {
	day := t.Day()
	if coordination {
		day += 60
	}
	nine := fmt.Sprintf("%02d%02d%02d%03d", t.Year()%100, int(t.Month()), day, r.IntN(1000))
	s := nine + strconv.Itoa(luhn(digits(nine)))
	if long {
		s = strconv.Itoa(t.Year()/100) + s
	}
	return s
}

const hetuChars = "0123456789ABCDEFHJKLMNPRSTUVWXY"

// ValidHetu reports whether a Finnish henkilötunnus has a valid century
// sign (including the 2023 additions) and check character.
func ValidHetu(s string) bool {
	if len(s) != 11 || !strings.ContainsRune("+-YXWVUABCDEF", rune(s[6])) {
		return false
	}
	num := s[:6] + s[7:10]
	if strings.Trim(num, "0123456789") != "" {
		return false
	}
	n, _ := strconv.Atoi(num)
	return hetuChars[n%31] == s[10]
}

func genHetu(r *rand.Rand, t time.Time) string {
	sign := "-"
	switch {
	case t.Year() >= 2000:
		sign = "A"
	case t.Year() < 1900:
		sign = "+"
	}
	ind := 2 + r.IntN(898)
	dmy := fmt.Sprintf("%02d%02d%02d", t.Day(), int(t.Month()), t.Year()%100)
	n, _ := strconv.Atoi(fmt.Sprintf("%s%03d", dmy, ind))
	return fmt.Sprintf("%s%s%03d%c", dmy, sign, ind, hetuChars[n%31])
}

// dufCheck: the two check digits of a DUF number YYYY NNNNNN are the
// remainder mod 11 of the weighted sum over NNNNNNYYYY.
func dufCheck(ten string) string {
	d := digits(ten[4:] + ten[:4])
	return fmt.Sprintf("%02d", weighted(d, []int{4, 6, 3, 2, 7, 5, 4, 6, 3, 2})%11)
}

// ValidDUF reports whether a 12-digit DUF number has valid check digits.
func ValidDUF(s string) bool {
	if len(s) != 12 || strings.Trim(s, "0123456789") != "" {
		return false
	}
	return dufCheck(s[:10]) == s[10:]
}

func genDUF(r *rand.Rand, year int, bad bool) string {
	ten := fmt.Sprintf("%04d%06d", year, r.IntN(1000000))
	c := dufCheck(ten)
	if bad {
		c = c[:1] + strconv.Itoa((int(c[1]-'0')+1)%10)
	}
	return ten + c
}

// IBAN lengths of the Nordic countries in the corpus.
var ibanLen = map[string]int{"NO": 15, "DK": 18, "SE": 24, "FI": 18}

// ValidIBAN reports whether a compact IBAN passes mod 97.
func ValidIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	return ibanMod97(s[4:]+s[:4]) == 1
}

func ibanMod97(s string) int64 {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			b.WriteString(strconv.Itoa(int(c-'A') + 10))
		default:
			return -1
		}
	}
	n, ok := new(big.Int).SetString(b.String(), 10)
	if !ok {
		return -1
	}
	return new(big.Int).Mod(n, big.NewInt(97)).Int64()
}

// genIBAN makes an IBAN whose domestic account number is also valid where
// the country has a rule the corpus cares about (Norway's mod 11,
// Finland's Luhn), so it looks like a real account throughout.
func genIBAN(r *rand.Rand, cc string) (string, error) {
	n, ok := ibanLen[cc]
	if !ok {
		return "", fmt.Errorf("no IBAN length for %q", cc)
	}
	for {
		var b strings.Builder
		for range n - 4 {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		bban := b.String()
		switch cc {
		case "NO":
			d := digits(bban)
			k := (11 - weighted(d, []int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2})%11) % 11
			if k == 10 {
				continue
			}
			bban = bban[:10] + strconv.Itoa(k)
		case "FI":
			bban = bban[:13] + strconv.Itoa(luhn(digits(bban[:13])))
		}
		check := 98 - ibanMod97(bban+cc+"00")
		return fmt.Sprintf("%s%02d%s", cc, check, bban), nil
	}
}
