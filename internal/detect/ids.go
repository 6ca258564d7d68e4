package detect

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

func atoi(s string) int { v, _ := strconv.Atoi(s); return v }

func daysIn(month, year int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func validDate(day, month, year int) bool {
	return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(month, year)
}

// birthDate is the date encoded in an identity number. When the century is
// unknown, yyOnly is set and year holds only the last two digits.
type birthDate struct {
	day, month, year int
	yyOnly           bool
}

// Cue words that raise the score of a number whose format is shared by
// several countries (DDMMYY-SSSS, YYMMDD-NNNC, DDMMYY-NNNC).
var (
	cprCues  = []string{"cpr", "cpr-nr", "cpr-nr.", "cpr-nummer", "cpr nr"}
	pnrCues  = []string{"personnummer", "personnr", "pnr", "samordningsnummer", "samordningsnr", "person nr"}
	hetuCues = []string{"hetu", "henkilötunnus", "henkilötunnukseni", "sotu", "personbeteckning"}
)

// ---------- Danish CPR ----------

// CPR detects Danish CPR numbers, DDMMYY-SSSS. The date must be valid (the
// 7th digit and the year give the century); the modulus-11 check only raises
// the score, since numbers issued since 2007 need not satisfy it.
type CPR struct{}

func (CPR) Name() string                   { return "dk.cpr" }
func (d CPR) Detect(text string) []Finding { return d.detect(normalize(text)) }

// CPRCentury returns the full birth year for a CPR number's two-digit year
// and the first digit of its serial number, per the CPR office's table.
func CPRCentury(yy, s7 int) int {
	switch {
	case s7 <= 3:
		return 1900 + yy
	case s7 == 4 || s7 == 9:
		if yy <= 36 {
			return 2000 + yy
		}
		return 1900 + yy
	default: // 5-8
		if yy <= 57 {
			return 2000 + yy
		}
		return 1800 + yy
	}
}

// CPRMod11 reports whether a 10-digit CPR number satisfies the classic
// modulus-11 check (weights 4 3 2 7 6 5 4 3 2 1).
func CPRMod11(d string) bool {
	if len(d) != 10 {
		return false
	}
	w := [10]int{4, 3, 2, 7, 6, 5, 4, 3, 2, 1}
	sum := 0
	for i := range 10 {
		sum += int(d[i]-'0') * w[i]
	}
	return sum%11 == 0
}

func cprDate(d string) (birthDate, bool) {
	day, mon, yy := atoi(d[0:2]), atoi(d[2:4]), atoi(d[4:6])
	y := CPRCentury(yy, int(d[6]-'0'))
	return birthDate{day, mon, y, false}, validDate(day, mon, y)
}

func (CPR) detect(n *normText) []Finding {
	var out []Finding
	for _, c := range n.numberCandidates(10) {
		if _, ok := cprDate(c.digits); !ok {
			continue
		}
		cleanShape := c.shape(10) || c.shape(6, 4) && (c.seps[0] == "-" || c.seps[0] == " ")
		cue := n.cueBefore(c.ns, 30, cprCues)
		if CPRMod11(c.digits) {
			score := 0.9
			if !cleanShape {
				score = 0.7
			}
			if cue {
				score += 0.09
			}
			out = append(out, n.finding(TypeDKCPR, c.ns, c.ne, score, "dk.cpr.mod11"))
		} else if cleanShape {
			score := 0.55
			if cue {
				score = 0.9
			}
			out = append(out, n.finding(TypeDKCPR, c.ns, c.ne, score, "dk.cpr.date-only"))
		}
	}
	return out
}

// ---------- Norwegian fødselsnummer, D-number, H-number ----------

// Fnr detects Norwegian fødselsnumre, D-numbers (day + 40) and H-numbers
// (month + 40). Both check digits must hold, either under the classic rule
// or under the rule for numbers issued from 2032, where the first check
// digit may leave a remainder of 0, 1, 2 or 3.
type Fnr struct{}

func (Fnr) Name() string                   { return "no.fnr" }
func (d Fnr) Detect(text string) []Finding { return d.detect(normalize(text)) }

var (
	fnrW1 = [9]int{3, 7, 6, 1, 8, 9, 4, 5, 2}
	fnrW2 = [10]int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
)

// FnrCheck reports which check rule an 11-digit number satisfies: "classic"
// (remainder 0 for both check digits), "2032" (first remainder 1, 2 or 3,
// second 0) or "" for neither.
func FnrCheck(d string) string {
	if len(d) != 11 {
		return ""
	}
	s1 := 0
	for i := range 9 {
		s1 += int(d[i]-'0') * fnrW1[i]
	}
	r1 := (s1 + int(d[9]-'0')) % 11
	s2 := 0
	for i := range 10 {
		s2 += int(d[i]-'0') * fnrW2[i]
	}
	if (s2+int(d[10]-'0'))%11 != 0 {
		return ""
	}
	switch {
	case r1 == 0:
		return "classic"
	case r1 <= 3:
		return "2032"
	}
	return ""
}

// fnrCentury returns the birth year from the individual number under the
// classic allocation rules, or 0 when the combination is not allocated.
func fnrCentury(yy, ind int) int {
	switch {
	case ind <= 499:
		return 1900 + yy
	case ind <= 749 && yy >= 54:
		return 1800 + yy
	case ind >= 500 && yy <= 39:
		return 2000 + yy
	case ind >= 900 && yy >= 40:
		return 1900 + yy
	}
	return 0
}

// fnrDate decodes the date and kind ("fnr", "dnr", "hnr") of an 11-digit
// number. For numbers passing only the 2032 rule the century is unknown.
func fnrDate(d string, rule string) (birthDate, string, bool) {
	day, mon, yy := atoi(d[0:2]), atoi(d[2:4]), atoi(d[4:6])
	kind := "fnr"
	switch {
	case day > 40 && day <= 71:
		day -= 40
		kind = "dnr"
	case mon > 40 && mon <= 52:
		mon -= 40
		kind = "hnr"
	}
	if kind == "dnr" && mon > 40 {
		return birthDate{}, "", false
	}
	if rule == "classic" {
		y := fnrCentury(yy, atoi(d[6:9]))
		if y != 0 {
			return birthDate{day, mon, y, false}, kind, validDate(day, mon, y)
		}
	}
	for _, c := range []int{1900, 2000, 1800} {
		if validDate(day, mon, c+yy) {
			return birthDate{day, mon, yy, true}, kind, true
		}
	}
	return birthDate{}, "", false
}

func (Fnr) detect(n *normText) []Finding {
	var out []Finding
	for _, c := range n.numberCandidates(11) {
		// A slash joins the parts of case and file numbers
		// ("3.5.1-12345/2023"), never those of a fødselsnummer.
		if slices.ContainsFunc(c.seps, func(sep string) bool { return strings.Contains(sep, "/") }) {
			continue
		}
		rule := FnrCheck(c.digits)
		if rule == "" {
			continue
		}
		_, kind, ok := fnrDate(c.digits, rule)
		if !ok {
			continue
		}
		score := 0.97
		if !(c.shape(11) || c.shape(6, 5)) {
			score = 0.8
		}
		name := "no." + kind + ".mod11"
		if rule == "2032" {
			name += "-2032"
			score -= 0.05
		}
		out = append(out, n.finding(TypeNOFnr, c.ns, c.ne, score, name))
	}
	return out
}

// ---------- Swedish personnummer and samordningsnummer ----------

// Personnummer detects Swedish personnummer and samordningsnummer (day +
// 60), as YYMMDD-NNNC, YYMMDD+NNNC (100 years or older), YYYYMMDDNNNC or
// YYYYMMDD-NNNC; the Luhn check is applied to the 10-digit form.
type Personnummer struct{}

func (Personnummer) Name() string                   { return "se.pnr" }
func (d Personnummer) Detect(text string) []Finding { return d.detect(normalize(text)) }

// Luhn reports whether the digit string satisfies the Luhn (mod 10) check.
func Luhn(d string) bool {
	sum := 0
	double := len(d)%2 == 0
	for i := 0; i < len(d); i++ {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return len(d) > 0 && sum%10 == 0
}

// pnrDate decodes YYMMDD (or the 12-digit form's YYYYMMDD) into a date.
func pnrDate(d string, plus bool, now time.Time) (birthDate, string, bool) {
	var yyyy int
	var mmdd string
	if len(d) == 12 {
		yyyy = atoi(d[0:4])
		if yyyy < 1840 || yyyy > now.Year() {
			return birthDate{}, "", false
		}
		mmdd = d[4:8]
	} else {
		yy := atoi(d[0:2])
		yyyy = now.Year()/100*100 + yy
		if yyyy > now.Year() {
			yyyy -= 100
		}
		if plus {
			yyyy -= 100
		}
		mmdd = d[2:6]
	}
	mon, day := atoi(mmdd[0:2]), atoi(mmdd[2:4])
	kind := "pnr"
	if day > 60 {
		day -= 60
		kind = "samnr"
	}
	return birthDate{day, mon, yyyy, false}, kind, validDate(day, mon, yyyy)
}

func (Personnummer) detect(n *normText) []Finding {
	var out []Finding
	now := time.Now()
	for _, c := range n.numberCandidates(10) {
		if !Luhn(c.digits) {
			continue
		}
		plus := len(c.seps) == 1 && c.seps[0] == "+"
		_, kind, ok := pnrDate(c.digits, plus, now)
		if !ok {
			continue
		}
		clean := c.shape(10) || c.shape(6, 4) && (c.seps[0] == "-" || c.seps[0] == "+" || c.seps[0] == " ")
		score := 0.88
		if !clean {
			score = 0.65
		}
		if n.cueBefore(c.ns, 30, pnrCues) {
			score += 0.07
		}
		out = append(out, n.finding(TypeSEPnr, c.ns, c.ne, score, "se."+kind+".luhn"))
	}
	for _, c := range n.numberCandidates(12) {
		if !Luhn(c.digits[2:]) {
			continue
		}
		_, kind, ok := pnrDate(c.digits, false, now)
		if !ok {
			continue
		}
		clean := c.shape(12) || c.shape(8, 4) && (c.seps[0] == "-" || c.seps[0] == " ")
		score := 0.95
		if !clean {
			score = 0.7
		}
		out = append(out, n.finding(TypeSEPnr, c.ns, c.ne, score, "se."+kind+".luhn"))
	}
	return out
}

// ---------- Finnish HETU ----------

// Hetu detects Finnish personal identity codes DDMMYYCNNNZ with the century
// signs + (1800s), - Y X W V U (1900s) and A B C D E F (2000s), checking the
// control character.
type Hetu struct{}

func (Hetu) Name() string                   { return "fi.hetu" }
func (d Hetu) Detect(text string) []Finding { return d.detect(normalize(text)) }

const hetuChars = "0123456789ABCDEFHJKLMNPRSTUVWXY"

var hetuRe = regexp.MustCompile(`(\d{6})([-+ABCDEFUVWXY])(\d{3})([0-9A-Y])`)

// HetuCheck returns the control character for the nine digits DDMMYYNNN.
func HetuCheck(nine string) byte {
	return hetuChars[atoi(nine)%31]
}

func hetuCentury(sign byte) int {
	switch sign {
	case '+':
		return 1800
	case '-', 'Y', 'X', 'W', 'V', 'U':
		return 1900
	}
	return 2000
}

func hetuDate(s string) (birthDate, bool) {
	day, mon := atoi(s[0:2]), atoi(s[2:4])
	y := hetuCentury(s[6]) + atoi(s[4:6])
	return birthDate{day, mon, y, false}, validDate(day, mon, y)
}

func (Hetu) detect(n *normText) []Finding {
	var out []Finding
	for _, m := range hetuRe.FindAllStringSubmatchIndex(n.s, -1) {
		s, e := m[0], m[1]
		if n.alnumBefore(s) || n.alnumAt(e) {
			continue
		}
		id := n.s[s:e]
		if _, ok := hetuDate(id); !ok {
			continue
		}
		if HetuCheck(id[0:6]+id[7:10]) != id[10] {
			continue
		}
		ind := atoi(id[7:10])
		score, rule := 0.97, "fi.hetu.mod31"
		if id[6] == '-' && isDigit(id[10]) && !n.cueBefore(s, 30, hetuCues) {
			// DDMMYY-NNNd is also the shape of a CPR or personnummer
			score = 0.85
		}
		if ind < 2 {
			continue
		}
		if ind >= 900 {
			score, rule = 0.9, "fi.hetu.mod31-temporary"
		}
		out = append(out, n.finding(TypeFIHetu, s, e, score, rule))
	}
	return out
}

// ---------- Norwegian DUF number ----------

// DUF detects Norwegian DUF numbers (12 digits: a 4-digit registration year,
// 6 digits and 2 check digits). The check-digit rule implemented here
// (weights 4 6 3 2 7 5 4 6 3 2 over the ten first digits rearranged as
// LLLLLLYYYY; the two check digits are the weighted sum mod 11) comes from a
// secondary source and is UNVERIFIED against UDI's specification; a number
// next to a cue word ("DUF") is reported even when the check fails.
type DUF struct{}

func (DUF) Name() string                   { return "no.duf" }
func (d DUF) Detect(text string) []Finding { return d.detect(normalize(text)) }

// DUFCheck returns the two check digits computed for the first ten digits.
func DUFCheck(ten string) string {
	w := [10]int{4, 6, 3, 2, 7, 5, 4, 6, 3, 2}
	r := ten[4:10] + ten[0:4]
	sum := 0
	for i := range 10 {
		sum += int(r[i]-'0') * w[i]
	}
	v := sum % 11
	return string([]byte{'0' + byte(v/10), '0' + byte(v%10)})
}

var dufCues = []string{"duf", "duf-nr", "duf-nummer", "duf nr", "duf-nr.", "dufnr", "udi"}

func (DUF) detect(n *normText) []Finding {
	var out []Finding
	year := time.Now().Year()
	for _, c := range n.numberCandidates(12) {
		if !(c.shape(12) || c.shape(4, 8) || c.shape(4, 6, 2) || c.shape(4, 4, 4)) {
			continue
		}
		y := atoi(c.digits[:4])
		if y < 1960 || y > year {
			continue
		}
		cue := n.cueBefore(c.ns, 30, dufCues)
		check := DUFCheck(c.digits[:10]) == c.digits[10:]
		switch {
		case check && cue:
			out = append(out, n.finding(TypeNODuf, c.ns, c.ne, 0.97, "no.duf.check+cue"))
		case cue:
			out = append(out, n.finding(TypeNODuf, c.ns, c.ne, 0.8, "no.duf.cue"))
		case check:
			out = append(out, n.finding(TypeNODuf, c.ns, c.ne, 0.6, "no.duf.check-unverified"))
		}
	}
	return out
}
