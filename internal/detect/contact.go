package detect

import (
	"regexp"
	"strings"
)

// ---------- IBAN ----------

// IBAN detects international bank account numbers (ISO 13616): a known
// country code, the country's length and the mod-97 check, printed compact
// or in groups separated by single spaces or dashes.
type IBAN struct{}

func (IBAN) Name() string                   { return "iban" }
func (d IBAN) Detect(text string) []Finding { return d.detect(normalize(text)) }

// IBANLengths holds the total IBAN length per country code.
var IBANLengths = map[string]int{
	"NO": 15, "DK": 18, "FO": 18, "GL": 18, "SE": 24, "FI": 18, "IS": 26,
	"DE": 22, "FR": 27, "GB": 22, "IE": 22, "NL": 18, "BE": 16, "LU": 20,
	"ES": 24, "PT": 25, "IT": 27, "AT": 20, "CH": 21, "LI": 21, "PL": 28,
	"CZ": 24, "SK": 24, "HU": 28, "SI": 19, "HR": 21, "RO": 24, "BG": 22,
	"GR": 27, "CY": 28, "MT": 31, "EE": 20, "LV": 21, "LT": 20, "MC": 27,
	"SM": 27, "AD": 24, "GI": 23, "TR": 26, "UA": 29, "RS": 22, "BA": 20,
	"ME": 22, "MK": 19, "AL": 28,
}

// IBANValid reports whether compact (upper case, no spaces) is a valid
// IBAN: known country, right length, mod 97 == 1.
func IBANValid(compact string) bool {
	if len(compact) < 5 {
		return false
	}
	l, ok := IBANLengths[compact[:2]]
	if !ok || l != len(compact) {
		return false
	}
	r := compact[4:] + compact[:4]
	m := 0
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c >= '0' && c <= '9':
			m = (m*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			m = (m*100 + v) % 97
		default:
			return false
		}
	}
	return m == 1
}

var ibanStart = regexp.MustCompile(`[A-Z]{2}[0-9]{2}`)

func isUpperAlnum(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

func (IBAN) detect(n *normText) []Finding {
	var out []Finding
	s := n.s
	for _, m := range ibanStart.FindAllStringIndex(s, -1) {
		st := m[0]
		l, ok := IBANLengths[s[st:st+2]]
		if !ok || n.alnumBefore(st) {
			continue
		}
		var b strings.Builder
		i := st
		for i < len(s) && b.Len() < l {
			c := s[i]
			if isUpperAlnum(c) {
				b.WriteByte(c)
				i++
				continue
			}
			if (c == ' ' || c == '-') && i+1 < len(s) && isUpperAlnum(s[i+1]) && b.Len() >= 4 {
				i++
				continue
			}
			break
		}
		if b.Len() != l || n.alnumAt(i) {
			continue
		}
		if IBANValid(b.String()) {
			out = append(out, n.finding(TypeIBAN, st, i, 0.98, "iban.mod97"))
		}
	}
	return out
}

// ---------- e-mail ----------

// Email detects e-mail addresses.
type Email struct{}

func (Email) Name() string                   { return "email" }
func (d Email) Detect(text string) []Finding { return d.detect(normalize(text)) }

var emailRe = regexp.MustCompile(`[\p{L}\p{N}_%+\-]+(?:\.[\p{L}\p{N}_%+\-]+)*@[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?)*\.\p{L}{2,}`)

func (Email) detect(n *normText) []Finding {
	var out []Finding
	for _, m := range emailRe.FindAllStringIndex(n.s, -1) {
		out = append(out, n.finding(TypeEmail, m[0], m[1], 0.95, "email.syntax"))
	}
	return out
}

// ---------- phone numbers ----------

// Phone detects Nordic phone numbers: +45 and +47 with 8 digits, +46 with
// 7-9 digits, +358 with 5-10 digits, +354 with 7 and +298/+299 with 6
// (also written 00CC); without a country code only next to cue words
// (tlf, telefon, mobil, phone, puh, ...), or in the typical 8-digit
// grouping "22 33 44 55" at a lower score.
type Phone struct{}

func (Phone) Name() string                   { return "phone" }
func (d Phone) Detect(text string) []Finding { return d.detect(normalize(text)) }

var phoneCues = []string{"tlf", "tlf.", "tlf:", "telefon", "telefonnr", "telefonnummer", "mobil", "mobilnr", "mobilnummer", "mob", "mob.", "tel", "tel.", "telephone", "phone", "mobile", "cell", "puh", "puh.", "puhelin", "matkapuhelin", "gsm", "ring", "ringt", "ringe", "sms", "telnr", "mobiltelefon", "call"}

var phoneCC = []struct {
	cc       string
	min, max int
}{{"45", 8, 8}, {"47", 8, 8}, {"46", 7, 9}, {"358", 5, 10}, {"354", 7, 7}, {"298", 6, 6}, {"299", 6, 6}}

func (Phone) detect(n *normText) []Finding {
	var out []Finding
	s := n.s
	for _, run := range n.numRuns() {
		g := run.groups
		st := g[0].ns
		plus := st > 0 && s[st-1] == '+'
		digits := ""
		var cum []int // digits after each group
		for _, x := range g {
			digits += s[x.ns:x.ne]
			cum = append(cum, len(digits))
		}
		intl := plus
		body := digits
		if !plus && strings.HasPrefix(digits, "00") {
			intl = true
			body = digits[2:]
		}
		if intl {
			for _, p := range phoneCC {
				if !strings.HasPrefix(body, p.cc) {
					continue
				}
				pre := len(digits) - len(body) + len(p.cc)
				best := -1
				for i, c := range cum {
					if k := c - pre; k >= p.min && k <= p.max && !n.alnumAt(g[i].ne) {
						best = i
					}
				}
				// "+46 (0)70..." style trunk zero is not handled; a national
				// number starting 0 after the code is still accepted by length.
				if best >= 0 {
					ns := st
					if plus {
						ns = st - 1
					}
					out = append(out, n.finding(TypePhone, ns, g[best].ne, 0.9, "phone.intl+"+p.cc))
				}
				break
			}
			continue
		}
		cue := n.cueBefore(st, 25, phoneCues)
		// national numbers: 8 digits (NO, DK) or 0 + 6-9 digits (SE, FI);
		// the longest acceptable prefix of the run wins.
		var best *Finding
		for i, c := range cum {
			if n.alnumAt(g[i].ne) {
				continue
			}
			shape := make([]int, i+1)
			for j := 0; j <= i; j++ {
				shape[j] = g[j].ne - g[j].ns
			}
			var f Finding
			switch {
			case cue && c == 8 && digits[0] != '0':
				f = n.finding(TypePhone, st, g[i].ne, 0.8, "phone.cue.8")
			case cue && digits[0] == '0' && c >= 7 && c <= 10:
				f = n.finding(TypePhone, st, g[i].ne, 0.75, "phone.cue.national")
			case !cue && c == 8 && digits[0] != '0' && i == len(g)-1 && (eqInts(shape, 2, 2, 2, 2) || eqInts(shape, 3, 2, 3)):
				f = n.finding(TypePhone, st, g[i].ne, 0.5, "phone.grouping")
			case !cue && digits[0] == '0' && i == len(g)-1 && c >= 9 && c <= 10 && (eqInts(shape, 3, 3, 2, 2) || eqInts(shape, 2, 3, 2, 2) || eqInts(shape, 3, 3, 4) || eqInts(shape, 3, 7) || eqInts(shape, 2, 7)) && s[g[0].ne] == '-':
				f = n.finding(TypePhone, st, g[i].ne, 0.5, "phone.grouping")
			default:
				continue
			}
			best = &f
		}
		if best != nil {
			out = append(out, *best)
		}
	}
	return out
}

func eqInts(a []int, b ...int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
